"""The stage model: what each ``FROM`` starts, what it is based on, and the instructions it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from msb_tui.analysis.parse import Instruction

# Instructions BuildKit numbers in step names ("[build 2/4] RUN ..."); an image FROM counts too.
COUNTED_STEPS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})


class Base(NamedTuple):
    """What a stage starts from. ``ref`` is the expanded FROM text (for a stage: its name)."""

    kind: str  # "image" | "stage" | "scratch"
    ref: str
    stage_index: int | None = None


@dataclass(frozen=True, slots=True)
class GlobalArg:
    """An ARG declared before the first FROM: its default, its effective value, where it is."""

    name: str
    default: str | None
    value: str | None
    line: int
    overridden: bool = False


@dataclass(slots=True)
class Stage:
    """One build stage. ``display_name`` is how BuildKit names its steps (``build`` or ``stage-2``)."""

    index: int
    name: str | None
    display_name: str
    base: Base
    base_raw: str
    platform: str | None
    platform_raw: str | None
    line_start: int
    line_end: int
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    args: dict[str, str | None] = field(default_factory=dict)
    onbuild: list[Instruction] = field(default_factory=list)

    @property
    def step_total(self) -> int:
        """BuildKit's step count for this stage (the M in ``[build N/M]``)."""
        return len(self.counted_steps())

    def counted_steps(self) -> list[Instruction]:
        """The instructions numbered in step names, in order (FROM first when it is an image)."""
        steps = [self.from_instruction] if self.base.kind == "image" else []
        steps.extend(instruction for instruction in self.instructions if instruction.cmd in COUNTED_STEPS)
        return steps

    def __hash__(self) -> int:
        return hash(self.index)


class Edge(NamedTuple):
    """A dependency: ``target`` (a stage index) needs ``source`` (a stage index or an image ref)."""

    source: int | str
    target: int
    kind: str  # "base" | "copy" | "mount"
    line: int


def base_chain(stages: list[Stage], stage: Stage) -> list[Stage]:
    """``stage``, then the stages it is built FROM, nearest first (a FROM names only earlier
    stages)."""
    chain = [stage]
    while chain[-1].base.kind == "stage":
        chain.append(stages[chain[-1].base.stage_index])
    return chain


def stage_named(stages: list[Stage], name: str) -> Stage | None:
    """The stage ``--target``/``--from`` picks for ``name``: the last stage of that name (names are
    compared lower-cased, as BuildKit does)."""
    wanted = name.strip().lower()
    found = [stage for stage in stages if stage.name == wanted]
    return found[-1] if found else None


def stage_for_ref(stages: list[Stage], ref: str) -> Stage | None:
    """The stage a ``FROM`` or ``--from`` reference names: a stage name (the last of that name),
    else a 0-based index; None for an image."""
    found = stage_named(stages, ref)
    if found is None and ref.strip().isdigit() and int(ref) < len(stages):
        found = stages[int(ref)]
    return found
