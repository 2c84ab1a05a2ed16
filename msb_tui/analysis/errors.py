"""Dockerfile errors and lint findings: what BuildKit would refuse, and what it would merely warn about.

Errors are listed in the order BuildKit meets them, so ``errors[0]`` is the one a real build
reports. ``since`` names the BuildKit version that introduced an error (None: every version we
know of), so tests against an older engine can tell which cases apply there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Error codes, with the BuildKit release that made each an error when that is recent.
BUILDKIT_VERSION_NOTES: dict[str, dict[str, str | None]] = {
    "parse": {"since": None, "note": "the Dockerfile parser itself rejected the text"},
    "unknown_instruction": {"since": None, "note": "unknown instruction"},
    "unknown_flag": {"since": None, "note": "a flag the instruction does not define"},
    "bad_flag": {"since": None, "note": "a flag without '--', without a value, or given twice"},
    "bad_arguments": {"since": None, "note": "wrong number or shape of arguments"},
    "invalid_stage_name": {"since": None, "note": "stage names must match ^[a-z][a-z0-9-_.]*$"},
    "no_stage": {"since": None, "note": "an instruction before the first FROM (other than ARG)"},
    "no_from": {"since": None, "note": "the file defines no build stage"},
    "engine_crash": {"since": None, "note": "input known to crash this engine's BuildKit: refused, never sent"},
    "nul_in_command": {"since": None, "note": "a RUN holding a NUL byte fails when it runs (needed stages)"},
    "invalid_utf8": {"since": "0.17", "note": "bytes that are not UTF-8 in a RUN/COPY/ADD/WORKDIR that runs"},
    "bad_chmod": {"since": "0.18", "note": "COPY/ADD --chmod not octal up to 07777 (needed stages)"},
    "copy_from_empty": {"since": None, "note": "BuildKit < 0.13 reads the scratch base of a later or ONBUILD source stage"},
    "expansion": {"since": None, "note": "a variable expression BuildKit cannot expand"},
    "empty_base": {"since": None, "note": "FROM is blank after ARG expansion"},
    "bad_platform": {"since": None, "note": "FROM --platform is empty or invalid after expansion"},
    "invalid_reference": {"since": None, "note": "an image reference Docker cannot parse"},
    "unknown_target": {"since": None, "note": "--target names no stage"},
    "from_variable": {
        "since": None,
        "note": "variables in COPY --from never expand: older BuildKit (0.8-0.23) fails on the invalid image "
        'reference "$NAME" at the COPY line; Dockerfile frontend 1.18+ gives this dedicated message',
    },
    "mount_from_variable": {"since": None, "note": "RUN --mount from= does not support variables"},
    "invalid_stage_index": {"since": None, "note": "COPY --from=N with N out of range"},
    "cycle": {"since": None, "note": "stages depend on each other in a circle"},
    "copy_from_later_stage": {
        "since": "0.13",
        "note": "COPY --from a stage defined later; BuildKit < 0.13 silently used that stage's base image",
    },
    "bad_mount": {"since": None, "note": "RUN --mount with an unknown type (checked for needed stages)"},
    "bad_port": {"since": None, "note": "EXPOSE with a malformed port (checked for needed stages)"},
    "mount_from_later_stage": {
        "since": "0.13",
        "note": "RUN --mount from= a stage defined later",
    },
}

_LINE_IN_MESSAGE = re.compile(r"\bline (\d+)\b")


@dataclass(frozen=True, slots=True)
class DockerfileError:
    """A reason BuildKit refuses the Dockerfile. ``line`` is 1-based, None when BuildKit gives none."""

    line: int | None
    message: str
    code: str
    since: str | None = None

    @classmethod
    def make(cls, line: int | None, message: str, code: str) -> DockerfileError:
        return cls(line, message, code, BUILDKIT_VERSION_NOTES.get(code, {}).get("since"))

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.message}"


def line_from_message(message: str) -> int | None:
    """The line number a parser message mentions ("... line 3: ..."), if any."""
    match = _LINE_IN_MESSAGE.search(message)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Finding:
    """A lint finding. ``rule`` uses BuildKit's build-check name where one exists."""

    rule: str
    severity: str  # "error" | "warning" | "info"
    line: int | None
    message: str
    fix: str = ""
