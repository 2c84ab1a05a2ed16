"""Per-instruction checks BuildKit makes before it builds anything (``instructions/parse.go``).

Unknown instructions, unknown or malformed flags, wrong argument counts, invalid stage names and
variables in ``RUN --mount from=``. BuildKit checks every instruction, in needed and skipped
stages alike, and stops at the first failure; ``check_instruction`` returns that failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction

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
    "ENV": {},
    "LABEL": {},
    "MAINTAINER": {},
    "ONBUILD": {},
    "WORKDIR": {},
    "CMD": {},
    "ENTRYPOINT": {},
    "EXPOSE": {},
    "USER": {},
    "VOLUME": {},
    "SHELL": {},
    "STOPSIGNAL": None,
    "ARG": None,
}
INSTRUCTIONS = frozenset(FLAGS)


def _error(instruction: Instruction, message: str, code: str) -> DockerfileError:
    return DockerfileError.make(instruction.line_start, message, code)


def _check_flags(instruction: Instruction, defined: dict[str, str]) -> DockerfileError | None:
    used: set[str] = set()
    for flag in instruction.flags:
        if flag == "--":
            return None
        if not flag.startswith("--"):
            return _error(instruction, f"arg should start with -- : {flag}", "bad_flag")
        flag_name, sep, value = flag.partition("=")
        name = flag_name[2:]
        kind = defined.get(name)
        if kind is None:
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
    import csv

    try:
        return next(csv.reader([spec]))
    except (csv.Error, StopIteration):
        return spec.split(",")


def _check_mounts(instruction: Instruction) -> DockerfileError | None:
    for spec in instruction.flag_values("mount"):
        for part in _csv_fields(spec):
            key, sep, value = part.partition("=")
            key = key.lower()
            if not sep:
                continue  # evaluated later by BuildKit
            if key == "from":
                index = value.find("$")
                if index != -1 and index != len(value) - 1:
                    return _error(
                        instruction,
                        f"'{key}' doesn't support variable expansion, define alias stage instead",
                        "mount_from_variable",
                    )
    return None


def _args(instruction: Instruction) -> list[str]:
    if instruction.cmd == "ONBUILD":
        sub = instruction.sub_cmd or ""
        return [sub, *instruction.value] if sub else list(instruction.value)
    return list(instruction.value)


def check_instruction(instruction: Instruction) -> DockerfileError | None:
    """The error BuildKit reports for this instruction on its own, or None."""
    cmd = instruction.cmd
    if cmd not in INSTRUCTIONS:
        return _error(instruction, f"unknown instruction: {instruction.keyword}", "unknown_instruction")
    args = _args(instruction)
    flags = FLAGS[cmd]
    if cmd == "FROM":
        if len(args) == 3 and args[1].lower() == "as":
            if not VALID_STAGE_NAME.match(args[2].lower()):
                return _error(
                    instruction,
                    f'invalid name for build stage: "{args[2]}", name can\'t start with a number or contain symbols',
                    "invalid_stage_name",
                )
        elif len(args) != 1:
            return _error(instruction, "FROM requires either one or three arguments", "bad_arguments")
        return _check_flags(instruction, flags or {})
    if cmd in ("COPY", "ADD") and len(args) < 2:
        return _error(
            instruction,
            f"{cmd} requires at least two arguments, but only one was provided. Destination could not be determined",
            "bad_arguments",
        )
    if cmd in ("MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL") and len(args) != 1:
        return _error(instruction, f"{cmd} requires exactly one argument", "bad_arguments")
    if cmd in ("ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME", "ARG", "ENV", "LABEL") and not args:
        return _error(instruction, f"{cmd} requires at least one argument", "bad_arguments")
    if cmd == "ONBUILD":
        trigger = args[0].strip().upper()
        if trigger == "ONBUILD":
            return _error(instruction, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "bad_arguments")
        if trigger in ("MAINTAINER", "FROM"):
            return _error(instruction, f"{trigger} isn't allowed as an ONBUILD trigger", "bad_arguments")
    if cmd == "HEALTHCHECK":
        kind = args[0].upper()
        if kind == "NONE":
            if len(args) != 1:
                return _error(instruction, "HEALTHCHECK NONE takes no arguments", "bad_arguments")
            return None
        error = _check_flags(instruction, flags or {})
        if error:
            return error
        if kind == "CMD":
            if len(args) < 2:
                return _error(instruction, "Missing command after HEALTHCHECK CMD", "bad_arguments")
            return None
        return _error(instruction, f'Unknown type "{kind}" in HEALTHCHECK (try CMD)', "bad_arguments")
    if cmd == "ARG":
        for arg in args:
            if arg.startswith("="):
                return _error(instruction, "ARG names can not be blank", "bad_arguments")
    if flags is not None:
        error = _check_flags(instruction, flags)
        if error:
            return error
    if cmd == "RUN":
        return _check_mounts(instruction)
    if cmd == "SHELL":
        if not args:
            return _error(instruction, "SHELL requires at least one argument", "bad_arguments")
        if not instruction.json:
            return _error(instruction, "SHELL requires the arguments to be in JSON form", "bad_arguments")
    if cmd == "VOLUME" and any(not arg.strip() for arg in instruction.value):
        return _error(instruction, "VOLUME specified can not be an empty string", "bad_arguments")
    return None


def check_instructions(instructions: Iterable[Instruction]) -> list[DockerfileError]:
    """Every per-instruction error, in file order (BuildKit reports the first)."""
    found = []
    for instruction in instructions:
        error = check_instruction(instruction)
        if error is not None:
            found.append(error)
    return found
