"""The explanation in the app on the real engine, as a user gets it: open a Dockerfile, build with
b, change one source file, rebuild with ctrl+r, read why each step ran and the reorder advice.

The Dockerfile is the Go demo's build stage with the whole-context COPY above `go mod download`
(the CacheBustingCopy order) and without `go build` (which would add a minute of compiling to the
suite for nothing the explanation needs)."""

from __future__ import annotations

import shutil
import time

import pytest
from textual.widgets import Static

from msb_tui.tui.app import LaunchOptions, MsbApp

DOCKERFILE = """\
ARG SDK_IMAGE=golang:1.22
FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY . .
RUN go mod download
"""


async def _built(pilot, app, previous=None):
    for _ in range(600):
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        column = app.screen.columns[0] if getattr(app.screen, "columns", None) else None
        if column is not None and column.explanation is not None and column.explanation is not previous:
            return column
    raise AssertionError("the build was not explained in time")


@pytest.mark.engine
async def test_one_changed_file_is_explained_with_its_cascade_and_the_reorder_advice(
        docker_api, offline_images, tmp_path, engine_lane, demos, monkeypatch):
    if engine_lane.name != "current":
        pytest.skip("the explanation's app test runs on the current engine (issue 18)")
    from msb_tui.tui.build_screen import BuildScreen
    from msb_tui.tui.screens.cause import CauseScreen
    from msb_tui.tui.widgets.stage_pane import StagePane

    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    context = tmp_path / "app"
    shutil.copytree(demos / "go" / "cmd", context / "cmd")
    shutil.copy(demos / "go" / "go.mod", context / "go.mod")
    (context / "Dockerfile").write_text(DOCKERFILE)
    app = MsbApp(LaunchOptions(path=context, offline_demo_args=True), client_factory=lambda: docker_api)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        first = (await _built(pilot, app)).explanation
        assert isinstance(app.screen, BuildScreen)
        # A change BuildKit cannot have in its cache yet.
        with open(context / "cmd" / "server" / "main.go", "a", encoding="utf-8") as handle:
            handle.write(f"\n// msb-test-cacheui {time.time_ns()}\n")
        await pilot.press("ctrl+r")
        column = await _built(pilot, app, first)
        explanation = column.explanation

        by_id = {step.id: step for step in explanation.steps}
        assert (by_id["build:3"].ran, str(by_id["build:3"].cause)) == (True, "files_changed")  # COPY . .
        assert [c["path"] for c in by_id["build:3"].detail["changes"]] == ["cmd/server/main.go"]
        assert (by_id["build:4"].ran, by_id["build:4"].cascade_from) == (True, "build:3")  # go mod download
        assert explanation.disagreements == []
        pane = next(p for p in app.screen.query(StagePane) if p.data.name == "build")
        rows = {row.position: row for row in pane.data.steps}
        assert (rows["3/4"].why, rows["3/4"].cascade) == ("1 file", "origin")
        assert (rows["4/4"].why, rows["4/4"].cascade) == ("↳ 3/4", "follows")
        [advice] = column.advice
        assert (advice.copy_line, advice.install_line, advice.manifests) == (4, 5, ("go.mod",))
        summary = str(app.screen.query_one("#cache-summary", Static).render())
        assert "cmd/server/main.go modified" in summary
        assert "line 5 re-ran" in summary and "copy go.mod first" in summary

        pane.focus()
        pane.cursor = list(rows).index("4/4")
        await pilot.press("w")
        await pilot.pause(0.2)
        assert isinstance(app.screen, CauseScreen)
        advice_text = str(app.screen.query_one(".cause-advice", Static).render())
        assert "COPY go.mod ./\n    RUN go mod download\n    COPY . ." in advice_text
