"""Builders: the buildx builders, the builds the chosen one remembers (whoever started them), and a
running build followed live. Enter opens a build in the build screen, ``w`` watches the running one
(or waits for the next), ``p`` picks the builder that the app's builds (b) then run on."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from msb_tui.backends.buildx import BuildxUnavailable, builder_names
from msb_tui.backends.history import HistoryError, list_history
from msb_tui.durations import format_duration, format_utc
from msb_tui.sanitize import plain
from msb_tui.tui.screens import BackScreen, from_worker

STATUS_STYLE = {"completed": "green", "error": "bold red", "canceled": "yellow", "running": "bold cyan"}


class BuildersScreen(BackScreen):
    CSS_PATH = "builders.tcss"
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("w", "watch", "Watch running"),
        Binding("p", "pick", "Build on this builder"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, builder: str | None = None) -> None:
        super().__init__()
        self.builder = builder
        self.builders: list[str] = []
        self.entries = []

    def compose(self) -> ComposeResult:
        yield Static(Text(" Builders", style="bold"), id="builders-title")
        yield OptionList(id="builder-list")
        yield DataTable(id="builds", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="builders-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#builds", DataTable).add_columns("created (UTC)", "status", "duration", "steps", "cached", "name")
        self.action_reload()

    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#builders-status", Static).update(Text(" " + text, style=style))

    def action_reload(self) -> None:
        self._status("asking buildx for its builders and their history ...", "italic")
        self._load(self.builder)

    @work(thread=True, exclusive=True, group="builders")
    def _load(self, builder: str | None) -> None:
        try:
            names = builder_names()
            entries = list_history(builder)
            error = None
        except (BuildxUnavailable, HistoryError) as failure:
            names, entries, error = [], [], str(failure)
        from_worker(self, self._show, names, entries, error)

    def _show(self, names: list[str], entries: list, error: str | None) -> None:
        self.builders, self.entries = names, entries
        options = self.query_one("#builder-list", OptionList)
        options.clear_options()
        current = self.builder or (names[0] if names else "")
        options.add_options([Option(Text(("● " if name == current else "  ") + plain(name)), id=name) for name in names])
        table = self.query_one("#builds", DataTable)
        table.clear()
        for entry in entries:
            share = "-" if entry.cached_share is None else f"{entry.cached_share:.0%}"
            table.add_row(Text(format_utc(entry.created)), Text(entry.status, style=STATUS_STYLE.get(entry.status.lower(), "")),
                          Text("-" if entry.duration is None else format_duration(entry.duration), justify="right"),
                          Text(str(entry.total_steps), justify="right"), Text(share, justify="right"),
                          Text(plain(entry.name)), key=entry.id)
        table.focus()
        if error:
            self._status(plain(error), "bold red")
        else:
            running = sum(entry.running for entry in entries)
            self._status(f"builder {plain(current) or '(current)'}: {len(entries)} builds remembered, {running} running; "
                         "Enter opens one, w watches the running one, p builds the app's target here")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.builder = event.option.id
        self.action_reload()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#builds", DataTable)
        if not self.entries or table.cursor_row is None or table.cursor_row >= len(self.entries):
            return
        self.app.open_history_build(self.entries[table.cursor_row].id, self.builder)

    def action_watch(self) -> None:
        self.app.open_history_build(None, self.builder, wait=True)

    def action_pick(self) -> None:
        self.app.use_builder(self.builder or (self.builders[0] if self.builders else None))

