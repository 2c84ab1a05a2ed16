"""A Gantt timeline of a build: one row per stage, bars scaled to the build's wall time.

Stages that ran at the same time show overlapping bars on their rows; cached steps are marked
(``▒``) instead of drawn as work; skipped stages keep their row with the word "skipped". It renders
from a ``TimelineData`` snapshot (taken under the feed lock), live while the build runs and after.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from msb_tui.builds.engine_steps import Section, section_of
from msb_tui.builds.runs import State, short_platform
from msb_tui.durations import format_duration
from msb_tui.sanitize import plain

LABEL_WIDTH = 14
BAR = "█"
CACHED = "▒"
RUNNING = "▓"


@dataclass(frozen=True)
class Span:
    """One step on the timeline (engine times, seconds since the epoch)."""

    start: float
    end: float | None  # None while running
    state: State


@dataclass(frozen=True)
class TimelineRow:
    label: str
    state: State
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class TimelineData:
    rows: tuple[TimelineRow, ...] = ()
    start: float | None = None  # build start
    end: float | None = None  # build end (None while running)


def timeline_data(model) -> TimelineData:
    """A snapshot of a ``BuildModel`` for the timeline (call under the feed lock)."""
    first = model.started

    def clamp(t: float | None) -> float | None:
        # A vertex shared with an earlier solve (a cached context load, a FROM) reports that
        # solve's older times: on this build's timeline it starts when the build did.
        return t if t is None or first is None or t >= first else first

    def spans(steps) -> tuple[Span, ...]:
        out = []
        for step in steps:
            if step.started is None:
                continue
            state = State.CACHED if step.cached and step.state != State.FAILED else step.state
            out.append(Span(clamp(step.started), clamp(step.completed if step.completed is not None else step.cut_off), state))
        return tuple(out)

    rows = [TimelineRow(_label(stage), stage.state, spans(stage.steps)) for stage in model.stages]
    # The engine's own steps: loading the context and base images before the stages, the export
    # (and its attestations) after them.
    export = spans([step for step in model.internal if section_of(step.name) == Section.EXPORT])
    before = spans([step for step in model.internal if section_of(step.name) != Section.EXPORT])
    if before:
        rows.insert(0, TimelineRow("[context]", State.DONE, before))
    if export:
        rows.append(TimelineRow("[export]", State.DONE, export))
    starts = [span.start for row in rows for span in row.spans]  # clamped: none before the build
    start = model.started if model.started is not None else min(starts, default=None)
    end = model.finished if model.status.ended else None
    if end is None and model.status.ended:
        ends = [span.end for row in rows for span in row.spans if span.end is not None]
        end = max(ends) if ends else start
    return TimelineData(tuple(rows), start, end)


def _label(stage) -> str:
    """The stage's name; in a multi-platform build with its platform short (``build arm64``)."""
    return f"{stage.name} {short_platform(stage.platform)}" if stage.platform else stage.name


def layout_row(row: TimelineRow, start: float, wall: float, width: int, now: float) -> list[str]:
    """The cells of one row's bar area: one character per column (pure, for tests)."""
    cells = [" "] * width
    if wall <= 0:
        wall = 1e-9
    scale = width / wall
    for span in sorted(row.spans, key=lambda s: (s.state == State.CACHED, s.start)):
        end = span.end if span.end is not None else now
        first = int((span.start - start) * scale)
        last = math.ceil((end - start) * scale)
        first = max(0, min(width - 1, first))
        last = max(first + 1, min(width, last))
        char = {State.CACHED: CACHED, State.RUNNING: RUNNING}.get(span.state, BAR)
        for column in range(first, last):
            if span.state == State.CACHED and cells[column] != " ":
                continue  # work already drawn here wins over a cache mark
            cells[column] = char
    return cells


class Timeline(Widget):
    """The Gantt chart: rows of stage bars and a time axis."""

    DEFAULT_CSS = """
    Timeline {
        height: auto;
        max-height: 14;
        padding: 0 1;
        border-top: solid $panel-lighten-2;
    }
    Timeline > .timeline--running { color: $warning; }
    Timeline > .timeline--done { color: $success; }
    Timeline > .timeline--cached { color: $secondary; }
    Timeline > .timeline--failed { color: $error; }
    Timeline > .timeline--cancelled { color: $text-muted; }
    Timeline > .timeline--muted { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "timeline--running",
        "timeline--done",
        "timeline--cached",
        "timeline--failed",
        "timeline--cancelled",
        "timeline--muted",
    }

    def __init__(self, *, id: str | None = None, classes: str | None = None, clock=time.time) -> None:
        super().__init__(id=id, classes=classes)
        self.data = TimelineData()
        self.clock = clock  # "now" on the engine's clock

    def update_data(self, data: TimelineData) -> None:
        resized = len(data.rows) != len(self.data.rows)
        self.data = data
        self.refresh(layout=resized)

    def render(self) -> Text:
        data = self.data
        style = self.get_component_rich_style
        muted = style("timeline--muted")
        if data.start is None or not data.rows:
            return Text("timeline: waiting for the first step", style=muted)
        now = self.clock()
        end = data.end if data.end is not None else now
        wall = max(end - data.start, 0.001)
        width = max(8, (self.content_size.width or 60) - LABEL_WIDTH - 1)
        lines: list[Text] = []
        for row in data.rows:
            label = plain(row.label)
            label = (label[: LABEL_WIDTH - 2] + "…") if len(label) > LABEL_WIDTH - 1 else label
            line = Text(f"{label:<{LABEL_WIDTH}}", style=muted if row.state == State.SKIPPED else "")
            if row.state == State.SKIPPED:
                line.append("skipped", style=muted)
                lines.append(line)
                continue
            cells = layout_row(row, data.start, wall, width, now)
            state = State.CANCELLED if row.state == State.INTERRUPTED else row.state
            coloured = state == State.RUNNING or State(state).finished  # INTERRUPTED: CANCELLED here
            styles = {CACHED: style("timeline--cached"), RUNNING: style("timeline--running"),
                      BAR: style(f"timeline--{state}") if coloured else muted}
            # One span per run of equal cells (a span per cell makes painting slow).
            run_start = 0
            for column in range(1, len(cells) + 1):
                if column == len(cells) or cells[column] != cells[run_start]:
                    char = cells[run_start]
                    line.append(char * (column - run_start), style=styles.get(char))
                    run_start = column
            lines.append(line)
        # Time axis: start, middle and end marks.
        axis = Text(" " * LABEL_WIDTH, style=muted)
        left, middle, right = "0s", format_duration(wall / 2), format_duration(wall)
        gap = width - len(left) - len(middle) - len(right)
        axis.append(left + " " * max(1, gap // 2) + middle + " " * max(1, gap - gap // 2) + right, style=muted)
        lines.append(axis)
        indent = LABEL_WIDTH if width >= 30 else 0
        legend = Text(" " * indent, style=muted)
        legend.append(f"{BAR} ran  {CACHED} cached  {RUNNING} running", style=muted)
        if data.end is None:
            legend.append("  (live)", style=muted)
        lines.append(legend)
        return Text("\n").join(lines)
