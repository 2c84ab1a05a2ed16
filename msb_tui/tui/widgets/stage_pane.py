"""One pane per Dockerfile stage in the live build view (per stage and platform in a
multi-platform build): its steps, their state and timing.

A pane renders from a snapshot (``PaneData``) the build column takes from the model under the
feed lock, so painting never reads objects the build thread is changing. Every string that came
from the Dockerfile or the engine goes through ``safe_text``: never markup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from msb_tui.builds.groups import collapse
from msb_tui.builds.runs import BuildStatus, State, lane_key
from msb_tui.durations import format_duration
from msb_tui.sanitize import safe_text
from msb_tui.tui.messages import CheckSelected, StepExplainRequested, StepSelected

# State -> glyph. Glyphs carry the state without colour (NO_COLOR, light themes, screen readers).
STATE_GLYPHS: dict[str, str] = {
    State.PLANNED: "·",
    BuildStatus.PENDING: "·",
    State.RUNNING: "▶",
    State.CACHED: "◆",
    State.DONE: "✔",
    BuildStatus.SUCCEEDED: "✔",
    State.FAILED: "✖",
    State.CANCELLED: "⊘",
    State.INTERRUPTED: "↯",  # the engine went away mid-step
    State.SKIPPED: "–",
}
TERMINAL_STATES = frozenset({*(state for state in State if state.finished), State.SKIPPED, BuildStatus.SUCCEEDED})
TAIL_LINES = 4
"""Log lines shown under the running (or failed) step inside its pane."""
WHY_LINES = 2
"""Rows of a pane the stage's cache explanation may take."""


@dataclass(frozen=True)
class StepRow:
    """What a pane shows of one step."""

    digest: str
    state: str
    position: str  # "2/4" or ""
    text: str  # the instruction (untrusted)
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    why: str = ""  # why it ran instead of coming from the cache, in a few words (cache explanation)
    cascade: str = ""  # "origin": it started a cascade of re-runs; "follows": it ran because of one
    disagrees: bool = False  # the cache prediction said otherwise than BuildKit


@dataclass(frozen=True)
class PaneData:
    """A snapshot of one stage for its pane."""

    name: str
    state: str
    skip_reason: str | None = None
    steps: tuple[StepRow, ...] = ()
    tail: tuple[str, ...] = ()  # last log lines of the running/failed step (untrusted)
    tail_digest: str | None = None
    started: float | None = None
    completed: float | None = None
    warnings: tuple[str, ...] = ()  # BuildKit's build checks on this stage's lines (untrusted)
    warning_lines: tuple[int | None, ...] = ()  # the Dockerfile line of each check (enter shows it there)
    platform: str | None = None  # the lane's platform in a multi-platform build
    note: str = ""  # why a finished stage has no steps (e.g. shared with another platform's lane)
    why: str = ""  # the stage's line of the cache explanation (untrusted: names files and args)

    @property
    def key(self) -> str:
        return lane_key(self.name, self.platform)


def step_row(step, mark=None) -> StepRow:
    """A ``StepRow`` from a model ``StepRun`` (read under the feed lock) and its cache ``StepMark``."""
    text = step.instruction or step.name or step.digest
    return StepRow(
        digest=step.digest,
        state=step.state,
        position=step.position or "",
        text=text,
        started=step.started,
        # A step cut short ends when the build did (the engine reported no end for it).
        completed=step.completed if step.completed is not None else step.cut_off,
        cached=bool(step.cached),
        why=mark.tag if mark else "",
        cascade=mark.role if mark else "",
        disagrees=bool(mark and mark.disagrees),
    )


