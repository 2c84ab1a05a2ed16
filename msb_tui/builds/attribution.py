"""Which stage, and which Dockerfile lines, each step of a build belongs to.

BuildKit names a step after its stage (``[build 2/4] RUN ...``), but it shares identical vertices
between solves and a shared vertex keeps the name it got first: a step can arrive named after a
stage of ANOTHER build (``[unused 1/2] FROM busybox`` in a file with no ``unused``). Such steps are
placed by what they do (a FROM by its image, anything else by the step it follows), never by name.
"""

from __future__ import annotations

import re

from msb_tui.analysis import Analysis
from msb_tui.analysis.stages import COUNTED_STEPS, Stage
from msb_tui.analysis.steps import StepIndex, parse_step_name
from msb_tui.builds.lanes import Lanes
from msb_tui.builds.runs import StageRun, State, StepRun

CLASSIC_SKIP_REASON = "after the target stage: the classic builder stops at the target"
_DOCKER_HUB = re.compile(r"^(?:index\.)?docker\.io/(?:library/)?")


def normal_ref(ref: str) -> str:
    """An image reference without the default registry/namespace and digest, for comparisons."""
    ref = _DOCKER_HUB.sub("", ref.strip().split("@", 1)[0].lower()).removeprefix("library/")
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref


