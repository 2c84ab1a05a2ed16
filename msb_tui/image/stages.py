"""Dockerfile stages for tying layers to instructions.

Uses the project's analysis (``msb_tui.analysis.analyze``) when it is available; otherwise a
minimal split of BuildKit's parse into stages (global ARG expansion in FROM, ``AS`` names,
``FROM <earlier stage>``), enough for attribution and nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class _Instruction:
    cmd: str
    original: str
    line_start: int
    line_end: int
    value: tuple[str, ...] = ()
    json: bool = False
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Base:
    kind: str  # "image", "stage" or "scratch"
    ref: str


@dataclass(slots=True)
class _Stage:
    index: int
    name: str | None
    base: _Base
    instructions: list[_Instruction] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or f"stage-{self.index}"


def _expand(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        whole = match.group(0)
        if ":-" in whole or (match.group(1) and "-" in whole[2 + len(name) :]):
            default = whole.split("-", 1)[1].rstrip("}") if "-" in whole else ""
            return values.get(name) or default
        return values.get(name, "")

    return _VAR.sub(replace, text)


def _fallback_stages(text: str, build_args: dict[str, str]) -> list[_Stage]:
    import dockerfile

    stages: list[_Stage] = []
    global_args: dict[str, str] = {}
    for command in dockerfile.parse_string(text):
        cmd = command.cmd.upper()
        ins = _Instruction(cmd, command.original, command.start_line, command.end_line, tuple(command.value), bool(command.json), tuple(command.flags))
        if cmd == "ARG" and not stages:
            for item in command.value:
                key, sep, default = item.partition("=")
                global_args[key] = build_args.get(key, default if sep else "")
            continue
        if cmd == "FROM":
            values = list(command.value)
            ref = _expand(values[0], global_args) if values else ""
            name = values[2].lower() if len(values) >= 3 and values[1].upper() == "AS" else None
            if ref.lower() == "scratch":
                base = _Base("scratch", "scratch")
            elif any(stage.name == ref.lower() for stage in stages):
                base = _Base("stage", ref.lower())
            else:
                base = _Base("image", ref)
            stages.append(_Stage(len(stages), name, base, [ins]))
            continue
        if stages:
            stages[-1].instructions.append(ins)
    return stages


def load_stages(text: str, target: str | None = None, build_args: dict[str, str] | None = None):
    """``(stages, target_index)`` for a Dockerfile's text; target defaults to the last stage."""
    build_args = dict(build_args or {})
    try:
        from msb_tui.analysis import analyze  # type: ignore[attr-defined]
    except ImportError:
        analyze = None
    if analyze is not None:
        analysis = analyze(text, target=target, build_args=build_args)
        if analysis.stages:
            if analysis.plan is not None:
                return analysis.stages, analysis.plan.target
            return analysis.stages, _target_index(analysis.stages, target)
    stages = _fallback_stages(text, build_args)
    if not stages:
        raise ValueError("the Dockerfile has no FROM")
    return stages, _target_index(stages, target)


def _target_index(stages, target: str | None) -> int:
    if target is None:
        return len(stages) - 1
    found = None
    for stage in stages:
        if stage.name and stage.name.lower() == target.lower():
            found = stage.index
    if found is None:
        raise ValueError(f"target stage {target!r} not found")
    return found
