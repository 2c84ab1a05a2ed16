"""Issue 14: defects a new user hit in the app, each reproduced through Pilot on recordings of real builds."""

from __future__ import annotations

from pathlib import Path

from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.widgets.stage_graph import StageGraph

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demo_dockerfiles"
RECORDINGS = ROOT / "tests" / "fixtures" / "recordings"


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
