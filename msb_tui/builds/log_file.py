"""A build log file read line by line, as often as needed, in bounded memory: over-long lines are
cut, binary data is refused, and standard input is spooled (and must look like a build log soon).
CI runners prefix each line with the time it was written (GitHub Actions and Azure:
``2024-01-01T10:00:00.1234567Z ``; ACR Tasks: ``2024/01/01 10:00:00 ``): ``split_prefix`` reads it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path


class PlainLogError(Exception):
    """The file is not a build log we can read; the message says what was expected."""


MAX_LINE = 1 << 20
"""Longest log line kept (bytes); the rest of a longer one is dropped and counted, so a file with
no newlines (``/dev/zero``, a binary) cannot make a line grow until memory runs out."""

SNIFF_BYTES = 32 << 20
"""Standard input must show a BuildKit or classic progress line within this many bytes: ``yes |
msb-tui import-log -`` fails here instead of spooling forever."""

_RECOGNISED = re.compile(rb"(?:^|\s)(?:#\d+ |Step \d+/\d+ : )")
_ISO_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\s")
_ACR_PREFIX = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?\s")


@functools.lru_cache(maxsize=100_000)
def _utc_seconds(date: str, clock: str) -> float | None:
    """Epoch seconds of a UTC date and time of day; cached, since a log's lines share a few
    thousand distinct seconds (parsing each line's stamp was a fifth of an import's time)."""
    try:
        return datetime.fromisoformat(f"{date}T{clock}").replace(tzinfo=timezone.utc).timestamp()
    except (ValueError, OverflowError):  # month 13, year 0: the prefix is there, its time is not
        return None


def split_prefix(line: str) -> tuple[float | None, str]:
    """(timestamp, rest of the line) for a CI-prefixed line; (None, line) otherwise."""
    match = _ISO_PREFIX.match(line)
    if match:
        date, clock, fraction, zone = match.groups()
        stamp = _utc_seconds(date, clock)
        if stamp is None:
            return None, line[match.end() :]
        if fraction:
            stamp += float(fraction)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            stamp -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        return stamp, line[match.end() :]
    match = _ACR_PREFIX.match(line)
    if match:
        year, month, day, clock, fraction = match.groups()
        stamp = _utc_seconds(f"{year}-{month}-{day}", clock)
        if stamp is None:
            return None, line[match.end() :]
        return stamp + (float(fraction) if fraction else 0.0), line[match.end() :]
    return None, line


class LogFile:
    """A log file read line by line, as often as needed, in bounded memory. Standard input and
    other unseekable sources are spooled to a temporary file first (checked while spooling)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.cut_lines = 0
        self._spool = None
        try:
            regular = self.path.is_file() and str(self.path) not in ("/dev/stdin", "/proc/self/fd/0")
            if not regular:
                self._spool = self._spool_input()
            else:
                with open(self.path, "rb") as handle:
                    if b"\0" in handle.read(1 << 16):
                        raise PlainLogError(f"{self.path} is a binary file (NUL bytes), not a build log")
        except OSError as error:
            raise PlainLogError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _spool_input(self):
        import tempfile

        spool = tempfile.TemporaryFile(prefix="msb-tui-import-")
        seen = 0
        recognised = False
        tail = b""
        with open(self.path, "rb") as source:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                if b"\0" in chunk:
                    spool.close()
                    where = seen + chunk.index(b"\0")
                    raise PlainLogError(f"{self.path}: binary data (a NUL byte at byte {where}), not a build log")
                if not recognised:
                    recognised = _RECOGNISED.search(tail + chunk) is not None
                    tail = chunk[-64:]
                seen += len(chunk)
                if not recognised and seen >= SNIFF_BYTES:
                    spool.close()
                    raise PlainLogError(
                        f"{self.path}: not a build log: no BuildKit ('#5 [build 2/4] RUN ...') or classic "
                        f"('Step 1/5 : FROM ...') progress line in the first {SNIFF_BYTES >> 20} MB"
                    )
                spool.write(chunk)
        spool.flush()
        return spool

    def lines(self) -> Iterator[str]:
        """The lines, each at most ``MAX_LINE`` bytes (longer ones cut and counted)."""
        self.cut_lines = 0
        if self._spool is not None:
            self._spool.seek(0)
            handle, close = self._spool, False
        else:
            handle, close = open(self.path, "rb"), True
        try:
            while True:
                line = handle.readline(MAX_LINE)
                if not line:
                    return
                if len(line) == MAX_LINE and not line.endswith(b"\n"):
                    self.cut_lines += 1
                    while True:  # skip the rest of the over-long line, in bounded reads
                        rest = handle.readline(MAX_LINE)
                        if not rest or rest.endswith(b"\n"):
                            break
                if b"\0" in line:
                    raise PlainLogError(f"{self.path} holds NUL bytes: this is a binary file, not a build log")
                yield line.decode("utf-8", "surrogateescape")
        finally:
            if close:
                handle.close()

    def mtime(self) -> float:
        import time

        if self._spool is not None:
            return time.time()
        return self.path.stat().st_mtime

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
