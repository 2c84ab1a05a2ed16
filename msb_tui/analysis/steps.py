"""Map BuildKit step names (``[build 2/4] RUN ...``) back to stages and instructions.

BuildKit prefixes each step with an optional platform, the stage name (``stage-N`` for unnamed
stages, nothing when the build has a single stage) and ``N/M``, where M counts an image FROM
plus every RUN, COPY, ADD and WORKDIR. The ONBUILD triggers of a base stage run first in the child
and take the first numbers (current BuildKit also counts them in M; 0.8 does not). Lookups are dictionary-based: linear to build, O(1) each.
"""

from __future__ import annotations

import re

from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.stages import COUNTED_STEPS, Stage

STEP_NAME = re.compile(r"^\[(?P<head>[^\]]*?)\s*(?P<number>\d+)/(?P<total>\d+)\]\s?(?P<rest>.*)$", re.DOTALL)


class StepIndex:
    """Answers "which stage / instruction is this step?" for one Dockerfile."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages
        self.by_name: dict[str, list[Stage]] = {}
        # (name or None for "any", step total) -> the last such stage: duplicate names resolve in O(1).
        self.by_total: dict[tuple[str | None, int], Stage] = {}
        for stage in stages:
            self.by_name.setdefault(stage.display_name, []).append(stage)
            self.by_total[(stage.display_name, stage.step_total)] = stage
            self.by_total[(None, stage.step_total)] = stage

    def stage_for(self, step_name: str) -> Stage | None:
        match = STEP_NAME.match(step_name.strip())
        if not match:
            return None
        tokens = match.group("head").split()
        total = int(match.group("total"))
        names = [token for token in tokens if "/" not in token and "->" not in token]
        if not names:
            # Single-stage builds carry no stage name.
            if len(self.stages) == 1:
                return self.stages[0]
            return self.by_total.get((None, total), self.stages[-1] if self.stages else None)
        candidates = self.by_name.get(names[-1], [])
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        # Duplicate names: the one whose step count matches, else the last (as --from picks).
        return self.by_total.get((names[-1], total), candidates[-1])

    def step_for(self, step_name: str) -> tuple[Stage, Instruction | None] | None:
        stage = self.stage_for(step_name)
        if stage is None:
            return None
        match = STEP_NAME.match(step_name.strip())
        number = int(match.group("number")) if match else 0
        steps = self.steps_of(stage)
        instruction = steps[number - 1] if 0 < number <= len(steps) else None
        return stage, instruction

    def steps_of(self, stage: Stage) -> list[Instruction]:
        """The instructions behind ``[stage 1/M]``, ``[stage 2/M]``, ...: an image FROM, then the
        ONBUILD triggers of a base stage (BuildKit runs them first, as the child's own steps), then
        the stage's RUN/COPY/ADD/WORKDIR."""
        steps = stage.counted_steps()
        if stage.base.kind == "stage" and stage.base.stage_index is not None:
            triggers = [
                trigger
                for trigger in self.stages[stage.base.stage_index].onbuild
                if trigger.sub_cmd in COUNTED_STEPS
            ]
            if triggers:
                steps = triggers + steps
        return steps
