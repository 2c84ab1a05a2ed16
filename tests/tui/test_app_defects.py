"""Issue 14: defects a new user hit in the app, each reproduced through Pilot on recordings of real builds."""

from __future__ import annotations

from pathlib import Path

from msb_tui.analysis import analyze
from msb_tui.builds.events import BuildCancelled
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.build_source import EventListSource
from msb_tui.tui.widgets.build_header import BuildHeader
from msb_tui.tui.widgets.stage_pane import StagePane
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.widgets.stage_graph import StageGraph

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demo_dockerfiles"
RECORDINGS = ROOT / "tests" / "fixtures" / "recordings"

from tests.tui.test_build_screen import BuildApp, wait_for  # noqa: E402 - the bare host app and its poll


async def test_the_home_graph_comes_back_after_a_build_screen():
    """Item 1: the build screen's stylesheet hid every widget with id ``graph``, the home graph too."""
    app = MsbApp(LaunchOptions(path=DEMOS / "seed-example"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, GraphScreen)
        app.open_replay(RECORDINGS / "seed-example.jsonl", None)
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home
        graph = home.query_one(StageGraph)
        assert graph.display and graph.region.width > 80, graph.region
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert graph.display and graph.region.width > 40, graph.region


class CancelledLikeTheEngine(EventListSource):
    """A recorded build held open until ``c``, then ended as the runner ends it (a stamped BuildCancelled)."""

    def __init__(self, events, cancelled):
        super().__init__(events, hold_open=True)
        self.cancelled_event = cancelled

    def __iter__(self):
        for event in super().__iter__():
            yield self.cancelled_event if isinstance(event, BuildCancelled) else event


async def test_cancel_mid_step_keeps_the_stage_time_and_clears_cancelling():
    """Item 3: after ``c`` 11 s into ``go build`` the pane said "cancelled 0.5s" and the header kept "cancelling…"."""
    path = RECORDINGS / "go-cancelled.jsonl"
    events = list(replay(path, None))
    assert isinstance(events[-1], BuildCancelled) and events[-1].timestamp
    inputs = read_inputs(path)
    analysis = analyze(inputs["dockerfile_text"], build_args=inputs["build_args"])
    app = BuildApp(lambda: BuildScreen(analysis, lambda: CancelledLikeTheEngine(events[:-1], events[-1]), title="go"))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.columns[0].model.stage("build").state == "running")
        await pilot.press("c")
        await wait_for(pilot, lambda: "BuildCancelled" in app.kinds())
        await app.workers.wait_for_complete()
        await pilot.pause()
        header = screen.query_one(BuildHeader)
        assert header.data.status == "cancelled" and "cancelling" not in header.data.note
        build = next(p for p in screen.query(StagePane) if p.data.name == "build")
        subtitle = str(build.border_subtitle)
        seconds = float(subtitle.split()[-1].rstrip("s"))
        assert subtitle.startswith("cancelled") and seconds > 10, subtitle
