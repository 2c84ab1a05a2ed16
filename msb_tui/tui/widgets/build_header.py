"""The build view's header line: status, elapsed time, steps running now, most at once, cache hits."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from msb_tui.durations import format_duration
from msb_tui.sanitize import safe_text
from msb_tui.tui.widgets.stage_pane import STATE_GLYPHS


@dataclass(frozen=True)
class HeaderData:
    """A snapshot of the build's headline figures (taken under the feed lock)."""

    title: str = ""
    status: str = "pending"
    started: float | None = None
    finished: float | None = None
    running_now: int = 0
    max_parallel: int = 0
    cache_hits: int = 0
    steps: int = 0
    image_id: str | None = None
    note: str = ""  # e.g. "cancelling…", a plan mismatch count
    engine: str = ""  # "on Docker 28.5.2 · BuildKit 0.25 · ... at unix://...", "recorded on ..." (EngineInfo.headline)


def header_data(model, title: str, note: str = "", engine: str = "") -> HeaderData:
    """Headline figures from a ``BuildModel`` (call under the feed lock)."""
    totals = model.totals()
    return HeaderData(
        title=title,
        status=model.status,
        started=model.started,
        finished=model.finished,
        running_now=len(model.running_steps()),
        max_parallel=totals.max_parallel,
        cache_hits=totals.cache_hits,
        steps=totals.steps,
        image_id=model.image_id,
        note=note,
        engine=engine,
    )


class BuildHeader(Widget):
    """One or two lines of figures; the elapsed timer ticks while the build runs."""

    DEFAULT_CSS = """
    BuildHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    BuildHeader > .build-header--running { color: $warning; text-style: bold; }
    BuildHeader > .build-header--succeeded { color: $success; text-style: bold; }
    BuildHeader > .build-header--failed { color: $error; text-style: bold; }
    BuildHeader > .build-header--cancelled { color: $text-muted; text-style: bold; }
    BuildHeader > .build-header--label { color: $text-muted; }
    """
    COMPONENT_CLASSES = {
        "build-header--running",
        "build-header--succeeded",
        "build-header--failed",
        "build-header--cancelled",
        "build-header--label",
    }

    def __init__(self, title: str = "", *, id: str | None = None, classes: str | None = None, clock=time.time) -> None:
        super().__init__(id=id, classes=classes)
        self.data = HeaderData(title=title)
        self.clock = clock  # "now" on the engine's clock

    def update_data(self, data: HeaderData) -> None:
        self.data = data
        # Height is auto (the line wraps on narrow terminals): lay out again only if it changes.
        width = max(1, self.content_size.width or 80)
        lines = len(self.render().wrap(self.app.console, width))  # by words, as it is drawn
        self.refresh(layout=lines != getattr(self, "_lines", None))
        self._lines = lines

    def tick(self) -> None:
        if self.data.status in ("running", "pending") and self.data.started:
            self.refresh()

    def elapsed(self) -> float | None:
        data = self.data
        if data.started is None:
            return None
        ended = data.finished is not None and data.status not in ("running", "pending")
        return max(0.0, (data.finished if ended else self.clock()) - data.started)

    def render(self) -> Text:
        data = self.data
        style = self.get_component_rich_style
        label = style("build-header--label")
        status_style = style(f"build-header--{data.status}") if data.status in ("running", "succeeded", "failed", "cancelled") else label
        glyph = STATE_GLYPHS.get(data.status, "·")
        line = Text()
        line.append(f"{glyph} {data.status.upper()}", style=status_style)
        if data.title:
            line.append("  ")
            line.append_text(safe_text(data.title, keep_colours=False))

        narrow = (self.content_size.width or 80) < 70  # e.g. two builds side by side at 80 columns

        def figure(name: str, short: str, value: str) -> None:
            line.append(" " if narrow else "  ")
            line.append(f"{short if narrow else name} ", style=label)
            line.append(value)

        figure("elapsed", "", format_duration(self.elapsed()) or "–")
        figure("running", "run", str(data.running_now))
        figure("max at once", "max", str(data.max_parallel))
        figure("cache hits", "cached", f"{data.cache_hits}/{data.steps}")
        if data.image_id and data.status == "succeeded":
            figure("image", "", data.image_id.removeprefix("sha256:")[:12])
        if data.note:
            line.append("  ")
            line.append_text(safe_text(data.note, keep_colours=False))
        if data.engine:  # "on Docker 28.5.2 · ..." live, "recorded on ..." for a build that ran before
            lead = next((w for w in ("recorded on ", "on ") if data.engine.startswith(w)), "")
            line.append(f"  {lead}", style=label)
            line.append_text(safe_text(data.engine[len(lead):], keep_colours=False))
        return line
