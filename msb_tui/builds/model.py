"""BuildModel: what a build is doing, per stage and step, fed only by engine events.

Every source (live BuildKit, classic builder, recording, CI log) produces ``events.EngineEvent``
objects; ``BuildModel.apply`` merges them and returns the changes a UI should redraw. Steps are
joined with the Dockerfile analysis (when given) so each knows its stage and Dockerfile lines, and
stages the plan skips are present as "skipped" with the plan's reason.

Times are the engine's timestamps (epoch seconds). Nothing here imports Textual.
"""

from __future__ import annotations

from msb_tui.analysis import Analysis
from msb_tui.builds.attribution import StepPlacer
from msb_tui.builds.changes import BuildEnded, Change, LogAppended, PlanMismatch, StageChanged, StepChanged
from msb_tui.builds.events import (CLASSIC_DIGEST_PREFIX, BuildCancelled, BuildFailed, BuildWarning, EngineEvent,
                                   ImageBuilt, LogChunk, MalformedMessage, StatusUpdate, StreamText, VertexUpdate)
from msb_tui.builds.log_tail import LogTail
from msb_tui.builds.runs import BuildStatus, StageRun, State, StepRun, merged_state
from msb_tui.builds.totals import BuildTotals, compute_totals

_CANCELLED_ERRORS = ("context canceled", "context cancelled", "canceled", "cancelled")


def _is_cancellation(error: str) -> bool:
    text = error.strip().lower()
    return any(text.endswith(word) for word in _CANCELLED_ERRORS)


