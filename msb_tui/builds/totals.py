"""Build-wide figures from the steps' intervals: wall time, busy time, parallelism, cache hits."""

from __future__ import annotations

from dataclasses import dataclass

from msb_tui.builds.groups import collapse
from msb_tui.builds.runs import StageRun, State, StepRun


@dataclass(frozen=True)
class BuildTotals:
    """Build-wide figures.

    - ``wall``: first step start to last step end (engine clock).
    - ``step_time_sum``: the summed durations of all Dockerfile steps (internal steps excluded).
    - ``max_parallel``: the most Dockerfile steps running at the same moment.
    - ``busy``: the time at least one stage was working (union of the stages' step intervals).
    - ``parallel_saved``: how much longer the build would take if its stages had run one after
      another instead of overlapping: (sum over stages of each stage's busy time) minus ``busy``.
      A stage's busy time is the union of its steps' [start, end] intervals. 0 when nothing overlapped.
    - ``cache_hits``: Dockerfile steps answered from the cache; ``steps``: Dockerfile steps seen (the
      vertexes of one progress group, e.g. a ``COPY --link``, are one step, as BuildKit shows them).
    """

    wall: float | None
    step_time_sum: float
    max_parallel: int
    parallel_saved: float
    busy: float
    cache_hits: int
    steps: int


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total = 0.0
    start = end = None
    for a, b in sorted(intervals):
        if end is None or a > end:
            if end is not None:
                total += end - start
            start, end = a, b
        elif b > end:
            end = b
    if end is not None:
        total += end - start
    return total


def compute_totals(stages: list[StageRun], *, started: float | None, finished: float | None,
                   latest: float | None, stopped: bool) -> BuildTotals:
    """Totals of ``stages``' steps. Times before ``started`` count from it (a vertex shared with an
    earlier solve carries that solve's times); when the build ``stopped`` (failed or cancelled),
    steps cut short count until ``finished``."""
    cut_at = finished if stopped else None

    def clamp(t: float) -> float:
        return t if started is None or t >= started else started

    def interval(step: StepRun) -> tuple[float, float] | None:
        end = step.completed if step.completed is not None else (step.cut_off or cut_at)
        if step.started is None or end is None:
            return None
        return clamp(step.started), max(clamp(step.started), clamp(end))

    steps = [step for stage in stages for step in collapse(stage.steps)]  # a progress group is one step
    intervals = [i for i in map(interval, steps) if i is not None]
    # Max concurrency: sweep over start/end points (ends before starts at the same instant).
    points = sorted([(a, 1) for a, b in intervals if b > a] + [(b, -1) for a, b in intervals if b > a])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    if not points and intervals:
        peak = 1
    per_stage = []
    for stage in stages:
        own = [i for i in map(interval, stage.steps) if i is not None]
        if own:
            per_stage.append(_union_length(own))
    busy = _union_length(intervals)
    wall = None
    end = finished if finished is not None else latest
    if started is not None and end is not None:
        wall = max(0.0, end - started)
    return BuildTotals(
        wall=wall,
        step_time_sum=sum(b - a for a, b in intervals),
        max_parallel=peak,
        parallel_saved=max(0.0, sum(per_stage) - busy),
        busy=busy,
        cache_hits=sum(1 for s in steps if s.state == State.CACHED),
        steps=len(steps),
    )
