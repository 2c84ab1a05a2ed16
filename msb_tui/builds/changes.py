"""What ``BuildModel.apply`` returns: the parts of the build a UI should redraw.

The first three carry the live step or stage and compare by identity; the others by value.
"""

from __future__ import annotations

from dataclasses import dataclass

from msb_tui.builds.runs import BuildStatus, StageRun, StepRun


@dataclass(frozen=True, eq=False)
class StageChanged:
    stage: StageRun


@dataclass(frozen=True, eq=False)
class StepChanged:
    step: StepRun


@dataclass(frozen=True, eq=False)
class LogAppended:
    step: StepRun
    lines: list[str]


@dataclass(frozen=True)
class BuildEnded:
    """The build reached its final status (succeeded, failed or cancelled)."""

    status: BuildStatus


@dataclass(frozen=True)
class PlanMismatch:
    """The engine did something the plan did not expect (a skipped stage ran, a needed one did not)."""

    message: str


Change = StageChanged | StepChanged | LogAppended | BuildEnded | PlanMismatch
