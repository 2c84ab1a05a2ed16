"""History: the headless list and comparison, and the History screen (replay, mark, compare)."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import DataTable

from msb_tui.commands import history
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.history import HistoryScreen


@pytest.fixture
def recordings(tmp_path, fixtures_dir, monkeypatch):
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    from msb_tui.paths import recordings_dir

    folder = recordings_dir()
    for name in ("parallel", "go", "broken"):
        shutil.copy(fixtures_dir / "recordings" / f"{name}.jsonl", folder / f"{name}.jsonl")
    # A recording cut off mid-build: listed as interrupted, not an error.
    text = (fixtures_dir / "recordings" / "parallel.jsonl").read_text().splitlines(keepends=True)
    (folder / "cut.jsonl").write_text("".join(text[: len(text) // 2]))
    (folder / "junk.jsonl").write_text("not json\n")
    return folder


def test_list_reads_header_and_footer(recordings):
    summaries = {s.path.name: s for s in history.list_recordings()}
    assert summaries["parallel.jsonl"].outcome == "succeeded"
    assert summaries["broken.jsonl"].outcome == "failed"
    assert summaries["cut.jsonl"].outcome == "interrupted"
    assert summaries["junk.jsonl"].outcome == "corrupt"
    go = summaries["go.jsonl"]
    assert go.duration is not None and go.duration > 1 and go.date.startswith("20")


def test_history_command_prints_a_table(recordings, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    history.add_arguments(parser)
    assert history.run(parser.parse_args([])) == 0
    out = capsys.readouterr().out
    assert "parallel.jsonl" in out and "succeeded" in out and "interrupted" in out
    a, b = recordings / "parallel.jsonl", recordings / "go.jsonl"
    assert history.run(parser.parse_args(["--compare", str(a), str(b)])) == 0
    out = capsys.readouterr().out
    assert "backend" in out and "build" in out and "total (wall)" in out


def test_compare_matches_stages_by_name(recordings):
    result = history.compare(recordings / "parallel.jsonl", recordings / "parallel.jsonl")
    names = [d.name for d in result.stages]
    assert names == ["backend", "frontend", "docs", "final"]
    assert all(d.delta == 0 for d in result.stages if d.delta is not None)
    assert result.wall[0] == result.wall[1]


@pytest.mark.engine
def test_compare_sees_the_cache_on_a_rebuild(docker_api, offline_images, tmp_path):
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text(
        f"FROM {offline_images['BASE_IMAGE']} AS work\nRUN sleep 1 && echo msb-test-history > /x\n")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    from msb_tui.builds.events import ImageBuilt

    built = set()
    for path, no_cache in ((first, True), (second, False)):
        for event in open_backend("engine", client=docker_api, record=path).start(BuildInputs(context=tmp_path / "ctx", no_cache=no_cache)):
            if isinstance(event, ImageBuilt):
                built.add(event.image_id)
    for image in built:
        docker_api.remove_image(image, force=True)
    result = history.compare(first, second)
    work = next(d for d in result.stages if d.name == "work")
    assert work.b.cached >= 1
    assert work.delta is not None and work.delta < -0.5  # the cached rebuild skips the 1 s sleep
    assert result.wall[1] < result.wall[0]


async def test_history_screen_lists_replays_and_compares(recordings, demos):
    app = MsbApp(LaunchOptions(path=demos / "parallel"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.query_one("#recordings", DataTable)
        assert table.row_count == 5
        files = [table.get_row_at(i)[5].plain for i in range(table.row_count)]
        first = files.index("parallel.jsonl")
        table.move_cursor(row=first)
        await pilot.press("space")
        table.move_cursor(row=files.index("go.jsonl"))
        await pilot.press("space", "c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        comparison = screen.query_one("#comparison", DataTable)
        assert comparison.display
        stages = [comparison.get_row_at(i)[0].plain for i in range(comparison.row_count)]
        assert "backend" in stages and "build" in stages and stages[-1] == "total (wall)"
        # Replay at max speed into the build screen.
        table.move_cursor(row=first)
        await pilot.press("0", "enter")
        await pilot.pause()
        from msb_tui.tui.build_screen import BuildScreen

        assert isinstance(app.screen, BuildScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.last_model is not None and app.last_model.status == "succeeded"


async def test_two_marked_builds_replay_side_by_side(recordings, demos):
    from msb_tui.tui.build_screen import BuildScreen

    app = MsbApp(LaunchOptions(path=demos / "parallel"))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        table = app.screen.query_one("#recordings", DataTable)
        files = [table.get_row_at(i)[5].plain for i in range(table.row_count)]
        for name in ("parallel.jsonl", "go.jsonl"):
            table.move_cursor(row=files.index(name))
            await pilot.press("space")
        await pilot.press("0", "v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BuildScreen)
        assert len(screen.runs) == 2
        await app.workers.wait_for_complete()
        await pilot.pause()