def pane_data(stage, note: str = "", marks=None, why: str = "") -> PaneData:
    """A ``PaneData`` from a model ``StageRun`` (read under the feed lock); ``note`` is shown when
    it finished without steps; ``marks`` (digest -> ``StepMark``) and ``why`` come from the cache
    explanation once the build ended. A progress group's vertexes (``COPY --link``) are one row, as
    BuildKit shows them."""
    marks = marks or {}
    runs = collapse(stage.steps)
    steps = tuple(step_row(step, marks.get(step.digest)) for step in runs)
    tail: tuple[str, ...] = ()
    tail_digest = None
    focus = next((s for s in runs if s.state == "failed"), None) or next(
        (s for s in reversed(runs) if s.state == "running"), None
    )
    if focus is not None:
        lines = focus.log.lines
        tail = tuple(lines[i] for i in range(max(0, len(lines) - TAIL_LINES), len(lines)))
        tail_digest = focus.digest
    return PaneData(
        name=stage.name,
        state=stage.state,
        skip_reason=stage.skip_reason,
        steps=steps,
        tail=tail,
        tail_digest=tail_digest,
        started=stage.started,
        completed=stage.completed,
        warnings=tuple(w.headline for w in stage.warnings),
        warning_lines=tuple(w.line for w in stage.warnings),
        platform=stage.platform,
        note=note if not steps else "",
        why=why,
    )


