"""Read a Dockerfile with BuildKit's own parser (the ``dockerfile`` package) into plain instructions.

The parser handles line continuations, heredocs, JSON forms and the escape directive exactly as
BuildKit does; this module only keeps what the analysis needs and turns parser failures into
``DockerfileError``s with a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import dockerfile

from msb_tui.analysis.errors import DockerfileError, line_from_message

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_ONBUILD_PREFIX = re.compile(r"(?i)^\s*ONBUILD\s*")


class Instruction(NamedTuple):
    """One Dockerfile instruction as written. ``cmd`` is upper-case; ``keyword`` keeps the
    author's case."""

    keyword: str
    sub_cmd: str | None
    json: bool
    original: str
    line_start: int
    line_end: int
    flags: tuple[str, ...]
    value: tuple[str, ...]
    heredocs: tuple[str, ...]  # heredoc bodies, in order
    cmd: str

    def flag_values(self, name: str) -> list[str]:
        """Values of ``--name=value`` flags, in order (``--name`` alone gives "")."""
        pairs = (flag.partition("=") for flag in self.flags)
        return [value for key, _, value in pairs if key == f"--{name}"]

    def flag(self, name: str) -> str | None:
        """The last value of ``--name``, or None when the flag is absent."""
        values = self.flag_values(name)
        return values[-1] if values else None


@dataclass(slots=True)
class ParsedFile:
    """The instructions of a Dockerfile, its escape character, and the parser's error if any."""

    instructions: list[Instruction] = field(default_factory=list)
    escape: str = "\\"
    error: DockerfileError | None = None


def read_directives(text: str) -> dict[str, str]:
    """Parser directives (``# escape=``, ``# syntax=``, ``# check=``) from the top of the file."""
    found: dict[str, str] = {}
    for line in text[:4096].split("\n"):  # only the first lines (BuildKit splits on \n only)
        match = _DIRECTIVE.match(line.strip())
        if not match:
            break
        key = match.group(1).lower()
        if key in found:
            break
        found[key] = match.group(2)
    return found


