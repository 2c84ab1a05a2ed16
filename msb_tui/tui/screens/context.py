"""What the build context costs, in the app: files and bytes sent, the time to send them (measured by
sending the context to the engine, as it is and without the candidates), the biggest files and
folders, what the ignore file keeps out, and the candidates to exclude.

The headless ``msb_tui.cache.context_report`` does the work in thread workers; leaving the screen
stops a send in flight. File names are untrusted: shown as ``Text``, never markup.
"""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from msb_tui.cache.context_render import files, send_line, share, size
from msb_tui.cache.context_report import AS_IS, WITHOUT, measure_send, scan_context
from msb_tui.cache.context_send import Cancelled, SendError
from msb_tui.engine.info import gather
from msb_tui.sanitize import plain
from msb_tui.tui.screens import from_worker

ROUNDS = 3  # sends each way; the report gives their median


class ContextScreen(Screen):
    CSS_PATH = "context.tcss"
    MEASURE_ON_OPEN = True  # send the context as soon as it is read (tests without an engine turn it off)
    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("m", "measure", "Measure send"),
        Binding("y", "copy_lines", "Copy .dockerignore lines"),
        Binding("r", "rescan", "Rescan"),
    ]

    def __init__(self, context_dir, dockerfile=None, *, analysis: Any = None, build_args: dict | None = None,
                 report: Any = None) -> None:
        super().__init__()
        self.build_args = dict(build_args or {})
        self.context_dir = context_dir
        self.dockerfile = dockerfile
        self.analysis = analysis
        self.report = report  # a ContextReport (given: shown as is, nothing scanned)
        self._cancel = threading.Event()
        self._progress: tuple | None = None  # the send's latest progress, shown by a timer
        self._timer: Any = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f" Build context {plain(str(self.context_dir))}: reading…", style="bold"), id="context-title")
        yield Static(Text(""), id="context-summary")
        yield Static(Text("Candidates to exclude", style="bold"), classes="context-heading")
        yield DataTable(id="context-candidates", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="context-sizes"):
            with Vertical():
                yield Static(Text("Biggest files sent", style="bold"), classes="context-heading")
                yield DataTable(id="context-files", cursor_type="row", zebra_stripes=True)
            with Vertical():
                yield Static(Text("Biggest folders sent", style="bold"), classes="context-heading")
                yield DataTable(id="context-folders", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="context-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#context-candidates", DataTable).add_columns("pattern", "size", "files", "kind", "why")
        self.query_one("#context-files", DataTable).add_columns("size", "file")
        self.query_one("#context-folders", DataTable).add_columns("size", "files", "folder")
        if self.report is not None:
            self._show(self.report)
        else:
            self._scan()

    # --- workers (headless core) ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="context")
    def _scan(self) -> None:
        try:
            report = scan_context(self.context_dir, self.dockerfile, self.analysis, self.build_args)
        except Exception as error:  # noqa: BLE001 - shown, never raised in the UI
            from_worker(self, self._status, f"cannot read the build context: {error}", "red")
            return
        from_worker(self, self._show, report)
        if self.MEASURE_ON_OPEN:
            self._measure(report)

    @work(thread=True, exclusive=True, group="context-send")
    def _measure(self, report) -> None:
        sends = ROUNDS * (2 if report.candidates else 1)
        seen: set = set()

        def progress(variant: str, round_index: int, phase: str, done: int, total: int) -> None:
            # Called for every block sent: only noted here (no call into the UI on the send's path);
            # the screen's timer shows the latest.
            seen.add((variant, round_index))
            self._progress = (len(seen), sends, variant, phase, done, total)

        from_worker(self, self._watch_progress, True)
        try:
            client = self.app.engine_client()
            engine = gather(client)
            if not engine.buildkit:
                from_worker(self, self._status, f"the engine at {engine.host} runs no BuildKit "
                                                "builds: the send is measured with BuildKit", "red")
                return
            engine_name = f"Docker {engine.version} at {engine.host}"
            measure_send(report, client, rounds=ROUNDS, engine=engine_name,
                         progress=progress, cancel=self._cancel)
        except Cancelled:
            return
        except SendError as error:
            from_worker(self, self._status, str(error), "red")
            return
        except Exception as error:  # noqa: BLE001 - no engine, connection lost: shown
            from_worker(self, self._status, f"cannot send the context: {error}", "red")
            return
        finally:
            from_worker(self, self._watch_progress, False)
        from_worker(self, self._show, report)

    def _watch_progress(self, on: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._progress = None
        if on:
            self._timer = self.set_interval(0.2, self._show_progress)

    def _show_progress(self) -> None:
        if self._progress is None:
            return
        number, sends, variant, phase, done, total = self._progress
        amount = f"{done:,} files read" if phase == "tar" else f"{size(done)} of {size(total)} sent"
        self._status(f"sending the context {number}/{sends} ({variant}): {amount}… (escape stops)", "dim")

    # --- showing the report -------------------------------------------------------------------------
    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#context-status", Static).update(Text(text, style=style))

    def _show(self, report) -> None:
        self.report = report
        ignore = plain(report.ignore_file) or "no ignore file"
        title = Text(f" Build context {plain(report.context)}", style="bold")
        title.append(f" · Dockerfile {plain(report.dockerfile)} · {ignore}", style="")
        self.query_one("#context-title", Static).update(title)

        summary = Text()
        summary.append("sent ", style="dim")
        summary.append(f"{files(report.sent_files)}, {size(report.sent_bytes)}", style="bold")
        if report.ignore_file:
            summary.append(f"   {ignore} keeps out ", style="dim")
            summary.append(f"{files(report.ignored_files)}, {size(report.ignored_bytes)}")
        summary.append("\ntime to send ", style="dim")
        summary.append(send_line(report, AS_IS) if report.sends else "not measured yet (m sends it)",
                       style="bold" if report.sends else "dim")
        if report.candidates:
            summary.append("\ncandidates ", style="dim")
            summary.append(f"{files(report.candidate_files)}, {size(report.candidate_bytes)} "
                           f"({share(report.candidate_bytes, report.sent_bytes)} of the bytes sent)", style="yellow")
            if WITHOUT in report.sends:
                summary.append("\nwithout them ", style="dim")
                summary.append(send_line(report, WITHOUT))
                summary.append(f"\nsaved per build {size(report.candidate_bytes)} and "
                               f"{report.seconds_saved or 0.0:.2f}s", style="bold green")
        for reader in report.whole_context_readers:
            summary.append(f"\nline {reader.line} ", style="dim")
            summary.append(plain(reader.instruction))
            summary.append(" reads the whole context: every file sent can reach the image", style="dim")
        self.query_one("#context-summary", Static).update(summary)

        table = self.query_one("#context-candidates", DataTable)
        table.clear()
        for candidate in report.candidates:
            table.add_row(Text(plain(candidate.pattern)), Text(size(candidate.bytes), justify="right"),
                          Text(f"{candidate.files:,}", justify="right"), Text(candidate.kind, style="yellow"),
                          Text(candidate.why, style="dim"))
        if not report.candidates:
            table.add_row(Text("nothing to add", style="green"), Text(""), Text(""), Text(""), Text(""))
        file_table = self.query_one("#context-files", DataTable)
        file_table.clear()
        for item in report.biggest_files:
            file_table.add_row(Text(size(item.bytes), justify="right"), Text(plain(item.path)))
        folder_table = self.query_one("#context-folders", DataTable)
        folder_table.clear()
        for item in report.biggest_folders:
            folder_table.add_row(Text(size(item.bytes), justify="right"), Text(f"{item.files:,}", justify="right"),
                                 Text(plain(item.path) + "/"))
        hint = "y copies the lines to add to the ignore file · " if report.candidates else ""
        if report.sends:
            pruned = f" ({report.pruned} build-cache records of the sends removed)" if report.pruned else ""
            self._status(f"measured: median of {report.rounds} sends each way to {plain(report.engine)}{pruned} · "
                         f"{hint}m measures again · escape back", "dim")
        else:
            self._status(f"{hint}m sends the context to measure it · escape back", "dim")

    # --- actions ------------------------------------------------------------------------------------
    def action_measure(self) -> None:
        if self.report is None:
            return
        self._measure(self.report)

    def action_rescan(self) -> None:
        self.report = None
        self._scan()

    def action_copy_lines(self) -> None:
        if self.report is None or not self.report.candidates:
            self.notify("no candidates to exclude", markup=False)
            return
        self.app.copy_to_clipboard(self.report.ignore_lines)
        self.notify(f"copied {len(self.report.candidates)} line(s) for the ignore file", markup=False)

    def on_unmount(self) -> None:
        self._cancel.set()  # a send in flight stops at its next block

    def action_leave(self) -> None:
        self.app.pop_screen()