class StagePane(Widget, can_focus=True):
    """A stage's steps with glyphs, timers, ``CACHED``, durations and the running step's last lines.

    Up/down move the step cursor, enter opens the step's full log (``StepSelected``),
    left/right move to the neighbouring pane.
    """

    DEFAULT_CSS = """
    StagePane {
        height: auto;
        max-height: 18;
        min-height: 4;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    StagePane:focus { border: round $accent; }
    StagePane.-running { border: round $warning; }
    StagePane.-running:focus { border: heavy $accent; }
    StagePane.-failed { border: round $error; }
    StagePane.-skipped { border: dashed $panel-lighten-1; color: $text-muted; }
    StagePane > .stage-pane--running { color: $warning; text-style: bold; }
    StagePane > .stage-pane--cached { color: $secondary; }
    StagePane > .stage-pane--done { color: $success; }
    StagePane > .stage-pane--failed { color: $error; text-style: bold; }
    StagePane > .stage-pane--muted { color: $text-muted; }
    StagePane > .stage-pane--cursor { background: $boost; text-style: reverse; }
    StagePane > .stage-pane--log { color: $text-muted; }
    """

    COMPONENT_CLASSES = {
        f"stage-pane--{part}"
        for part in ("running", "cached", "done", "failed", "muted", "cursor", "log",
                     "origin", "cascade", "disagrees", "why")
    }

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Prev step", show=False),
        Binding("down,j", "cursor(1)", "Next step", show=False),
        Binding("enter", "select", "Open log"),
        Binding("w", "why", "Why it ran"),
        Binding("left", "neighbour(-1)", "Prev stage", show=False),
        Binding("right", "neighbour(1)", "Next stage", show=False),
    ]

    cursor: reactive[int] = reactive(0)  # a change repaints the pane

    def __init__(self, data: PaneData, *, id: str | None = None, classes: str | None = None, clock=time.time) -> None:
        super().__init__(id=id, classes=classes)
        self.data = data
        self.clock = clock  # "now" on the engine's clock (a replay's clock runs in the past)
        self._apply_state_class()

    # -- data ----------------------------------------------------------------------------
    def update_data(self, data: PaneData) -> None:
        old = self.data
        self.data = data
        if self.cursor >= self._rows:
            self.cursor = max(0, self._rows - 1)
        self._apply_state_class()
        self._update_titles()
        # A new layout only when the pane's height may change (a full layout costs ~10 ms).
        resized = (
            len(old.steps) != len(data.steps)
            or len(old.tail) != len(data.tail)
            or len(old.warnings) != len(data.warnings)
            or bool(old.why) != bool(data.why)
            or old.tail_digest != data.tail_digest
            or (old.state == "skipped") != (data.state == "skipped")
        )
        self.refresh(layout=resized)

    def _apply_state_class(self) -> None:
        for name in ("running", "failed", "skipped", "cached", "done", "cancelled", "interrupted"):
            self.set_class(self.data.state == name, f"-{name}")

    def on_mount(self) -> None:
        self._update_titles()

    def _update_titles(self, now: float | None = None) -> None:
        data = self.data
        title = f"{STATE_GLYPHS.get(data.state, '?')} {data.name}" + (f" · {data.platform}" if data.platform else "")
        self.border_title = safe_text(title, keep_colours=False)
        label = data.state
        if data.state == "running" and data.started:
            label = f"running {format_duration((now or self.clock()) - data.started)}"
        elif data.started and data.completed:
            label = f"{data.state} {format_duration(data.completed - data.started)}"
        self.border_subtitle = Text(label)

    def tick(self, now: float | None = None) -> None:
        """Refresh the live timers (called a few times a second while the stage runs)."""
        if self.data.state == "running" or any(s.state == "running" for s in self.data.steps):
            self._update_titles(now)
            self.refresh()

    @property
    def _rows(self) -> int:
        """Rows the cursor moves over: the steps, then the build checks."""
        return len(self.data.steps) + len(self.data.warnings)

    @property
    def selected_digest(self) -> str | None:
        steps = self.data.steps
        if not steps or self.cursor >= len(steps):
            return None
        return steps[self.cursor].digest

    # -- actions -------------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        if self._rows:
            self.cursor = max(0, min(self._rows - 1, self.cursor + delta))

    def action_select(self) -> None:
        digest = self.selected_digest
        if digest is not None:
            self.post_message(StepSelected(digest))
            return
        check = self.cursor - len(self.data.steps)
        if 0 <= check < len(self.data.warnings):
            lines = self.data.warning_lines
            self.post_message(CheckSelected(self.data.warnings[check], lines[check] if check < len(lines) else None))

    def action_why(self) -> None:
        digest = self.selected_digest
        if digest is not None:
            self.post_message(StepExplainRequested(digest))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """"Why it ran" is offered once the cache explanation is in (the build ended)."""
        if action == "why":
            return bool(self.data.why)
        return True

    def action_neighbour(self, delta: int) -> None:
        panes = [pane for pane in self.parent.children if isinstance(pane, StagePane) and pane.display] if self.parent else []
        if self in panes:
            target = panes[(panes.index(self) + delta) % len(panes)]
            target.focus()

    def on_click(self, event) -> None:
        # event.y counts the top border; a click on a step's line (not a log line) selects it.
        row = event.y - 1
        if 0 <= row < len(self._line_steps) and self._line_steps[row] is not None:
            self.cursor = self._line_steps[row]
        self.focus()

    def _why_tag(self, row: StepRow) -> Text:
        """``1 file ``, ``↳ build 5 ``: the cause of a re-run, styled by its place in the cascade."""
        style = self.get_component_rich_style
        tag = Text()
        if row.disagrees:
            tag.append("≠ ", style=style("stage-pane--disagrees"))
        if row.why:
            role = "stage-pane--origin" if row.cascade == "origin" else "stage-pane--cascade"
            tag.append_text(safe_text(row.why, keep_colours=False, style=style(role)))
            tag.append(" ")
        return tag

    # -- rendering -----------------------------------------------------------------------
    _line_steps: list[int | None] = []

    def render(self) -> Text:
        data = self.data
        now = self.clock()
        style = self.get_component_rich_style
        width = max(10, self.content_size.width or 40)
        if data.state == "skipped":
            self._line_steps = [None]
            reason = safe_text(data.skip_reason or "not needed for this target", keep_colours=False)
            return Text("skipped: ", style=style("stage-pane--muted")).append_text(reason)
        cursor_line = 0
        focus_line = None  # the running (or failed) step: what an unfocused pane keeps in view
        step_lines: list[Text] = []
        line_steps: list[int | None] = []  # step index of each line (None: a log line)
        for index, row in enumerate(data.steps):
            if index == self.cursor:
                cursor_line = len(step_lines)
            if row.digest == data.tail_digest or (focus_line is None and row.state == "running"):
                focus_line = len(step_lines)
            step_lines.append(self._render_step(row, index, width, now))
            line_steps.append(index)
            if row.digest == data.tail_digest:
                for raw in data.tail:
                    log_line = Text("  │ ", style=style("stage-pane--log"))
                    log_line.append_text(safe_text(raw))
                    log_line.truncate(width, overflow="ellipsis")
                    step_lines.append(log_line)
                    line_steps.append(None)
        if not step_lines:
            waiting = data.note if data.note and data.state in TERMINAL_STATES else "waiting for the engine…"
            step_lines.append(safe_text(waiting, keep_colours=False))
            step_lines[-1].stylize(style("stage-pane--muted"))
            line_steps.append(None)
        for number, warning in enumerate(data.warnings):  # the engine's build checks (enter: on its line)
            index = len(data.steps) + number
            if index == self.cursor:
                cursor_line = len(step_lines)
            text = Text("⚠ ", style="yellow")
            text.append_text(safe_text(warning, keep_colours=False))
            text.truncate(width, overflow="ellipsis")
            if index == self.cursor and self.has_focus:
                text.stylize(style("stage-pane--cursor"))
            step_lines.append(text)
            line_steps.append(index)
        if data.why:  # the stage's line of the cache explanation (two rows at most)
            text = Text("why: ", style=style("stage-pane--why"))
            text.append_text(safe_text(data.why, keep_colours=False, style=style("stage-pane--why")))
            wrapped = list(text.wrap(self.app.console, width, overflow="ellipsis"))
            if len(wrapped) > WHY_LINES:
                wrapped = wrapped[:WHY_LINES]
                wrapped[-1].append("…")
                wrapped[-1].truncate(width, overflow="ellipsis")
            step_lines.extend(wrapped)
            line_steps.extend([None] * len(wrapped))
        # Keep the cursor (focused) or the running step (unfocused) visible when the content is
        # taller than the pane may grow. (Decided from max-height, not the current size: auto
        # height measures this very output.)
        limit = self._max_content_lines()
        if limit and len(step_lines) > limit:
            anchor = cursor_line if self.has_focus or focus_line is None else focus_line + len(data.tail) // 2
            start = max(0, min(anchor - limit // 2, len(step_lines) - limit))
            step_lines = step_lines[start : start + limit]
            line_steps = line_steps[start : start + limit]
        self._line_steps = line_steps
        return Text("\n").join(step_lines)

    def _max_content_lines(self) -> int | None:
        max_height = self.styles.max_height
        if max_height is None or not max_height.is_cells:
            return None
        return max(1, int(max_height.value) - self.styles.gutter.height)

    def _render_step(self, row: StepRow, index: int, width: int, now: float) -> Text:
        style = self.get_component_rich_style
        state = row.state if row.state in ("running", "cached", "done", "failed") else "muted"
        state_style = style(f"stage-pane--{state}")
        if row.state == "cached" or (row.cached and row.state != "failed"):
            right = "CACHED"
        elif row.started is not None and (row.state == State.RUNNING or State(row.state).finished):
            end = row.completed if row.completed is not None else now
            right = format_duration(end - row.started)
        else:
            right = ""
        glyph = STATE_GLYPHS.get(row.state, "?")
        left = Text(f"{glyph} ", style=state_style)
        if row.position:
            left.append(f"{row.position} ", style=style("stage-pane--muted"))
        tag = self._why_tag(row)
        body = safe_text(row.text, keep_colours=False)
        body.no_wrap = True
        body.truncate(max(1, width - left.cell_len - tag.cell_len - len(right) - 1), overflow="ellipsis")
        left.append_text(body)
        pad = max(1, width - left.cell_len - tag.cell_len - len(right))
        left.append(" " * pad)
        left.append_text(tag)
        left.append(right, style=state_style)
        if row.cascade == "origin":  # the step that set the re-runs off stands out in its pane
            left.stylize(style("stage-pane--origin"), 0, len(glyph) + 1)
        if index == self.cursor and self.has_focus:
            left.stylize(style("stage-pane--cursor"))
        return left
