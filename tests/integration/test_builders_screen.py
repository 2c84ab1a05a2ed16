"""The app's Builders screen on a real builder: it lists the builds the builder remembers, opens a
finished one with its stages, and watches one that another process is running."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from msb_tui.offline import BUSYBOX_IMAGE
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.screens.builders import BuildersScreen

pytestmark = pytest.mark.engine


async def _wait(pilot, condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.1)


async def test_builders_screen_opens_a_remembered_build_and_watches_a_running_one(engine_lane, offline_images, tmp_path, demos):
    if engine_lane.name == "compat":
        pytest.skip("Docker 20.10 (BuildKit 0.8) keeps no build history")
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {BUSYBOX_IMAGE} AS slow\nRUN for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done\n"
                                        f"FROM {BUSYBOX_IMAGE} AS unused\nRUN echo never\nFROM slow\n")
    name = f"msb-builders-{time.time_ns()}"
    app = MsbApp(LaunchOptions(path=demos / "seed-example"))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app.action_builders()
        await _wait(pilot, lambda: isinstance(app.screen, BuildersScreen) and app.screen.entries)
        screen = app.screen
        assert screen.query_one("#builds", DataTable).row_count == len(screen.entries) > 0
        # watch: another process starts a build; once it runs, w follows the most recent running build
        other = subprocess.Popen(["docker", "buildx", "build", "--no-cache", "--progress=quiet", "--build-arg",
                                  f"BUILDKIT_BUILD_NAME={name}", str(context)], env={**os.environ, "DOCKER_HOST": engine_lane.host},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            from msb_tui.backends.history import list_history

            deadline = time.monotonic() + 60
            while not any(e.name == name and e.running for e in list_history()):
                assert time.monotonic() < deadline
                time.sleep(0.1)
            await pilot.press("w")
            await _wait(pilot, lambda: isinstance(app.screen, BuildScreen) and app.screen.columns
                        and app.screen.columns[0].model is not None)
            column = app.screen.columns[0]
            await _wait(pilot, lambda: any(
                s.state.value == "running" for s in column.model.stages))  # seen while it runs
            await _wait(pilot, lambda: column.model.status.value != "running", 90)
            assert column.model.status.value == "succeeded"
        finally:
            other.wait(120)
        assert any("echo tick" in step.name for step in column.model.steps.values())
        await pilot.press("escape")
        await pilot.pause()
        # the finished build, opened from the list: its Dockerfile came with it, so `unused` is skipped
        screen.action_reload()
        await _wait(pilot, lambda: any(e.name == name for e in screen.entries))
        row = next(i for i, e in enumerate(screen.entries) if e.name == name)
        screen.query_one("#builds", DataTable).move_cursor(row=row)
        await pilot.press("enter")
        await _wait(pilot, lambda: isinstance(app.screen, BuildScreen) and app.screen.columns
                    and app.screen.columns[0].model is not None)
        column = app.screen.columns[0]
        await _wait(pilot, lambda: column.model.status.value == "succeeded")
        assert column.model.stage("unused").state.value == "skipped"
        assert column.model.stage("slow").state.value in ("done", "cached")