def _utf8_flags(flags: tuple[str, ...]) -> tuple[str, ...]:
    """The ``dockerfile`` wheel (3.4) decodes flag text as Latin-1 (``--from=é`` comes back as
    ``--from=Ã©``) while it decodes everything else as UTF-8: undo that."""
    fixed = []
    for flag in flags:
        try:
            fixed.append(flag.encode("latin-1").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            fixed.append(flag)
    return tuple(fixed)


def _instruction(command) -> Instruction:
    """One of the parser's commands as an ``Instruction``."""
    return Instruction(
        command.cmd,
        command.sub_cmd.upper() if command.sub_cmd else None,
        command.json,
        command.original,
        command.start_line,
        command.end_line,
        _utf8_flags(command.flags),
        command.value,
        tuple(heredoc.content for heredoc in command.heredocs),
        command.cmd.upper(),
    )


def trigger(instruction: Instruction) -> Instruction | None:
    """The instruction an ``ONBUILD`` holds, parsed on its own (None when it does not parse)."""
    try:
        (command,) = dockerfile.parse_string(_ONBUILD_PREFIX.sub("", instruction.original, count=1))
    except (dockerfile.GoParseError, ValueError):
        return None
    return _instruction(command)


def read_dockerfile(data: bytes) -> str:
    """Dockerfile bytes as BuildKit reads them: UTF-8, and no newline translation (BuildKit ends
    lines at ``\n`` only; a lone ``\r`` stays inside its line)."""
    return data.decode("utf-8", errors="replace")


def _free_char(text: str, taken: str = "") -> str:
    """A private-use character absent from ``text``: a stand-in the parser treats as a plain letter."""
    for code in range(0xE000, 0xF8FF):
        char = chr(code)
        if char not in text and char not in taken:
            return char
    raise ValueError("no free private-use character")  # pragma: no cover - a 6,400-character alphabet


_MANY_VARIABLES = 64


def run_parser(text: str, *, heredocs: bool = True) -> tuple[tuple, str | None]:
    """BuildKit's parser alone: (commands, None), or ((), its error message).

    The ``dockerfile`` wrapper hands the text to Go as a C string, so it would stop at the first NUL;
    BuildKit reads NULs as ordinary characters. NULs go through as a stand-in character and come
    back in every string. ``heredocs=False`` reads ``<<`` as plain text, as BuildKit < 0.10 does.
    """
    swaps: dict[str, str] = {}
    work = text
    if "\x00" in work:
        stand_in = _free_char(text)
        swaps[stand_in] = "\x00"
        work = work.replace("\x00", stand_in)
    if not heredocs and "<<" in work:
        stand_in = _free_char(text, "".join(swaps))
        swaps[stand_in] = "<<"
        work = work.replace("<<", stand_in)
    if "<<" not in work and work.count("${") >= _MANY_VARIABLES:
        # The parser runs its shell lexer over RUN/COPY/ADD lines to look for heredocs, in time that
        # grows with the square of the nesting of ${A:-${B:-...}} (2,000 levels: 30 s). Without a
        # heredoc in the file, "$" means nothing to the parser: hide it.
        stand_in = _free_char(text, "".join(swaps))
        swaps[stand_in] = "$"
        work = work.replace("$", stand_in)
    try:
        commands = dockerfile.parse_string(work)
    except dockerfile.GoParseError as error:
        return (), _restore_text(str(error), swaps)
    except UnicodeDecodeError:
        # Go's HEALTHCHECK parser ends its first word at any byte 0x85 or 0xA0, even inside a
        # character; the wrapper then cannot decode it. Seen on 28.5.2: `HEALTHCHECK 𒠀` fails
        # with 'Unknown type "\ufffd\ufffd" in HEALTHCHECK (try CMD)'.
        return (), "Unknown type in HEALTHCHECK (try CMD): its type is cut inside a character"
    if swaps:
        commands = tuple(_restore_command(command, swaps) for command in commands)
    if any(command[0] is None for command in commands):
        # A lone continuation backslash gives a command with no keyword: BuildKit's empty instruction.
        commands = tuple(command._replace(cmd="", original=command.original or "") if command[0] is None else command
                         for command in commands)
    return commands, None


def _restore_text(text: str, swaps: dict[str, str]) -> str:
    for stand_in, original in swaps.items():
        text = text.replace(stand_in, original)
    return text


def _restore_command(command, swaps: dict[str, str]):
    fix = _restore_text
    return type(command)(
        fix(command.cmd, swaps),
        fix(command.sub_cmd, swaps) if command.sub_cmd else command.sub_cmd,
        command.json,
        fix(command.original, swaps),
        command.start_line,
        command.end_line,
        tuple(fix(flag, swaps) for flag in _utf8_flags(command.flags)),  # stand-ins are not Latin-1
        tuple(fix(word, swaps) for word in command.value),
        tuple(heredoc._replace(content=fix(heredoc.content, swaps)) for heredoc in command.heredocs),
    )


def parse(text: str, *, heredocs: bool = True) -> ParsedFile:
    """The instructions, parser directives and parse error of Dockerfile text, as BuildKit
    reads it."""
    commands, message = run_parser(text, heredocs=heredocs)
    escape = read_directives(text).get("escape", "\\")
    parsed = ParsedFile(escape=escape if escape in ("\\", "`") else "\\")
    if message is None:
        parsed.instructions = [_instruction(command) for command in commands]
    elif message == "file with no instructions":
        if not text:
            parsed.error = DockerfileError.make(None, "the Dockerfile cannot be empty", "no_from")
        else:
            # BuildKit blames the last line it read.
            lines = text.split("\n")
            last = len(lines) - 1 if lines[-1] == "" else len(lines)
            parsed.error = DockerfileError.make(last, message, "no_from")
    else:
        line = line_from_message(message) or _failing_line(text, message, heredocs)
        parsed.error = DockerfileError.make(line, message, "parse")
    return parsed


def _failing_line(text: str, message: str, heredocs: bool = True) -> int | None:
    """The first line whose inclusion makes the parser fail with ``message`` (the wrapper drops lines).

    Binary search over prefixes: only runs on the error path, O(log n) parses.
    """
    lines = text.split("\n")

    def fails(count: int) -> bool:
        return run_parser("\n".join(lines[:count]) + "\n", heredocs=heredocs)[1] == message

    if not fails(len(lines)):
        return None
    low, high = 1, len(lines)
    while low < high:
        middle = (low + high) // 2
        if fails(middle):
            high = middle
        else:
            low = middle + 1
    return low
