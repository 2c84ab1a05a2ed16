"""The ship screen on a real image, engine and registry: wire sizes, a push plan, a push from the app with
progress per layer, and the figures measured in the registry afterwards; the layers view opens it (u)
and its stage sizes carry wire bytes."""

from __future__ import annotations

import uuid

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Static

from msb_tui.registry.server import ADDRESS, ping
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.ship import ShipScreen, default_target


def test_default_target_is_the_local_registry():
    assert default_target("msb-demo/golang:1.19-bookworm") == f"{ADDRESS}/msb-demo/golang:1.19-bookworm"
    assert default_target("app") == f"{ADDRESS}/app:latest"
    assert default_target("ghcr.io/o/app:2") == f"{ADDRESS}/o/app:2"


def _cells(table: DataTable) -> list[list[str]]:
    return [[c.plain if isinstance(c, Text) else str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.engine
async def test_plan_and_push_from_the_app(docker_api, engine_lane, tmp_path, monkeypatch):
    if not ping(ADDRESS):
        pytest.skip(f"no registry at {ADDRESS}: run scripts/dev.sh setup")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from msb_tui.builds.events import ImageBuilt
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    run = uuid.uuid4().hex[:8]
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY one.txt /one.txt\nCOPY two.txt /two.txt\n")
    (tmp_path / "one.txt").write_text("one " * 50_000 + run)
    (tmp_path / "two.txt").write_text("two " * 50_000 + run)
    tag = f"msb-test-ship/tui:{run}"
    stream = open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path, tags=(tag,)))
    assert any(isinstance(e, ImageBuilt) for e in stream)
    app = MsbApp(LaunchOptions(path=tmp_path))
    try:
        async with app.run_test(size=(150, 30)) as pilot:
            await pilot.pause()
            await app.push_screen(ShipScreen(tag))
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert screen.wire is not None and len(screen.wire.layers) == 2
            screen.query_one("#ship-target", Input).value = f"{ADDRESS}/msb-test-ship-{engine_lane.name}/tui:{run}"
            screen.query_one("#ship-table", DataTable).focus()
            await pilot.press("p")
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = _cells(screen.query_one("#ship-table", DataTable))
            assert [row[5] for row in rows] == ["upload", "upload"]
            assert "would upload" in str(screen.query_one("#ship-status", Static).render())
            await pilot.press("u")
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(screen.query_one("#ship-status", Static).render())
            assert "pushed" in status and "2 layer(s) uploaded" in status, status
            rows = _cells(screen.query_one("#ship-table", DataTable))
            assert all(row[4] == "measured (registry)" and row[6] == "Pushed" for row in rows), rows
    finally:
        for name in docker_api.inspect_image(tag).get("RepoTags") or []:
            docker_api.remove_image(name)
