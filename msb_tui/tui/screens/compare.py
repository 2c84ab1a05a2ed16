"""Two images side by side, as ``msb-tui compare A B`` prints them: sizes, shared layers, and the
files added, removed or changed (largest first).

Reading an image means exporting it from the engine (9 s for a 583 MB SDK image here), so both are
read in a thread worker while the title says which one and for how long.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from msb_tui.image.compare import compare_reports
from msb_tui.image.render import compare_text
from msb_tui.image.report import analyze_image
from msb_tui.sanitize import plain
from msb_tui.tui.screens import BackScreen, from_worker
from msb_tui.tui.screens.layers import missing_image_message

FILE_LIMIT = 200  # file differences listed (largest first)


class CompareScreen(BackScreen):
    """The comparison of images ``a`` and ``b``."""

    CSS_PATH = "compare.tcss"

    def __init__(self, a: str, b: str) -> None:
        super().__init__()
        self.a, self.b = a, b
        self.reading: str | None = None  # what is being read now ("A"/"B"), for the ticking title
        self.started = time.monotonic()
        self.comparison = None

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="compare-title")
        yield VerticalScroll(Static(Text(""), id="compare-text"))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._tick = self.set_interval(0.25, self._show_title)
        self._show_title()
        self._compare()

    def _show_title(self) -> None:
        title = Text(" Compare ", style="bold reverse")
        title.append(f" A {plain(self.a)}  B {plain(self.b)}", style="bold")
        if self.reading is not None:
            title.append(f"  reading {self.reading} (its layers and files)… {time.monotonic() - self.started:.1f}s",
                         style="dim")
        self.query_one("#compare-title", Static).update(title)

    def _set_reading(self, which: str | None) -> None:
        self.reading = which
        self.started = time.monotonic()
        self._show_title()

    @work(thread=True, exclusive=True, group="compare")
    def _compare(self) -> None:
        reports = []
        try:
            client = self.app.engine_client()
            for which, image in (("A", self.a), ("B", self.b)):
                from_worker(self, self._set_reading, which)
                try:
                    reports.append(analyze_image(client, image))
                except Exception as error:  # noqa: BLE001 - shown with the image it concerns
                    raise RuntimeError(missing_image_message(error, image) or f"{image}: {error}") from error
            comparison = compare_reports(*reports)
            text = compare_text(comparison, limit=FILE_LIMIT, width=max(60, self.size.width - 2))
        except Exception as error:  # noqa: BLE001 - no engine, unknown image, unreadable export
            from_worker(self, self._show, Text(plain(str(error)), style="bold red"))
            return
        self.comparison = comparison
        text = text.replace(" (use --limit or --json)", " (msb-tui compare A B --limit N)")
        from_worker(self, self._show, Text(text))

    def _show(self, body: Text) -> None:
        self._tick.stop()
        self._set_reading(None)
        self.query_one("#compare-text", Static).update(body)
