"""The build view of a multi-platform build: one pane per stage and platform, titled with the
platform, and one timeline row per lane (a real buildx build of demo_dockerfiles/multiplatform for
linux/amd64 and linux/arm64 on the containerd lane, replayed)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.app import App

from msb_tui.backends.replay import ReplaySource
from msb_tui.builds.recording import read_inputs
from msb_tui.commands.replay import analysis_for_recording
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.widgets.engine_pane import EnginePane
from msb_tui.tui.widgets.stage_pane import StagePane
from msb_tui.tui.widgets.timeline import Timeline

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "tests" / "fixtures" / "recordings" / "containerd" / "multiplatform.jsonl"
PANES = ["build · linux/amd64", "build · linux/arm64", "docs · linux/amd64", "docs · linux/arm64",
         "test · linux/amd64", "test · linux/arm64", "final · linux/amd64", "final · linux/arm64"]


class Host(App):
    def __init__(self, analysis):
        super().__init__()
        self.analysis = analysis

    def on_mount(self) -> None:
        self.push_screen(BuildScreen(self.analysis, lambda: ReplaySource(RECORDING, None), title="multiplatform"))


async def finished(pilot, app) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, BuildScreen) and screen.columns and screen.columns[0].model is not None \
                and screen.columns[0].model.status.ended and not screen.columns[0].running:
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
            # The last batch painted (under load it can trail the model's end).
            panes = stage_panes(screen)
            if len(panes) == len(PANES) and all(p.data.state not in ("planned", "running") for p in panes) \
                    and screen.query_one(Timeline).data.end is not None:
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the replay did not finish: {[(p.data.key, p.data.state) for p in stage_panes(app.screen)]}")


async def still(pilot, timeout: float = 10.0) -> None:
    """Until two exports a moment apart are the same: work the build's end started (the cache
    explanation, the last batch) can paint late on a loaded machine."""
    previous = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.3)
        shot = pilot.app.export_screenshot()
        if shot == previous:
            return
        previous = shot


def stage_panes(screen) -> list[StagePane]:
    """The stage panes (not the engine steps' pane)."""
    return [pane for pane in screen.query(StagePane) if not isinstance(pane, EnginePane)]


def titles(app) -> list[str]:
    return [str(pane.border_title).split(" ", 1)[1] for pane in stage_panes(app.screen)]


async def run_and_check(analysis) -> None:
    app = Host(analysis)
    async with app.run_test(size=(120, 50)) as pilot:
        await finished(pilot, app)
        assert titles(app) == PANES
        panes = {pane.data.key: pane for pane in stage_panes(app.screen)}
        arm = panes["linux/arm64 build"]
        assert [(row.position, row.text[:40]) for row in arm.data.steps] == [("3/3", 'RUN echo "cross-building for linux/arm64')]
        assert "✔ 3/3 RUN echo" in arm.render().plain
        assert "shared: ran once" in panes["linux/arm64 docs"].render().plain
        assert panes["linux/arm64 test"].has_class("-skipped")
        assert [row.state for row in panes["linux/arm64 final"].data.steps] == ["done", "done"]
        rows = [row.label for row in app.screen.query_one(Timeline).data.rows]
        assert rows[1:] == ["build amd64", "build arm64", "docs amd64", "docs arm64", "test amd64", "test arm64",
                            "final amd64", "final arm64", "[export]"]


async def test_one_pane_per_stage_and_platform():
    await run_and_check(analysis_for_recording(read_inputs(RECORDING)))


async def test_lanes_learned_from_the_steps_replace_the_stage_panes():
    # Platforms not declared (an older recording): the panes start one per stage and become lanes.
    inputs = {**read_inputs(RECORDING), "platform": None}
    await run_and_check(analysis_for_recording(inputs))


def test_multiplatform_replay_snapshot(snap_compare, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/multiplatform"), replay=RECORDING.relative_to(REPO),
                               speed=None))

    async def run_before(pilot) -> None:
        await finished(pilot, pilot.app)
        pilot.app.clear_notifications()  # "built ... press l" would cover the timeline
        stage_panes(pilot.app.screen)[0].focus()  # the app focuses a running pane: timing
        await still(pilot)

    assert snap_compare(app, terminal_size=(120, 44), run_before=run_before)
