"""What one build did, per step and per stage, and the states they go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from msb_tui.builds.events import ProgressGroup, StatusUpdate
from msb_tui.builds.log_tail import LogTail


class State(StrEnum):
    """Where a step or a stage is (a step is never ``SKIPPED``: skipping is the plan's, per stage)."""

    PLANNED = "planned"
    RUNNING = "running"
    CACHED = "cached"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the stream broke (engine gone, recording cut) while it ran
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in (State.CACHED, State.DONE, State.FAILED, State.CANCELLED, State.INTERRUPTED)


class BuildStatus(StrEnum):
    """Where the whole build is."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (BuildStatus.SUCCEEDED, BuildStatus.FAILED, BuildStatus.CANCELLED)

    @property
    def stopped(self) -> bool:
        """Ended without an image: failed or cancelled."""
        return self in (BuildStatus.FAILED, BuildStatus.CANCELLED)


def lane_key(stage: str, platform: str | None) -> str:
    """A lane's name: the stage's, prefixed with its platform in a multi-platform build as BuildKit
    prefixes its steps (``linux/arm64 build``)."""
    return f"{platform} {stage}" if platform else stage


def short_platform(platform: str) -> str:
    """``linux/arm64`` -> ``arm64``: where space is short (the timeline's labels); other OSes stay whole."""
    return platform.removeprefix("linux/")


def merged_state(states: list[State]) -> State:
    """One state for a stage that runs on several platforms (the stage graph has one box per stage):
    a failure or running lane wins; part done and part waiting is running."""
    found = set(states)
    if len(found) <= 1:
        return next(iter(found), State.PLANNED)
    for state in (State.FAILED, State.RUNNING, State.INTERRUPTED, State.CANCELLED):
        if state in found:
            return state
    if State.PLANNED in found:
        return State.RUNNING if found & {State.DONE, State.CACHED} else State.PLANNED
    return State.DONE if State.DONE in found else State.CACHED


def _span(started: float | None, completed: float | None) -> float | None:
    if started is None or completed is None:
        return None
    return max(0.0, completed - started)


@dataclass(eq=False)
class StepRun:
    """One BuildKit vertex (a Dockerfile step or an internal step), merged over its updates."""

    digest: str
    name: str
    stage: str | None = None
    position: str | None = None  # "2/4" as BuildKit numbers the stage's steps
    instruction: str = ""  # the step's text after the "[stage N/M] " prefix (as the engine expanded it)
    original: str | None = None  # the Dockerfile instruction as written (from the analysis)
    line_start: int | None = None
    line_end: int | None = None
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    error: str | None = None
    state: State = State.PLANNED
    inputs: tuple[str, ...] = ()
    log: LogTail = field(default_factory=LogTail, repr=False)
    statuses: dict[str, StatusUpdate] = field(default_factory=dict, repr=False)  # sub-task progress by id
    platform: str | None = None  # its lane's target platform in a multi-platform build
    group: ProgressGroup | None = None  # BuildKit shows the vertexes of one group as one row (builds/groups.py)
    # The build ended (cancelled, failed, engine gone) while this step ran and the engine never
    # reported its end: it ran until then.
    cut_off: float | None = None

    @property
    def end(self) -> float | None:
        """When it completed, or when the build ended while it ran."""
        return self.completed if self.completed is not None else self.cut_off

    @property
    def duration(self) -> float | None:
        return _span(self.started, self.end)

    @property
    def internal(self) -> bool:
        return self.stage is None

    @property
    def lane(self) -> str | None:
        """The key of the stage run (lane) it belongs to; None for an internal step."""
        return None if self.stage is None else lane_key(self.stage, self.platform)


@dataclass(eq=False)
class StageRun:
    """One Dockerfile stage in this build (in a multi-platform build: one stage for one platform, a
    lane): its steps and how far it got."""

    name: str
    index: int | None
    state: State = State.PLANNED
    skip_reason: str | None = None
    steps: list[StepRun] = field(default_factory=list, repr=False)
    started: float | None = None
    completed: float | None = None
    needed: bool = True  # the plan needs it (False: skipped)
    announced: bool = False  # the engine announced at least one step named after it
    warnings: list = field(default_factory=list, repr=False)  # BuildKit's build checks on its lines
    platform: str | None = None  # set in a multi-platform build only

    @property
    def key(self) -> str:
        """Unique in a build: the stage name, with the platform in a multi-platform build."""
        return lane_key(self.name, self.platform)

    @property
    def duration(self) -> float | None:
        return _span(self.started, self.completed)
