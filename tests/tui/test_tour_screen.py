"""The tour on screen, on the bundled recordings: one key per step, a caption over each screen."""

from __future__ import annotations

from msb_tui.tui.tour import TourApp, TourCaption


def _caption(app) -> str:
    return str(app.screen.query_one(TourCaption).render())


async def _settle(app, pilot, screen_name: str) -> None:
    for _ in range(60):
        await pilot.pause(0.05)
        if type(app.screen).__name__ == screen_name and app.screen.query(TourCaption):
            return
    raise AssertionError(f"expected {screen_name}, got {type(app.screen).__name__}")


async def test_the_tour_steps_forward_and_back_on_recordings():
    app = TourApp(recordings_only=True)
    async with app.run_test(size=(140, 44)) as pilot:
        await _settle(app, pilot, "GraphScreen")
        assert "1/8" in _caption(app) and "replaying recordings of real builds" in _caption(app)
        expected = ["GraphScreen", "BuildScreen", "BuildScreen", "BuildScreen", "BuildScreen", "BuildScreen",
                    "TroubleshootScreen"]
        for number, screen_name in enumerate(expected, start=2):
            await pilot.press("right")
            await _settle(app, pilot, screen_name)
            assert f"{number}/8" in _caption(app), _caption(app)
        assert "hello, tour" in _caption(app)  # the recorded shell in the build stage
        await pilot.press("right")  # past the end: stays
        await pilot.pause(0.1)
        assert app.tour.position() == "8/8"
        await pilot.press("pageup")
        await _settle(app, pilot, "BuildScreen")
        assert "7/8" in _caption(app) and "failure" in _caption(app)


async def test_back_to_the_graph_closes_the_build():
    app = TourApp(recordings_only=True)
    app.tour.index = 2
    async with app.run_test(size=(140, 44)) as pilot:
        await _settle(app, pilot, "BuildScreen")
        await pilot.press("left")
        await _settle(app, pilot, "GraphScreen")
        assert "2/8" in _caption(app) and "skips `test`" in _caption(app)
        assert len(app.screen_stack) == 1  # the build screens were closed on the way back


async def test_classic_step_replays_both_builders_side_by_side():
    app = TourApp(recordings_only=True)
    app.tour.index = 3
    async with app.run_test(size=(140, 44)) as pilot:
        await _settle(app, pilot, "BuildScreen")
        columns = app.screen.columns
        assert len(columns) == 2
        await app.workers.wait_for_complete()
        for _ in range(100):
            await pilot.pause(0.05)
            if all(not c.running for c in columns):
                break
        titles = [c.run.title for c in columns]
        assert "seed-example.jsonl" in titles[0] and "seed-example-classic.jsonl" in titles[1]
