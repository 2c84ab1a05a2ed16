"""Quitting the app during a live build cancels it on the engine: the stream is closed, the
engine kills the running step (no `sleep` left behind) and the worker thread ends at once."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from textual.app import App

from msb_tui.analysis import analyze
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.widgets.build_header import BuildHeader


def _processes_with(marker: str) -> list[int]:
    """PIDs on this machine whose command line holds ``marker`` (the engine runs locally)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.engine
async def test_quitting_during_a_build_cancels_it_on_the_engine(docker_api, offline_images, tmp_path):
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        pytest.skip("needs a local engine to see the build's processes")
    marker = f"msb-test-tui-cancel-{time.time_ns()}"
    # `sleep` first: the shell cannot exec it in place, so its command line (with the marker)
    # lives as long as the step does.
    dockerfile = f"ARG BASE_IMAGE=busybox:1.36\nFROM ${{BASE_IMAGE}} AS slow\nRUN sleep 60 && echo {marker}\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    build_args = {"BASE_IMAGE": offline_images["BASE_IMAGE"]}
    analysis = analyze(dockerfile, build_args=build_args)
    streams = []

    def start():
        stream = open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path, build_args=build_args))
        streams.append(stream)
        return stream

    class BuildApp(App):
        def on_mount(self) -> None:
            self.push_screen(BuildScreen(analysis, start, title="slow"))

    app = BuildApp()
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.screen.query_one(BuildHeader)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (header.data.running_now and _processes_with(marker)):
            await asyncio.sleep(0.1)
        assert header.data.running_now == 1, "the sleep step never started"
        assert _processes_with(marker), "the RUN step's process is not visible on this machine"
        quit_at = time.monotonic()
        await pilot.press("ctrl+q")
    closed_in = time.monotonic() - quit_at
    assert closed_in < 5, f"the app took {closed_in:.1f}s to quit (a worker kept it waiting)"
    assert streams[0].cancelled
    # The engine stopped the solve: the step's process goes away (well before its 60 s).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _processes_with(marker):
        await asyncio.sleep(0.2)
    assert not _processes_with(marker), "the build's sleep still runs on the engine"
    assert time.monotonic() - quit_at < 20
