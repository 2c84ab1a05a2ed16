"""Input that would crash the engine is refused before it is sent (``engine_safety``).

Two inputs are known to kill dockerd 20.10 (BuildKit 0.8) with a panic in its Dockerfile frontend,
taking every running build with it (both seen on a throwaway engine): a file of only ARG lines
(``index out of range [-1]``) and ``RUN --mount=type=tmpfs,from=...`` (a nil pointer). An empty
file or one of only comments is rejected by the engine without a crash. The check
reads the file as BuildKit does: lines end at ``\\n`` only, so a FROM after a form feed, a vertical
tab, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028/U+2029 or a lone ``\\r`` is still part of the ARG line
before it (Python's ``splitlines()`` would see a FROM there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from msb_tui.analysis.parse import Instruction, parse, read_dockerfile, trigger
from msb_tui.analysis.validate import mount_fields
from msb_tui.analysis.versions import BUILDKIT_08, HEREDOCS, MOUNT_FROM_ONLY_BIND_CACHE, Version, describe

# Line breaks for Python's str.splitlines() that BuildKit does not break lines on.
FALSE_LINE_BREAKS = {
    "\x0b": "a vertical tab (\\x0b)",
    "\x0c": "a form feed (\\x0c)",
    "\x1c": "a file separator (\\x1c)",
    "\x1d": "a group separator (\\x1d)",
    "\x1e": "a record separator (\\x1e)",
    "\x85": "a next-line character (U+0085)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
    "\r": "a carriage return (\\r) not followed by \\n",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a Dockerfile is not sent: ``line`` (1-based, None for the whole file) and the reason.
    ``crash``: the engine in use is known to crash on it (otherwise it would only be refused)."""

    line: int | None
    reason: str
    crash: bool

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line is not None else self.reason


def engine_safety(dockerfile: bytes | str, buildkit: Version | None, target: str | None = None,
                  build_args: Mapping[str, str] | None = None) -> Refusal | None:
    """The reason not to send this Dockerfile to an engine running ``buildkit``, or None.

    ``buildkit`` None (the engine's BuildKit is unknown) checks against the most fragile engine we
    know (0.8). A file of only ARG lines, or with no instruction, is refused on every version
    (nothing can be built from it); for ARG lines on 0.8 the reason says that it would crash the engine.
    What crashes 0.8 only when a stage is needed (a COPY --from a later stage built on the copying
    one) depends on ``target`` and ``build_args``: that is read from the stage graph.
    """
    from msb_tui.analysis import analyze  # the package imports this module

    version = buildkit or BUILDKIT_08
    text = read_dockerfile(dockerfile) if isinstance(dockerfile, bytes) else dockerfile
    parsed = parse(text, heredocs=version >= HEREDOCS)
    if parsed.error is not None and parsed.error.code != "no_from":
        return None  # the engine reports the parse error itself, without crashing
    refused = refusal(text, parsed.instructions, version)
    if refused is None and version < MOUNT_FROM_ONLY_BIND_CACHE:
        analysis = analyze(text, target=target, build_args=build_args, buildkit=version, lint=False)
        crash = next((error for error in analysis.errors if error.code == "engine_crash"), None)
        if crash is not None:
            refused = Refusal(crash.line, crash.message, True)
    return refused


def refusal(text: str, instructions: list[Instruction], version: Version) -> Refusal | None:
    """``engine_safety`` on a file already parsed (``instructions`` empty when it holds none)."""
    crash = version < MOUNT_FROM_ONLY_BIND_CACHE
    if not instructions:  # empty, or only comments: every engine says so itself (measured on 20.10 too)
        return Refusal(None, no_from_reason(text, instructions)[1], False)
    if all(instruction.cmd == "ARG" for instruction in instructions):
        # Only ARGs: BuildKit finds no stage, and 0.8 indexes an empty stage list. Any other
        # instruction before a FROM is reported by the engine itself, without a crash.
        line, why = no_from_reason(text, instructions)
        if crash:
            return Refusal(line, f"{why}; {describe(version)} (Docker 20.10) crashes on a Dockerfile with no "
                                 "FROM (a panic in its Dockerfile frontend), so it is not sent", True)
        return Refusal(line, why, False)
    if crash:
        for instruction, mount in _mounts(instructions):
            fields = mount_fields(mount)
            if fields.get("type", "bind").lower() == "tmpfs" and fields.get("from"):
                return Refusal(instruction.line_start, f"RUN --mount=type=tmpfs,from= crashes {describe(version)} "
                                                       "(Docker 20.10: a nil pointer in its Dockerfile frontend), "
                                                       "so it is not sent; a tmpfs mount takes no from=", True)
    return None


def _mounts(instructions: list[Instruction]):
    """(instruction, --mount value) for every RUN, ONBUILD RUN triggers included."""
    for instruction in instructions:
        held = trigger(instruction) if instruction.cmd == "ONBUILD" else instruction
        if held is not None and held.cmd == "RUN":
            for value in held.flag_values("mount"):
                yield instruction, value


def no_from_reason(text: str, instructions: list[Instruction]) -> tuple[int | None, str]:
    """(line, reason) for a file in which BuildKit finds no FROM, naming a FROM hidden behind a
    character that Python (but not BuildKit) reads as a line break."""
    for number, line in enumerate(text.split("\n"), 1):
        body = line[:-1] if line.endswith("\r") else line  # BuildKit drops the \r of a \r\n
        for char, name in FALSE_LINE_BREAKS.items():
            if char not in body:
                continue
            pieces = body.split(char)
            if any(piece.lstrip().upper().startswith("FROM") for piece in pieces[1:]):
                return number, (
                    f"no FROM instruction: the FROM on line {number} comes after {name}, which is not a line "
                    "break for BuildKit (it ends lines at \\n only), so it is part of the instruction before it"
                )
    if not instructions:
        return None, "the Dockerfile holds no instruction, so there is no FROM and nothing to build"
    last = instructions[-1]
    return last.line_start, "no FROM instruction: only ARG lines, nothing to build"
