"""Secret build-arg values: which ones, and masking them wherever msb-tui writes build data.

A build arg is secret when its name looks like a credential (``GITHUB_TOKEN``, ``DB_PASSWORD``,
``AWS_SECRET_ACCESS_KEY``, ``NPM_AUTH``, ...) or when the user marked it with
``--secret-build-arg NAME[=VALUE]``. Marking happens where the value is given, so a value cannot
be passed without its mark; ``NAME`` alone takes the value from the environment, which keeps it out
of shell history and ``ps``. (Build args are not a safe way to hand secrets to a build — they stay
in the image's history, which ``msb-tui layers`` flags — but people do it, and msb-tui must not be
the one that copies them into its files.)

Where values are masked: the recording header (``****``); every engine message before it is
recorded, decoded or printed (same-length ``*`` runs, so BuildKit's protobuf log records keep their
lengths); the TUI's build-arg line. Values shorter than ``MIN_MASKED`` characters are masked in the
header only: masking ``1`` in every log line would make logs unreadable and hide nothing.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Iterable, Mapping

MASK = "****"
MIN_MASKED = 4
SECRET_NAME = re.compile(r"TOKEN|PASSW|PASSPHRASE|SECRET|KEY|CREDENTIAL|AUTH|PRIVATE|SESSION|COOKIE|PWD", re.IGNORECASE)
_TRACE = b'"moby.buildkit.trace"'


def is_secret_name(name: str) -> bool:
    return SECRET_NAME.search(name) is not None


def secret_names(build_args: Mapping[str, str], marked: Iterable[str] = ()) -> set[str]:
    """The build args to mask: credential-like names plus the ones the user marked."""
    marked = set(marked)
    return {name for name in build_args if name in marked or is_secret_name(name)}


def masked_args(build_args: Mapping[str, str], marked: Iterable[str] = ()) -> dict[str, str]:
    """``build_args`` with secret values replaced by ``****`` (for headers and displays)."""
    secret = secret_names(build_args, marked)
    return {name: (MASK if name in secret and value else value) for name, value in build_args.items()}


class Masker:
    """Replaces secret values in raw engine message lines (JSON, with base64 BuildKit traces)."""

    def __init__(self, values: Iterable[str]):
        unique = {v for v in values if len(v) >= MIN_MASKED}
        self._raw = sorted((v.encode("utf-8") for v in unique), key=len, reverse=True)
        # The value as it appears inside a JSON string (escaped) and as bytes in a decoded trace.
        self._json = sorted({json.dumps(v)[1:-1].encode("utf-8") for v in unique} | set(self._raw), key=len, reverse=True)

    @classmethod
    def for_args(cls, build_args: Mapping[str, str], marked: Iterable[str] = ()) -> Masker:
        secret = secret_names(build_args, marked)
        return cls(build_args[name] for name in secret)

    def __bool__(self) -> bool:
        return bool(self._raw)

    def line(self, line: bytes) -> bytes:
        """One engine message line with every secret value masked (unchanged when none occurs)."""
        if _TRACE in line:
            line = self._base64_fields(line, lambda message: [(message, "aux")])
        elif line.startswith(b"{") and (b'"logs"' in line or b'"warnings"' in line):
            # A buildx JSON SolveStatus line: log data and warning text are base64 inside it.
            line = self._base64_fields(line, lambda status: [
                *((log, "data") for log in status.get("logs") or []),
                *((warning, "short") for warning in status.get("warnings") or [])])
        for value in self._json:
            if value in line:
                line = line.replace(value, b"*" * len(value))
        return line

    def _base64_fields(self, line: bytes, fields) -> bytes:
        """``line`` with secret values masked inside the base64 fields ``fields(message)`` names as
        (object, key); the line itself when it does not parse or nothing was masked."""
        try:
            message = json.loads(line)
            items = fields(message)
        except (ValueError, TypeError, AttributeError, RecursionError):
            return line
        changed = False
        for item, key in items:
            try:
                data = binascii.a2b_base64(item[key])
            except (KeyError, TypeError, binascii.Error):
                continue
            masked = data
            for value in self._raw:  # same-length masks: a protobuf trace stays valid
                masked = masked.replace(value, b"*" * len(value))
            if masked != data:
                item[key] = binascii.b2a_base64(masked, newline=False).decode("ascii")
                changed = True
        return json.dumps(message, separators=(",", ":")).encode("utf-8") if changed else line
