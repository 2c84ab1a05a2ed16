"""Map BuildKit step names (``[build 2/4] RUN ...``) back to stages and instructions.

BuildKit prefixes each step with an optional platform, the stage name (``stage-N`` for unnamed
stages, nothing when the build has a single stage) and ``N/M``, where M counts an image FROM
plus every RUN, COPY, ADD and WORKDIR. The ONBUILD triggers of a base stage run first in the child
and take the first numbers (current BuildKit also counts them in M; 0.8 does not). The classic
builder names its steps the same way but counts every instruction, FROM included.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.stages import COUNTED_STEPS, Stage

# "[build 2/4] RUN ...", "[linux/amd64 build  2/10] ...", "[stage-0 1/3] FROM ...", "[2/2] RUN ..."
STEP_NAME = re.compile(
    r"^\[(?:(?P<platform>[^\s\]]*/[^\s\]]*) +)?(?:(?P<stage>[^\s/\]]+) +)?\s*(?P<number>\d+)/(?P<total>\d+)\] ?"
    r"(?:ONBUILD )?(?P<text>.*)$",
    re.DOTALL,
)


class StepName(NamedTuple):
    """The parts of ``[platform stage N/M] text``."""

    platform: str | None
    stage: str | None
    number: int
    total: int
    text: str  # the instruction as the engine expanded it, without an ONBUILD prefix

    @property
    def keyword(self) -> str:
        return self.text.split(" ", 1)[0].upper()


def parse_step_name(name: str) -> StepName | None:
    """The parts of a Dockerfile step's name; None for internal steps (``[internal] ...``, ``exporting to image``)."""
    match = STEP_NAME.match(name.strip())
    if match is None:
        return None
    return StepName(match["platform"], match["stage"], int(match["number"]), int(match["total"]), match["text"])


def _keyword(instruction: Instruction) -> str:
    return instruction.sub_cmd.upper() if instruction.cmd == "ONBUILD" and instruction.sub_cmd else instruction.cmd


class StepIndex:
    """Answers "which stage / instruction is this step?" for one Dockerfile."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages

    def stage_for(self, step_name: str) -> Stage | None:
        parts = parse_step_name(step_name)
        if parts is None:
            return None
        if parts.stage is None:
            if len(self.stages) == 1:
                return self.stages[0]  # single-stage builds carry no stage name
            candidates = self.stages
        else:
            candidates = [stage for stage in self.stages if stage.display_name == parts.stage]
            if len(candidates) == 1:
                return candidates[0]
        # Several candidates: the last whose step count matches, else the last (as --from picks).
        same_total = [stage for stage in candidates if stage.step_total == parts.total]
        return (same_total or candidates or [None])[-1]

    def step_for(self, step_name: str) -> tuple[Stage, Instruction | None] | None:
        stage = self.stage_for(step_name)
        if stage is None:
            return None
        number = parse_step_name(step_name).number  # a step name stage_for read
        steps = self.steps_of(stage)
        return stage, steps[number - 1] if 0 < number <= len(steps) else None

    def instruction_for(self, stage: Stage, number: int, keyword: str) -> Instruction | None:
        """The instruction of step ``number`` of ``stage`` whose keyword (RUN, COPY, ...) is ``keyword``:
        by BuildKit's numbering, else the classic builder's, else the stage's first such instruction."""
        if keyword == "FROM":
            return stage.from_instruction
        for steps in (self.steps_of(stage), [stage.from_instruction, *stage.instructions]):
            if 0 < number <= len(steps) and _keyword(steps[number - 1]) == keyword:
                return steps[number - 1]
        return next((i for i in stage.instructions if i.cmd == keyword), None)

    def steps_of(self, stage: Stage) -> list[Instruction]:
        """The instructions behind ``[stage 1/M]``, ``[stage 2/M]``, ...: an image FROM, then the
        ONBUILD triggers of a base stage (BuildKit runs them first, as the child's own steps), then
        the stage's RUN/COPY/ADD/WORKDIR."""
        if stage.base.kind != "stage":
            return stage.counted_steps()
        parent = self.stages[stage.base.stage_index]
        triggers = [trigger for trigger in parent.onbuild if trigger.sub_cmd in COUNTED_STEPS]
        return triggers + stage.counted_steps()
