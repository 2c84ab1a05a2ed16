"""The tour on a real engine: it says so, builds the demos live, and --target test runs test."""

from __future__ import annotations

import pytest

from msb_tui.tui.tour import TourApp, TourCaption


async def _finished_build(app, pilot, previous=None, seconds: float = 120):
    """The model of the build screen's finished build (not ``previous``: the step's screen may
    still be the last step's while it changes). Ended means the column says so: the model's status
    is set before the end of the build is applied to its stages, in the build's thread."""
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        columns = getattr(app.screen, "columns", None)
        if not columns or columns[0].model is previous:
            continue
        if all(c.model is not None and not c.running for c in columns):
            assert all(c.model.status in ("succeeded", "failed") for c in columns)
            return columns[0].model
    raise AssertionError(f"no finished build on {type(app.screen).__name__}")


@pytest.mark.engine
async def test_the_tour_builds_live_on_the_engine(docker_api, offline_images, demos):
    app = TourApp(demos_dir=demos)
    async with app.run_test(size=(140, 44)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if app.live is not None:
                break
        assert app.live and app.engine_note.startswith("live: Docker"), app.engine_note
        app.tour.index = 2  # BuildKit runs independent stages at once
        app.show_step()
        model = await _finished_build(app, pilot)
        assert model.status == "succeeded"
        states = {stage.name: stage.state for stage in model.stages}
        assert all(states[name] in ("done", "cached") for name in ("backend", "frontend", "docs", "final")), states
        for _ in range(50):
            if app.screen.query(TourCaption):
                break
            await pilot.pause(0.1)
        assert "live: Docker" in str(app.screen.query_one(TourCaption).render())
        app.tour.index = 4  # --target test
        app.show_step()
        model = await _finished_build(app, pilot, previous=model)
        states = {stage.name: stage.state for stage in model.stages}
        assert model.status == "succeeded" and states["test"] in ("done", "cached"), states
