"""The live build view: a ``BuildColumn`` per build (a second one with ``compare=``, e.g. the
classic builder next to BuildKit), the stage graph coloured with live state, and a searchable full
log of a step. Leaving the screen, quitting or rebuilding cancels the running builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer

from msb_tui.backends.base import BuildSource
from msb_tui.builds.model import BuildModel
from msb_tui.tui.build_column import BuildColumn, BuildRun
from msb_tui.tui.messages import LayersRequested
from msb_tui.tui.widgets.log_view import LogView
from msb_tui.tui.widgets.stage_graph import StageGraph

TICK = 0.25
"""Seconds between timer refreshes (elapsed, running step timers, live timeline)."""


class BuildScreen(Screen):
    """The live build view (see module docstring). Keys: c/ctrl+c cancel, ctrl+r rebuild,
    escape back (cancels a running build), l layers, enter on a step: its full log."""

    CSS_PATH = "build_screen.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    BINDINGS = [
        Binding("c", "cancel_build", "Cancel"),
        Binding("ctrl+c", "cancel_build", "Cancel", show=False, priority=True),
        Binding("ctrl+r", "rebuild", "Rebuild"),
        Binding("escape", "back", "Back"),
        Binding("l", "layers", "Layers"),
    ]

    def __init__(
        self,
        analysis: Any,
        start: Callable[[], BuildSource],
        *,
        title: str = "build",
        compare: BuildRun | None = None,
        dockerfile_text: str | None = None,
        explain: Callable[[BuildModel, BuildSource], Any] | None = None,
    ) -> None:
        super().__init__()
        self.runs = [BuildRun(analysis, start, title, dockerfile_text, explain)]
        if compare is not None:
            self.runs.append(compare)
        self.title = title
        self.sub_title = "build"

    def compose(self) -> ComposeResult:
        with Horizontal(id="build-main"):
            with Horizontal(id="columns"):
                for index, run in enumerate(self.runs):
                    yield BuildColumn(run, id=f"column-{index}", on_states=self._set_graph_states if index == 0 else None)
            if len(self.runs) == 1 and self.runs[0].analysis is not None:
                graph = StageGraph(self.runs[0].analysis, id="graph")
                graph.can_focus = False
                yield graph
        log_view = LogView(id="log-view")
        log_view.display = False
        yield log_view
        yield Footer(compact=True)

    def _set_graph_states(self, states: dict[str, str]) -> None:
        for graph in self.query(StageGraph):
            graph.set_states(states)

    @property
    def columns(self) -> list[BuildColumn]:
        return list(self.query(BuildColumn))

    def on_mount(self) -> None:
        self.set_interval(TICK, self._tick)
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if self.columns:
            self.columns[0].focus_panes()

    def _tick(self) -> None:
        for column in self.columns:
            column.tick()

    def on_unmount(self) -> None:
        self.cancel_all()

    @property
    def building(self) -> bool:
        """A build on this screen is running (quitting asks first)."""
        return any(column.running for column in self.columns)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Cancel is offered (and shown in the footer) only while a build runs."""
        return self.building if action == "cancel_build" else True

    def cancel_all(self) -> None:
        for column in self.columns:
            column.cancel()

    # -- actions -------------------------------------------------------------------------
    def action_cancel_build(self) -> None:
        if self.building:
            self.cancel_all()
            self.notify("cancelling the build…", timeout=2)

    def on_log_view_closed(self, message: LogView.Closed) -> None:
        self.remove_class("-log-open")

    def action_rebuild(self) -> None:
        self.query_one(LogView).display = False
        self.remove_class("-log-open")
        for column in self.columns:
            column.start()
        self.refresh_bindings()
        self.call_after_refresh(self._focus_first)

    def action_back(self) -> None:
        self.cancel_all()
        if len(self.app.screen_stack) > 1:
            self.dismiss()
        else:
            self.app.exit()

    def action_layers(self) -> None:
        model = self.columns[0].model if self.columns else None
        image_id = model.image_id if model is not None else None
        if image_id is None:
            self.notify("no image yet: the layers view opens once the build succeeded", timeout=3)
        self.post_message(LayersRequested(image_id, model))
