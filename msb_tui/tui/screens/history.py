"""History: recorded builds (date, file, target, outcome, duration); replay one, compare two per stage."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from msb_tui.commands.history import (BuildComparison, cache_cell, compare, list_recordings,
                                      seconds, signed)
from msb_tui.paths import recordings_dir
from msb_tui.sanitize import plain
from msb_tui.tui.screens import BackScreen, from_worker

OUTCOME_STYLE = {"succeeded": "green", "failed": "bold red", "cancelled": "yellow", "interrupted": "yellow",
                 "corrupt": "bold red"}
SPEEDS = {"1": 1.0, "2": 2.0, "5": 5.0, "0": None}


class HistoryScreen(BackScreen):
    CSS_PATH = "history.tcss"
    BINDINGS = [
        Binding("enter", "replay", "Replay"),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("v", "side_by_side", "Side by side"),
        Binding("1", "speed('1')", "×1", show=False),
        Binding("2", "speed('2')", "×2", show=False),
        Binding("5", "speed('5')", "×5", show=False),
        Binding("0", "speed('0')", "max", show=False),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.speed: float | None = 1.0
        self.marked: list[Path] = []
        self.summaries = []

    def compose(self) -> ComposeResult:
        yield Static(Text(" History of recorded builds", style="bold"), id="history-title")
        yield DataTable(id="recordings", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="history-status")
        yield DataTable(id="comparison", cursor_type="row")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#recordings", DataTable)
        table.add_columns("", "date (UTC)", "outcome", "duration", "target", "file", "engine")
        self.query_one("#comparison", DataTable).display = False
        self.action_reload()

    def action_reload(self) -> None:
        self.summaries = list_recordings()
        table = self.query_one("#recordings", DataTable)
        table.clear()
        for summary in self.summaries:
            table.add_row(
                Text("●" if summary.path in self.marked else " ", style="bold"),
                Text(summary.date),
                Text(summary.outcome, style=OUTCOME_STYLE.get(summary.outcome, "")),
                Text(seconds(summary.duration), justify="right"),
                Text(plain(summary.target or "(default)")),
                Text(plain(summary.path.name)),
                Text(plain(summary.engine_label), style="dim"),
                key=str(summary.path),
            )
        self._status()

    def _status(self, extra: str = "") -> None:
        text = Text()
        if not self.summaries:
            text.append(f" no recorded builds in {plain(str(recordings_dir()))}", style="italic")
        else:
            speed = "as fast as possible" if self.speed is None else f"×{self.speed:g}"
            text.append(f" {len(self.summaries)} recording(s) · replay speed {speed} (1 2 5 0)")
            text.append(f" · marked {len(self.marked)}/2 (space; c compares)")
        if extra:
            text.append("  " + extra, style="bold")
        self.query_one("#history-status", Static).update(text)

    def _current(self) -> Path | None:
        table = self.query_one("#recordings", DataTable)
        if not self.summaries or table.cursor_row is None or table.cursor_row >= len(self.summaries):
            return None
        return self.summaries[table.cursor_row].path

    def action_speed(self, key: str) -> None:
        self.speed = SPEEDS[key]
        self._status()

    def action_replay(self) -> None:
        path = self._current()
        if path is not None:
            self.app.open_replay(path, self.speed)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "recordings":
            self.action_replay()

    def action_mark(self) -> None:
        path = self._current()
        if path is None:
            return
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked.append(path)
            self.marked = self.marked[-2:]
        row = self.query_one("#recordings", DataTable).cursor_row
        self.action_reload()
        self.query_one("#recordings", DataTable).move_cursor(row=row)

    def action_side_by_side(self) -> None:
        """Replay the two marked builds next to each other in the build view."""
        if len(self.marked) != 2:
            self._status("mark two builds first (space)")
            return
        self.app.open_replay(self.marked[0], self.speed, compare=self.marked[1])

    def action_compare(self) -> None:
        if len(self.marked) != 2:
            self._status("mark two builds first (space)")
            return
        self._status("comparing…")
        self._compare(self.marked[0], self.marked[1])

    @work(thread=True, exclusive=True, group="compare")
    def _compare(self, a: Path, b: Path) -> None:
        try:
            from_worker(self, self.show_comparison, compare(a, b))
        except Exception as error:  # noqa: BLE001 - a corrupt recording: say so
            from_worker(self, self._status, plain(f"cannot compare: {error}"))

    def show_comparison(self, result: BuildComparison) -> None:
        table = self.query_one("#comparison", DataTable)
        table.clear(columns=True)
        table.add_columns("stage", "A time", "B time", "Δ", "A cache", "B cache")
        for diff in result.stages:
            delta = diff.delta
            style = "green" if delta is not None and delta < -0.05 else "red" if delta is not None and delta > 0.05 else ""
            table.add_row(
                Text(plain(diff.name)),
                Text(seconds(diff.a.duration if diff.a else None), justify="right"),
                Text(seconds(diff.b.duration if diff.b else None), justify="right"),
                Text(signed(delta), style=style, justify="right"),
                Text(cache_cell(diff.a)),
                Text(cache_cell(diff.b)),
            )
        wall_a, wall_b = result.wall
        table.add_row(
            Text("total (wall)", style="bold"),
            Text(seconds(wall_a), justify="right", style="bold"),
            Text(seconds(wall_b), justify="right", style="bold"),
            Text(signed(None if wall_a is None or wall_b is None else wall_b - wall_a), justify="right", style="bold"),
            Text(f"{result.cache_hits[0]}/{result.steps[0]} cached"),
            Text(f"{result.cache_hits[1]}/{result.steps[1]} cached"),
        )
        table.display = True
        self._status(f"A = {plain(result.a.path.name)}  B = {plain(result.b.path.name)}")