class StepPlacer:
    """Owns the build's stage runs (one per stage of the analysis, skipped ones included, plus any
    the engine names that the analysis does not know; in a multi-platform build one per stage and
    platform, see :mod:`msb_tui.builds.lanes`) and files each named step under one of them."""

    def __init__(self, analysis: Analysis | None, classic: bool = False):
        self._runs: list[StageRun] = []  # one per stage, whatever the platforms
        self._stages: list[Stage] = analysis.stages if analysis is not None else []
        self._plan = analysis.plan if analysis is not None else None
        self._index = StepIndex(self._stages)
        self._by_name: dict[str, StageRun] = {}  # lower-cased display name -> run (what --from picks)
        self._stage_by_name: dict[str, Stage] = {}
        self._run_by_index: dict[int, StageRun] = {}
        self._run_of_step: dict[str, StageRun] = {}  # step digest -> its stage (names can repeat)
        needed = self._plan.needed if self._plan is not None else None
        reasons = self._plan.skip_reasons if self._plan is not None else {}
        default_reason = "not needed for the target"
        if classic and self._plan is not None:
            needed = set(range(self._plan.target + 1))
            reasons, default_reason = {}, CLASSIC_SKIP_REASON
        for stage in self._stages:
            run = StageRun(stage.display_name, stage.index)
            if needed is not None and stage.index not in needed:
                run.state, run.needed = State.SKIPPED, False
                run.skip_reason = reasons.get(stage.index) or default_reason
            self._runs.append(run)
            self._run_by_index[stage.index] = run
            # Duplicate names: BuildKit's --from means the last one; a needed one wins over a skipped one.
            key = stage.display_name.lower()
            previous = self._by_name.get(key)
            if previous is None or run.needed or not previous.needed:
                self._by_name[key] = run
                self._stage_by_name[key] = stage
        self.lanes = Lanes(getattr(analysis, "platforms", None) or [], self._pinned)

    @property
    def runs(self) -> list[StageRun]:
        return self.lanes.runs(self._runs)

    def stage(self, name: str, platform: str | None = None) -> StageRun | None:
        """The run of stage ``name`` (in a multi-platform build: on ``platform``, else the first lane)."""
        run = self._by_name.get(name.lower())
        if run is None or not self.lanes.active:
            return run
        lanes = self.lanes.lanes_of(run)
        return next((lane for lane in lanes if lane.platform == platform), lanes[0] if lanes and platform is None else None)

    def _pinned(self, index: int | None) -> bool:
        """The stage's FROM (or its base stage's) pins a platform: it runs there for every target."""
        seen = set()
        while index is not None and 0 <= index < len(self._stages) and index not in seen:
            seen.add(index)
            stage = self._stages[index]
            if stage.platform_raw:
                return True
            index = stage.base.stage_index if stage.base.kind == "stage" else None
        return False

    def run_of_step(self, digest: str) -> StageRun | None:
        return self._run_of_step.get(digest)

    def become_classic(self) -> list[StageRun]:
        """Switch to the classic builder's plan (every stage up to the target runs); the runs changed."""
        changed = []
        target = self._plan.target if self._plan is not None else None
        if target is None:
            return changed
        for run in self.runs:
            if run.index is None:
                continue
            if run.index <= target and not run.needed:
                run.needed, run.state, run.skip_reason = True, State.PLANNED, None
                changed.append(run)
            elif run.index > target and run.needed:
                run.needed, run.state, run.skip_reason = False, State.SKIPPED, CLASSIC_SKIP_REASON
                changed.append(run)
        for run in list(changed):
            changed.extend(self.lanes.sync(run))
        # Duplicate names: prefer the stage the classic builder runs.
        for stage in self._stages:
            run = self._run_by_index[stage.index]
            if run.needed:
                self._by_name[stage.display_name.lower()] = run
                self._stage_by_name[stage.display_name.lower()] = stage
        return changed

    def unannounced(self) -> list[StageRun]:
        """Needed stages with real work (RUN, COPY, ADD, WORKDIR) for which no step was announced."""
        found = []
        for stage in self._stages:
            run = self._by_name.get(stage.display_name.lower())
            if run is None or not run.needed or run.announced:
                continue
            if any(lane.announced for lane in self.lanes.lanes_of(run)):
                continue  # in a multi-platform build the platforms share identical steps
            if any(instruction.cmd in COUNTED_STEPS for instruction in stage.instructions):
                found.append(run)
        return found

    def place(self, step: StepRun) -> StageRun | None:
        """File a named step: set its stage, position and Dockerfile lines; its stage run, or None
        for an internal step (or one of another build that no stage of ours explains)."""
        parts = parse_step_name(step.name)
        if parts is None:
            step.instruction = step.name
            return None
        if parts.stage is None:
            # Nameless steps belong to single-stage files; in a multi-stage file one comes from
            # another build's single-stage solve sharing this vertex.
            known = len(self._stages) <= 1
        else:
            known = parts.stage.lower() in self._by_name
        named = self._by_name.get(parts.stage.lower()) if known and parts.stage else None
        if named is not None and not named.needed:
            # Named after a stage this plan skips: a vertex shared with another build belongs to the
            # needed stage that performs the same operation; only a step no needed stage explains
            # is a mismatch.
            found = self._foreign(step, parts.text, exact=True)
            if found is not None and found[0].needed:
                known = False
        if self._stages and not known:
            found = self._foreign(step, parts.text)
            if found is None:
                step.instruction = step.name
                return None
            run, stage = found
        else:
            run, stage = self._run_for(parts.stage)
            mapped = self._index.stage_for(step.name) if stage is not None else None
            if mapped is not None:
                # Duplicate stage names are told apart by their step count.
                run, stage = self._run_by_index[mapped.index], mapped
        run = self.lanes.lane(self.lanes.template(run),
                              self.lanes.platform_for(step, parts.platform, self.lanes.template(run), self._run_of_step.get))
        step.stage = run.name
        step.platform = run.platform
        step.position = f"{parts.number}/{parts.total}"
        step.instruction = parts.text
        if stage is not None:
            if known or parts.keyword == "FROM":
                instruction = self._index.instruction_for(stage, parts.number, parts.keyword)
            else:
                # Another build's numbering says nothing about ours: trust only an exact text match.
                instruction = next((i for i in stage.instructions if i.original == parts.text), None)
            if instruction is not None:
                step.line_start, step.line_end, step.original = (
                    instruction.line_start, instruction.line_end, instruction.original)
        self._run_of_step[step.digest] = run
        return run

    def settle(self, step: StepRun) -> list[tuple[StepRun, StageRun, StageRun]]:
        """Steps of a pinned stage that the newly placed ``step`` moves to another platform's lane."""
        return self.lanes.settle(step, self._run_of_step) if self.lanes.active else []

    def _run_for(self, name: str | None) -> tuple[StageRun, Stage | None]:
        if name is None:
            # BuildKit drops the stage name when the Dockerfile has a single stage.
            key = self._stages[0].display_name.lower() if len(self._stages) == 1 else "stage-0"
        else:
            key = name.lower()
        run = self._by_name.get(key)
        if run is None:
            index = int(key[6:]) if key.startswith("stage-") and key[6:].isdigit() else None
            run = self._by_name[key] = StageRun(key, index)
            self._runs.append(run)
        return run, self._stage_by_name.get(key)

    def _foreign(self, step: StepRun, text: str, *, exact: bool = False) -> tuple[StageRun, Stage] | None:
        """The stage of ours a step named by another build's solve belongs to, if any.

        ``exact``: only a stage whose base image (FROM) or one of whose instructions (others)
        is the very same operation; no best guess.
        """
        if text.upper().startswith("FROM "):
            return self._foreign_from(text, exact=exact)
        found = self._foreign_by_inputs(step, text)
        if exact and found is not None and not any(i.original == text for i in found[1].instructions):
            return None
        return found

    def _foreign_by_inputs(self, step: StepRun, text: str) -> tuple[StageRun, Stage] | None:
        """A non-FROM step continues the stage its input (the previous step) belongs to, if exactly
        one of our stages feeds it and that stage has an instruction of the same kind."""
        keyword = text.split(" ", 1)[0].upper()
        candidates: list[StageRun] = []
        for digest in step.inputs:
            run = self._run_of_step.get(digest)
            run = self.lanes.template(run) if run is not None else None
            if run is None or run in candidates or run.index is None or run.index >= len(self._stages):
                continue
            if any(i.cmd == keyword for i in self._stages[run.index].instructions):
                candidates.append(run)
        if len(candidates) != 1:
            return None
        return candidates[0], self._stages[candidates[0].index]

    def _foreign_from(self, text: str, *, exact: bool = False) -> tuple[StageRun, Stage] | None:
        """A FROM step named after another build's stage: the needed stage with that base image."""
        ref = normal_ref(text.split(" ", 1)[1] if " " in text else "")
        candidates = []
        for stage in self._stages:
            run = self._by_name.get(stage.display_name.lower())
            if stage.base.kind == "image" and run is not None and run.needed:
                candidates.append((run, stage))
        for run, stage in candidates:
            if normal_ref(stage.base.ref or "") == ref:
                return run, stage
        if candidates and not exact:
            return candidates[0]
        return None
