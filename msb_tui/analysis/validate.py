"""Per-instruction checks BuildKit makes before it builds anything (``instructions/parse.go``).

Unknown instructions, unknown or malformed flags, wrong argument counts, invalid stage names and
variables in ``RUN --mount from=``. BuildKit checks every instruction, in needed and skipped
stages alike, and stops at the first failure; ``check_instruction`` returns that failure.
"""

from __future__ import annotations

import csv
import re

from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.versions import Version

VALID_STAGE_NAME = re.compile(r"^[a-z][a-z0-9\-_.]*$")

# Flags each instruction defines: name -> kind ("string", "strings" may repeat, "bool").
# None: the instruction never parses flags (BuildKit ignores them).
FLAGS: dict[str, dict[str, str] | None] = {
    "FROM": {"platform": "string"},
    "RUN": {"mount": "strings", "network": "string", "security": "string", "device": "strings"},
    "COPY": {
        "chown": "string",
        "from": "string",
        "chmod": "string",
        "link": "bool",
        "exclude": "strings",
        "parents": "bool",
    },
    "ADD": {
        "chown": "string",
        "chmod": "string",
        "link": "bool",
        "keep-git-dir": "bool",
        "checksum": "string",
        "unpack": "bool",
        "exclude": "strings",
    },
    "HEALTHCHECK": {
        "interval": "string",
        "timeout": "string",
        "start-period": "string",
        "start-interval": "string",
        "retries": "string",
    },
    # Instructions that parse flags but define none (any flag is unknown).
    **dict.fromkeys(("ENV", "LABEL", "MAINTAINER", "ONBUILD", "WORKDIR", "CMD", "ENTRYPOINT",
                     "EXPOSE", "USER", "VOLUME", "SHELL"), {}),
    "STOPSIGNAL": None,
    "ARG": None,
}

# Flags newer than BuildKit 0.8 (Docker 20.10): (instruction, flag) -> first BuildKit that knows it.
# 0.8 and 0.25 measured (dockerd 20.10.24: "Unknown flag: link"; 28.5.2: "unknown flag: --parents");
# the thresholds between come from release notes. LABS_ONLY: only the labs frontend (never the
# engine's built-in one, which is what msb-tui builds with) knows them.
LABS_ONLY = (99, 0)
FLAG_SINCE: dict[tuple[str, str], Version] = {
    ("COPY", "link"): (0, 10), ("ADD", "link"): (0, 10), ("ADD", "keep-git-dir"): (0, 10),
    ("RUN", "network"): (0, 10), ("RUN", "security"): LABS_ONLY, ("ADD", "checksum"): (0, 12),
    ("HEALTHCHECK", "start-interval"): (0, 12), ("RUN", "device"): LABS_ONLY, ("COPY", "exclude"): (0, 20),
    ("ADD", "exclude"): (0, 20), ("COPY", "parents"): LABS_ONLY, ("ADD", "unpack"): (0, 24),
}


def _error(instruction: Instruction, message: str, code: str) -> DockerfileError:
    return DockerfileError.make(instruction.line_start, message, code)


def _check_flags(instruction: Instruction, buildkit: Version) -> DockerfileError | None:
    """The first flag the instruction does not define on ``buildkit``, or gives wrongly."""
    defined = FLAGS[instruction.cmd]
    if defined is None:
        return None  # the instruction never parses flags
    used: set[str] = set()
    for flag in instruction.flags:
        if flag == "--":
            return None
        if not flag.startswith("--"):
            return _error(instruction, f"arg should start with -- : {flag}", "bad_flag")
        flag_name, sep, value = flag.partition("=")
        name = flag_name[2:]
        kind = defined.get(name)
        if kind is None or FLAG_SINCE.get((instruction.cmd, name), (0, 0)) > buildkit:
            if buildkit < (0, 10):
                return _error(instruction, f"Unknown flag: {name}", "unknown_flag")  # 0.8's wording
            return _error(instruction, f"unknown flag: {flag_name}", "unknown_flag")
        if name in used and kind != "strings":
            return _error(instruction, f"duplicate flag specified: {flag_name}", "bad_flag")
        used.add(name)
        if kind == "bool":
            if sep and value == "":
                return _error(instruction, f"missing a value on flag: {flag_name}", "bad_flag")
            if value.lower() not in ("true", "false", ""):
                return _error(
                    instruction, f"expecting boolean value for flag {flag_name}, not: {value}", "bad_flag"
                )
        elif not sep:
            return _error(instruction, f"missing a value on flag: {flag_name}", "bad_flag")
    return None


def mount_fields(spec: str) -> dict[str, str]:
    """The key=value fields of one ``--mount`` value (keys lower-cased; bare words map to "")."""
    fields: dict[str, str] = {}
    for part in _csv_fields(spec):
        key, _, value = part.partition("=")
        fields[key.strip().lower()] = value
    return fields


def _csv_fields(spec: str) -> list[str]:
    # BuildKit reads --mount values as one CSV record (quotes allowed).
    if '"' not in spec:
        return spec.split(",")
    try:
        return next(csv.reader([spec]))
    except (csv.Error, StopIteration):
        return spec.split(",")


def _check_mounts(instruction: Instruction) -> DockerfileError | None:
    for spec in instruction.flag_values("mount"):
        fields = mount_fields(spec)
        if fields.get("type", "").lower() == "secret" and fields.get("from"):
            return _error(instruction, "secret mount should not have a from", "bad_mount")
        value = fields.get("from", "")
        index = value.find("$")
        if index != -1 and index != len(value) - 1:
            return _error(
                instruction,
                "'from' doesn't support variable expansion, define alias stage instead",
                "mount_from_variable",
            )
    return None


