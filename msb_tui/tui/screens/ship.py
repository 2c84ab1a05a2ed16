"""What an image costs to ship: each layer's wire (compressed) size next to its content size, a push
plan against a registry the user names, and a push with progress per layer, measured afterwards.

Everything is computed by the headless ``msb_tui.registry`` core in thread workers; this screen only
shows it. Layer commands and registry names are untrusted and shown as ``Text``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from msb_tui.image.render import size
from msb_tui.registry import render
from msb_tui.registry.client import Reference, RegistryError
from msb_tui.registry.plan import parse_bandwidth, pull_estimate, push_plan
from msb_tui.registry.push import PushCancelled, push_image
from msb_tui.registry.server import ADDRESS
from msb_tui.registry.wire import wire_sizes
from msb_tui.sanitize import plain
from msb_tui.tui.screens import from_worker

BANDWIDTH = "100Mbit"  # the pull estimate's link
COLUMNS = (("layer", 14), ("content", 10), ("wire", 10), ("ratio", 6), ("figure", 22), ("plan", 9),
           ("push", 22), ("instruction", None))


def default_target(image: str) -> str:
    """``127.0.0.1:5000/<name>:<tag>``: the local registry msb-tui's set-up starts."""
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
    name = name.split("/", 1)[1] if "." in name.split("/", 1)[0] or ":" in name.split("/", 1)[0] else name
    return f"{ADDRESS}/{name or 'image'}:{tag or 'latest'}"


class ShipScreen(Screen):
    CSS_PATH = "ship.tcss"
    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("p", "plan", "Push plan"),
        Binding("u", "push", "Push"),
    ]

    def __init__(self, image: str) -> None:
        super().__init__()
        self.image = image
        self.wire: Any = None
        self.plan: Any = None
        self.progress: dict[str, str] = {}  # diff id -> push status text
        self._stop = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f" Ship {plain(self.image)}: reading wire sizes…"), id="ship-title")
        yield Input(value=default_target(self.image), placeholder="registry/repository:tag", id="ship-target")
        yield DataTable(id="ship-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text("p: push plan against the registry above · u: push · escape: back", style="dim"), id="ship-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#ship-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self._load()

    # --- workers (headless core) ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="ship")
    def _load(self) -> None:
        try:
            report = wire_sizes(self.app.engine_client(), self.image,
                                progress=lambda text: from_worker(self, self._status, text, "dim"))
        except Exception as error:  # noqa: BLE001 - shown, never raised in the UI
            from_worker(self, self._status, f"cannot read {self.image}: {error}", "red")
            return
        from_worker(self, self._show_wire, report)

    @work(thread=True, exclusive=True, group="ship")
    def _make_plan(self, target_text: str) -> None:
        try:
            plan = push_plan(self.wire, Reference.parse(target_text))
        except (ValueError, RegistryError) as error:
            from_worker(self, self._status, str(error), "red")
            return
        from_worker(self, self._show_plan, plan)

    @work(thread=True, exclusive=True, group="ship")
    def _push(self, target_text: str) -> None:
        try:
            target = Reference.parse(target_text)
            result = push_image(self.app.engine_client(), self.image, target,
                                on_progress=partial(from_worker, self, self._show_progress),
                                should_stop=lambda: self._stop)
        except PushCancelled:
            return
        except Exception as error:  # noqa: BLE001 - bad target, registry, push or engine errors
            from_worker(self, self._status, f"push failed: {error}", "red")
            return
        from_worker(self, self._show_pushed, result)

    # --- showing the model ----------------------------------------------------------------------------
    def _status(self, text: str, style: str = "") -> None:
        self.query_one("#ship-status", Static).update(Text(text, style=style))

    def _show_wire(self, report) -> None:
        self.wire = report
        title = Text(f" Ship {plain(self.image)}: ", style="bold")
        title.append(f"wire {render.wire_size(report)} (content {size(report.content_size)}, {render.ratio(report.ratio)}) "
                     f"· {', '.join(report.sources) or 'unknown'}")
        self.query_one("#ship-title", Static).update(title)
        estimate = pull_estimate(report, parse_bandwidth(BANDWIDTH))
        self._status(render.estimate_lines(estimate)[0].strip() + " · p: push plan · u: push", "")
        self._fill()

    def _show_plan(self, plan) -> None:
        self.plan = plan
        self._fill()
        self._status(render.plan_lines(plan)[-1].strip(), "bold")

    def _show_progress(self, layer) -> None:
        if self.wire is None:
            return
        for row in self.wire.layers:
            if layer.id in (row.diff_id[7:19], (row.digest or "")[7:19]):
                amount = f" {size(layer.current)}/{size(layer.total)}" if layer.total and layer.status == "Pushing" else ""
                self.progress[row.diff_id] = f"{layer.status}{amount}"
        self._fill()

    def _show_pushed(self, result) -> None:
        if result.measured is not None:
            self.wire = result.measured
        self._fill()
        self._status(f"pushed {result.target} in {render.seconds(result.seconds)}: {len(result.uploaded)} layer(s) "
                     f"uploaded, {len(result.skipped)} already there; measured in the registry: "
                     f"{size(self.wire.wire_size)} on the wire", "bold green")

    def _fill(self) -> None:
        table = self.query_one("#ship-table", DataTable)
        table.clear()
        actions = {p.layer.diff_id: p.action for p in self.plan.layers} if self.plan is not None else {}
        for layer in self.wire.layers if self.wire is not None else []:
            table.add_row(Text(layer.diff_id[7:19]), Text(size(layer.content_size), justify="right"),
                          Text(render.wire_size(layer), justify="right"),
                          Text(render.ratio(layer.ratio), justify="right"), Text(render.figure(layer, short=True), style="dim"),
                          Text(actions.get(layer.diff_id, ""), style="yellow" if actions.get(layer.diff_id) == "upload" else "green"),
                          Text(self.progress.get(layer.diff_id, "")), Text(plain(layer.created_by)))

    # --- actions ------------------------------------------------------------------------------------
    def _target(self) -> str:
        return self.query_one("#ship-target", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_plan()

    def action_plan(self) -> None:
        if self.wire is None:
            self._status("wire sizes are still being read…", "dim")
            return
        self._status(f"asking {self._target()} which layers it has…", "dim")
        self._make_plan(self._target())

    def action_push(self) -> None:
        if self.wire is None:
            return
        self.progress.clear()
        self._status(f"pushing to {self._target()}…", "dim")
        self._push(self._target())

    def on_unmount(self) -> None:
        self._stop = True  # a push in flight is cancelled with its connection

    def action_leave(self) -> None:
        if self.focused is not None and self.focused.id == "ship-target":
            self.query_one("#ship-table", DataTable).focus()
            return
        self.app.pop_screen()