class BuildModel:
    """Merges engine events into stages, steps, logs and totals; ``apply`` returns what changed."""

    def __init__(self, analysis: Analysis | None = None, *, log_lines_per_step: int = 5000, classic: bool = False):
        """``classic``: the build runs on the classic builder, which runs EVERY stage up to the target
        in file order (so the plan's skipped stages before the target do run)."""
        self.analysis = analysis
        self.classic = classic
        self.log_lines_per_step = log_lines_per_step
        self.status = BuildStatus.PENDING
        self.internal: list[StepRun] = []
        self.steps: dict[str, StepRun] = {}
        self.image_id: str | None = None
        self.error: str | None = None
        self.warnings: list[BuildWarning] = []
        self.malformed = 0
        self.plan_mismatch: list[str] = []
        self.messages: list[str] = []  # engine text outside steps ("Successfully tagged ...")
        self.started: float | None = None
        self.finished: float | None = None
        self._placer = StepPlacer(analysis, classic)
        self._latest: float | None = None
        # The stream broke (engine gone, recording cut): steps still running were interrupted, and
        # the engine never said how they ended.
        self._stream_broke = False
        self._mismatch_keys: set[str] = set()
        self._twins: dict[str, StepRun] = {}  # another build's vertex -> our step (``_classify``)

    @property
    def stages(self) -> list[StageRun]:
        """Every stage, in file order (skipped ones included), then any the engine named that the
        analysis does not know."""
        return self._placer.runs

    # -- apply ----------------------------------------------------------------------------------

    def apply(self, event: EngineEvent) -> list[Change]:
        """Merge one event; return the changes (possibly none)."""
        match event:
            case LogChunk():
                return self._log(event)
            case VertexUpdate():
                return self._vertex(event)
            case StatusUpdate():
                step = self._step(event.vertex)
                if step is None:
                    return []
                step.statuses[event.id] = event
                self._seen(event.timestamp)
                return [StepChanged(step)]
            case ImageBuilt():
                self.image_id = event.image_id
                return self._finish(BuildStatus.SUCCEEDED)
            case BuildFailed():
                self.error = event.message
                detail = event.detail or {}
                self._stream_broke = detail.get("phase") == "stream" or detail.get("recording") == "truncated"
                self._seen(event.timestamp)
                return self._finish(BuildStatus.FAILED)
            case BuildCancelled():
                if self.status in (BuildStatus.SUCCEEDED, BuildStatus.FAILED):
                    return []
                self.error = self.error or event.reason
                self._seen(event.timestamp)
                return self._finish(BuildStatus.CANCELLED)
            case BuildWarning():
                self.warnings.append(event)
                stage = self._stage_at_line(event.line) or self._placer.run_of_step(event.vertex)
                if stage is not None:
                    stage.warnings.append(event)
                    return [StageChanged(stage)]
            case StreamText():
                text = event.text.rstrip("\n")
                if text.strip():
                    self.messages.extend(text.split("\n"))
            case MalformedMessage():
                self.malformed += 1
        return []

    def _stage_at_line(self, line: int | None) -> StageRun | None:
        """The stage whose lines hold ``line`` (BuildKit's build checks point at a line)."""
        if line is None or self.analysis is None:
            return None
        for stage in self.analysis.stages:
            if stage.line_start <= line <= stage.line_end:
                return next((run for run in self.stages if run.index == stage.index), None)
        return None

    def _seen(self, t: float | None) -> None:
        if t is not None and (self._latest is None or t > self._latest):
            self._latest = t

    def _new_step(self, digest: str, name: str) -> StepRun:
        step = StepRun(digest, name, log=LogTail(self.log_lines_per_step))
        self.steps[digest] = step
        return step

    def _step(self, digest: str) -> StepRun | None:
        return self.steps.get(digest) or self._twins.get(digest)

    def _classify(self, step: StepRun, changes: list[Change]) -> StepRun:
        """Attach a newly named step to its stage (or to the internal list); the step to update."""
        stage = self._placer.place(step)
        if stage is None:
            self.internal.append(step)
            return step
        ours = next((other for other in stage.steps if other.name == step.name), None)
        if ours is not None and not self._placer.lanes.active:
            # The same step under another digest: another build's vertex for the same work. BuildKit
            # does identical work once across concurrent builds and reports it on either build's
            # vertex, so the twin's progress is our step's (see ``_vertex``): one row per step.
            # (Not in a multi-platform build: there, each platform's steps of a stage pinned to one
            # platform have the same name.)
            del self.steps[step.digest]
            self._twins[step.digest] = ours
            return ours
        _insert(stage, step)
        for moved, old, new in self._placer.settle(step):
            # A pinned stage's step that works for another platform than its name says (its input
            # is in that platform's lane).
            old.steps.remove(moved)
            _insert(new, moved)
            self._update_stage(old)
            self._update_stage(new)
            changes.extend([StageChanged(old), StageChanged(new), StepChanged(moved)])
        if not stage.needed and stage.name not in self._mismatch_keys:
            self._mismatch_keys.add(stage.name)
            message = (
                f"The engine announced steps for stage '{stage.name}', which the plan skips"
                f" ({stage.skip_reason})."
            )
            self.plan_mismatch.append(message)
            changes.append(PlanMismatch(message))
        changes.append(StageChanged(stage))
        return step

    def _vertex(self, event: VertexUpdate) -> list[Change]:
        changes: list[Change] = []
        if not self.classic and not self.steps and event.digest.startswith(CLASSIC_DIGEST_PREFIX):
            # Steps from the classic builder although the model was made for BuildKit.
            self.classic = True
            changes.extend(StageChanged(stage) for stage in self._placer.become_classic())
        if self.status == BuildStatus.PENDING:
            self.status = BuildStatus.RUNNING
        step = self._step(event.digest)
        if step is None:
            step = self._new_step(event.digest, event.name)
            step.inputs = event.inputs  # a foreign-named step is placed by its inputs
            step = self._classify(step, changes)
        elif not step.name and event.name:
            step.name = event.name
            step = self._classify(step, changes)
        twin = step.digest != event.digest
        if twin and (step.completed is not None or _is_cancellation(event.error or "-")):
            return changes  # our step ended already, or the other build was stopped: not our end
        if event.inputs and not twin:
            step.inputs = event.inputs
        if event.group is not None and not twin:
            step.group = event.group
        if event.started is not None and (step.started is None or event.started < step.started):
            step.started = event.started
        if event.completed is not None:
            if step.completed is None or event.completed > step.completed:
                step.completed = event.completed
            step.cached = event.cached
        if event.error:
            step.error = event.error
        if event.started is not None and self.started is None:
            # The first start in stream order, not the minimum: a vertex shared with an earlier
            # solve (same digest) reports that solve's older start time.
            self.started = event.started
        self._seen(event.completed or event.started)
        step.state = self._step_state(step)
        if step.completed is not None or step.state in (State.FAILED, State.CANCELLED, State.INTERRUPTED):
            flushed = step.log.flush()
            if flushed:
                changes.append(LogAppended(step, flushed))
        changes.append(StepChanged(step))
        stage = self._placer.run_of_step(step.digest)
        if stage is not None and self._update_stage(stage):
            changes.append(StageChanged(stage))
        if self.status.ended and event.completed is not None:
            self.finished = max(self.finished or event.completed, event.completed)
        return changes

    def _step_state(self, step: StepRun) -> State:
        if step.error:
            if _is_cancellation(step.error) or self.status == BuildStatus.CANCELLED:
                return State.CANCELLED
            return State.FAILED
        if step.completed is not None:
            return State.CACHED if step.cached else State.DONE
        if step.started is not None and self.status == BuildStatus.FAILED and self._stream_broke:
            return State.INTERRUPTED
        if self.status.stopped:
            return State.CANCELLED
        if step.started is not None:
            return State.RUNNING
        return State.PLANNED

    def _clamp(self, t: float) -> float:
        """A time no earlier than the build's start (shared vertices carry older times)."""
        return t if self.started is None or t >= self.started else self.started

    def _update_stage(self, stage: StageRun) -> bool:
        """Recompute a stage's state and times from its steps; True if anything changed."""
        before = (stage.state, stage.started, stage.completed)
        if stage.state == State.SKIPPED and not stage.steps:
            return False
        steps = stage.steps
        starts = [self._clamp(s.started) for s in steps if s.started is not None]
        stage.started = min(starts) if starts else None
        states = {s.state for s in steps}
        if State.FAILED in states:
            state = State.FAILED
        elif State.RUNNING in states:
            state = State.RUNNING
        elif states and states <= {State.CACHED, State.DONE}:
            state = State.CACHED if states == {State.CACHED} else State.DONE
        elif State.INTERRUPTED in states:
            state = State.INTERRUPTED
        elif State.CANCELLED in states:
            state = State.CANCELLED
        elif states & {State.CACHED, State.DONE}:
            state = State.RUNNING  # some steps done, others still planned
        else:
            state = State.CANCELLED if self.status.stopped else State.PLANNED
        stage.state = state
        if state.finished:
            ends = [self._clamp(s.end) for s in steps if s.end is not None]
            stage.completed = max(ends) if ends else None
        else:
            stage.completed = None
        return before != (stage.state, stage.started, stage.completed)

    def _log(self, event: LogChunk) -> list[Change]:
        step = self._step(event.vertex)
        if step is None:
            step = self._new_step(event.vertex, "")  # named when its VertexUpdate arrives
        self._seen(event.timestamp)
        lines = step.log.feed(event.data, event.stream)
        if not lines:
            return []
        return [LogAppended(step, lines)]

    def _finish(self, status: BuildStatus) -> list[Change]:
        if self.status.ended and status != BuildStatus.FAILED:
            # A late error after success (e.g. tagging failed) still counts; repeats do not.
            return []
        self.status = status
        changes: list[Change] = []
        if status.stopped:
            for step in self.steps.values():
                if step.completed is None or step.state == State.RUNNING:
                    if step.started is not None and step.completed is None and self._latest is not None:
                        step.cut_off = max(step.started, self._latest)
                    step.state = self._step_state(step)
                    flushed = step.log.flush()
                    if flushed:
                        changes.append(LogAppended(step, flushed))
                    changes.append(StepChanged(step))
        if status == BuildStatus.SUCCEEDED:
            for step in self.steps.values():
                if step.state == State.PLANNED and step.stage is not None:
                    # Announced, never started, and the image is made: BuildKit did not need it, as
                    # a later step's result came from the cache (seen on Docker 28.5.2).
                    step.state, step.cached = State.CACHED, True
                    changes.append(StepChanged(step))
        for stage in self.stages:
            if stage.state == State.SKIPPED and not stage.steps:
                continue
            if status == BuildStatus.SUCCEEDED and stage.state == State.PLANNED and not stage.steps:
                # Needed but no step of its own name: its work was merged into another stage's
                # identical step, or it has nothing that makes a step (FROM + ENV only).
                stage.state = State.DONE
                changes.append(StageChanged(stage))
                continue
            if self._update_stage(stage):
                changes.append(StageChanged(stage))
            if status.stopped and stage.state in (State.PLANNED, State.RUNNING):
                stage.state = State.CANCELLED
                changes.append(StageChanged(stage))
        ends = [s.completed for s in self.steps.values() if s.completed is not None]
        self.finished = max([*ends, self._latest or 0.0]) or None
        if status == BuildStatus.SUCCEEDED:
            changes.extend(PlanMismatch(message) for message in self._check_plan())
        changes.append(BuildEnded(status))
        return changes

    def _check_plan(self) -> list[str]:
        """After a successful build: needed stages with real work but nothing announced for them.

        Not earlier: BuildKit usually announces its whole solve before the first step starts, but a
        cached step can be announced after others started (seen on the real engine)."""
        messages = []
        for run in self._placer.unannounced():
            key = f"missing:{run.name}"
            if key in self._mismatch_keys:
                continue
            self._mismatch_keys.add(key)
            messages.append(f"The plan needs stage '{run.name}' but the engine announced nothing attributable to it.")
        self.plan_mismatch.extend(messages)
        return messages

    # -- queries --------------------------------------------------------------------------------

    def running_steps(self) -> list[StepRun]:
        return [s for s in self.steps.values() if s.state == State.RUNNING]

    def failed_step(self) -> StepRun | None:
        failed = [s for s in self.steps.values() if s.state == State.FAILED]
        if not failed:
            return None
        return min(failed, key=lambda s: s.completed or s.started or 0.0)

    def stage(self, name: str, platform: str | None = None) -> StageRun | None:
        """The run of stage ``name``; in a multi-platform build its lane on ``platform`` (default:
        the first platform's)."""
        return self._placer.stage(name, platform)

    def stage_states(self) -> dict[str, State]:
        """{stage name: state}, one per stage: a multi-platform build's lanes merged (``merged_state``)."""
        lanes: dict[str, list[State]] = {}
        for run in self.stages:
            lanes.setdefault(run.name, []).append(run.state)
        return {name: merged_state(states) for name, states in lanes.items()}

    def no_steps_note(self, stage: StageRun) -> str:
        """Why a stage that is done has no steps: in a multi-platform build, BuildKit ran the
        steps the platforms share once, in another platform's lane."""
        shared = [run.platform for run in self.stages
                  if run.name == stage.name and run is not stage and run.steps and run.platform]
        if stage.platform and shared:
            return f"shared: ran once, in the {', '.join(shared)} lane (the same steps for every platform)"
        return "no steps of its own (merged with an identical step, or nothing to run)"

    @property
    def platforms(self) -> list[str]:
        """The target platforms of a multi-platform build (one lane per stage each); else empty."""
        return list(self._placer.lanes.platforms) if self._placer.lanes.active else []

    def totals(self) -> BuildTotals:
        return compute_totals(self.stages, started=self.started, finished=self.finished, latest=self._latest,
                              stopped=self.status.stopped)


def _insert(stage: StageRun, step: StepRun) -> None:
    """Add ``step`` to ``stage`` in BuildKit's numbering order, not arrival order: current BuildKit
    announces a solve's vertexes last step first (6/6 ... 1/6); BuildKit 0.8 first step first."""
    rank = _step_rank(step)
    at = len(stage.steps)
    while at and _step_rank(stage.steps[at - 1]) > rank:
        at -= 1
    stage.steps.insert(at, step)
    stage.announced = True


def _step_rank(step: StepRun) -> int:
    """The step's number in its stage ("3" of "3/6"); 0 when it has none."""
    number = (step.position or "0/").split("/", 1)[0]
    return int(number) if number.isdigit() else 0