def _from_error(instruction: Instruction, args: tuple[str, ...],
                buildkit: Version) -> DockerfileError | None:
    if len(args) == 3 and args[1].lower() == "as":
        if not VALID_STAGE_NAME.match(args[2].lower()):
            return _error(
                instruction,
                f'invalid name for build stage: "{args[2]}", name can\'t start with a number or contain symbols',
                "invalid_stage_name",
            )
    elif len(args) != 1:
        return _error(instruction, "FROM requires either one or three arguments", "bad_arguments")
    return _check_flags(instruction, buildkit)


def _onbuild_error(instruction: Instruction, args: tuple[str, ...]) -> DockerfileError | None:
    trigger = args[0].strip().upper()
    if trigger == "ONBUILD":
        return _error(instruction, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "bad_arguments")
    if trigger in ("MAINTAINER", "FROM"):
        return _error(instruction, f"{trigger} isn't allowed as an ONBUILD trigger", "bad_arguments")
    return None


def _healthcheck_error(instruction: Instruction, args: tuple[str, ...],
                       buildkit: Version) -> DockerfileError | None:
    kind = args[0].upper()
    if kind == "NONE":
        if len(args) != 1:
            return _error(instruction, "HEALTHCHECK NONE takes no arguments", "bad_arguments")
        return None
    error = _check_flags(instruction, buildkit)
    if error:
        return error
    if kind != "CMD":
        return _error(instruction, f'Unknown type "{kind}" in HEALTHCHECK (try CMD)', "bad_arguments")
    if len(args) < 2:
        return _error(instruction, "Missing command after HEALTHCHECK CMD", "bad_arguments")
    for name in ("interval", "timeout", "start-period", "start-interval"):
        value = instruction.flag(name)
        if value:
            seconds = go_duration(value)
            if seconds is None:
                return _error(instruction, f'time: invalid duration "{value}"', "bad_flag")
            if seconds != 0 and seconds < 0.001:
                return _error(instruction, f'Interval "{name}" cannot be less than 1ms', "bad_flag")
    retries = instruction.flag("retries")
    if retries:
        if not re.fullmatch(r"[+-]?[0-9]+", retries):
            return _error(instruction, f'strconv.ParseInt: parsing "{retries}": invalid syntax', "bad_flag")
        if not -(2**63) <= int(retries) < 2**63:
            return _error(instruction, f'strconv.ParseInt: parsing "{retries}": value out of range', "bad_flag")
        if int(retries) < 0:
            return _error(instruction, f"--retries cannot be negative ({int(retries)})", "bad_flag")
    return None


_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(text: str) -> float | None:
    """Seconds in a Go duration string ("1m30s", "500ms"), None when Go's time.ParseDuration refuses it."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0
    if not body:
        return None
    total = 0.0
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if not match or match.group(1) in ("", "."):
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if total > _MAX_DURATION:
        return None  # Go: int64 nanoseconds overflow ("time: invalid duration")
    return -total if text.startswith("-") else total


_MAX_DURATION = (2**63 - 1) / 1e9


_EXACTLY_ONE = frozenset({"MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"})
_AT_LEAST_ONE = frozenset({"ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME", "ARG", "ENV", "LABEL"})


def check_instruction(instruction: Instruction, buildkit: Version) -> DockerfileError | None:
    """The error BuildKit reports for this instruction on its own, or None (``buildkit``: the
    version to be exact to)."""
    cmd = instruction.cmd
    if cmd not in FLAGS:
        return _error(instruction, f"unknown instruction: {instruction.keyword}", "unknown_instruction")
    args = instruction.value
    if cmd == "FROM":
        return _from_error(instruction, args, buildkit)
    if cmd in _EXACTLY_ONE:
        if len(args) != 1:
            return _error(instruction, f"{cmd} requires exactly one argument", "bad_arguments")
    elif cmd in _AT_LEAST_ONE:
        if not args:
            return _error(instruction, f"{cmd} requires at least one argument", "bad_arguments")
        if cmd == "ONBUILD":
            error = _onbuild_error(instruction, (instruction.sub_cmd or "", *args))
            if error:
                return error
        elif cmd == "HEALTHCHECK":
            return _healthcheck_error(instruction, args, buildkit)
        elif cmd == "ARG":
            for arg in args:
                if arg.startswith("="):
                    return _error(instruction, "ARG names can not be blank", "bad_arguments")
    elif (cmd == "COPY" or cmd == "ADD") and len(args) < 2:
        return _error(
            instruction,
            f"{cmd} requires at least two arguments, but only one was provided. Destination could not be determined",
            "bad_arguments",
        )
    if instruction.flags:
        error = _check_flags(instruction, buildkit)
        if error:
            return error
        if cmd == "RUN":
            return _check_mounts(instruction)
    if cmd == "SHELL":
        if not args:
            return _error(instruction, "SHELL requires at least one argument", "bad_arguments")
        if not instruction.json:
            return _error(instruction, "SHELL requires the arguments to be in JSON form", "bad_arguments")
    elif cmd == "VOLUME":
        for arg in args:
            if not arg.strip():
                return _error(instruction, "VOLUME specified can not be an empty string", "bad_arguments")
    return None


