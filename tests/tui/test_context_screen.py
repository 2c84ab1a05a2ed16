"""The build-context screen (Pilot): reached with c from the graph and from the palette, it shows
what is sent, what .dockerignore keeps out and the candidates; y copies the lines to add; measured
sends (fed here as figures a real send produced) show the time saved. The send itself is tested on
a real engine in tests/integration/test_context_engine.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from msb_tui.cache.context_report import AS_IS, WITHOUT, scan_context
from msb_tui.cache.context_send import SendTiming
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.context import ContextScreen

REPO = Path(__file__).resolve().parents[2]
NODE_APP = REPO / "tests" / "fixtures" / "context" / "node-app"


@pytest.fixture(autouse=True)
def _no_send(monkeypatch):
    monkeypatch.setattr(ContextScreen, "MEASURE_ON_OPEN", False)


def _column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


async def test_c_opens_the_context_screen_with_candidates_and_y_copies_the_lines():
    app = MsbApp(LaunchOptions(path=NODE_APP))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ContextScreen)
        assert _column(screen.query_one("#context-candidates", DataTable), 0) == ["docs", "dist", "node_modules",
                                                                                  "README.md"]
        summary = str(screen.query_one("#context-summary", Static).render())
        assert "sent 11 files, 14.7 kB" in summary and ".dockerignore keeps out 1 file, 450 Bytes" in summary
        assert "not measured yet" in summary
        assert _column(screen.query_one("#context-files", DataTable), 1)[0] == "docs/design.md"
        await pilot.press("y")
        assert app.clipboard == "docs\ndist\nnode_modules\nREADME.md\n"
        await pilot.press("escape")
        assert not isinstance(app.screen, ContextScreen)


async def test_the_palette_offers_the_build_context():
    app = MsbApp(LaunchOptions(path=NODE_APP))
    async with app.run_test() as pilot:
        await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Build context" in titles


def _timing(total: float, size: int) -> SendTiming:
    return SendTiming(11, size, size // 2, total * 0.2, total * 0.3, total, total * 0.3, total * 0.2)


async def test_measured_sends_show_the_time_to_send_and_the_time_saved():
    report = scan_context(NODE_APP)
    report.sends = {AS_IS: [_timing(1.2, 30_720)] * 3, WITHOUT: [_timing(0.3, 10_240)] * 3}
    report.rounds, report.engine, report.pruned = 3, "Docker 28.5.2 at unix:///run/x.sock", 4
    app = MsbApp(LaunchOptions(path=NODE_APP))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(ContextScreen(NODE_APP, report=report))
        await pilot.pause()
        summary = str(app.screen.query_one("#context-summary", Static).render())
        assert "time to send 1.20s (tar 0.24s, upload 0.36s" in summary
        assert "without them 0.30s" in summary and "saved per build 13.7 kB and 0.90s" in summary
        status = str(app.screen.query_one("#context-status", Static).render())
        assert "median of 3 sends each way" in status and "4 build-cache records" in status


async def test_untrusted_file_names_are_shown_as_written(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox\nCOPY app /app\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x").write_text("x")
    (tmp_path / "[bold red]boom[@click=app.quit]").write_text("y" * 100)
    app = MsbApp(LaunchOptions(path=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _column(app.screen.query_one("#context-candidates", DataTable), 0) == ["\\[bold red]boom\\[@click=app.quit]"]
        assert isinstance(app.screen, ContextScreen)  # nothing was read as markup or an action


async def test_a_missing_context_is_said_not_raised(tmp_path):
    app = MsbApp(LaunchOptions(path=NODE_APP))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(ContextScreen(tmp_path / "nowhere"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "cannot read the build context" in str(app.screen.query_one("#context-status", Static).render())


def test_context_screen_snapshot(snap_compare, monkeypatch):
    monkeypatch.chdir(REPO)  # the relative context path in the title

    async def run_before(pilot) -> None:
        await pilot.pause()
        await pilot.press("c")
        await pilot.app.workers.wait_for_complete()
        for _ in range(3):
            await pilot.pause()
        await pilot.pause(0.1)

    app = MsbApp(LaunchOptions(path=Path("tests/fixtures/context/node-app")))
    assert snap_compare(app, terminal_size=(110, 34), run_before=run_before)
