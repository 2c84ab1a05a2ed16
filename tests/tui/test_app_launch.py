"""The app's front door: options, starting without an engine, replay and imported logs, palette, NO_COLOR."""

from __future__ import annotations

import argparse
from pathlib import Path

from textual.system_commands import SystemCommandsProvider

from msb_tui.cli import main
from msb_tui.commands import tui as tui_command
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.graph import GraphScreen


def _parse(argv):
    parser = argparse.ArgumentParser()
    tui_command.add_arguments(parser)
    return tui_command.options_from_args(parser.parse_args(argv))


def test_docker_build_options_are_understood(demos):
    options = _parse([str(demos / "go"), "--target", "build", "--build-arg", "A=1", "--build-arg", "B=x=y",
                      "--no-cache", "--pull", "--platform", "linux/amd64", "-t", "me/app:1", "--tag", "me/app:latest",
                      "--host", "tcp://h:2375", "--theme", "light", "--build", "--offline-demo-args"])
    assert options.target == "build" and options.build_args == {"A": "1", "B": "x=y"}
    assert options.no_cache and options.pull and options.platform == "linux/amd64"
    assert options.tags == ("me/app:1", "me/app:latest") and options.host == "tcp://h:2375"
    assert options.theme == "light" and options.build and options.offline_demo_args
    context, dockerfile = options.resolve()
    assert context == demos / "go" and dockerfile == demos / "go" / "Dockerfile"
    options = _parse([str(demos / "broken"), "-f", str(demos / "broken" / "Dockerfile.missing-stage")])
    assert options.resolve()[1].name == "Dockerfile.missing-stage"
    options = _parse([str(demos / "go" / "Dockerfile"), "--replay", "x.jsonl", "--speed", "max"])
    assert options.resolve() == (demos / "go", demos / "go" / "Dockerfile")
    assert options.speed is None and options.replay == Path("x.jsonl")


def test_missing_dockerfile_is_a_usage_error(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no Dockerfile" in capsys.readouterr().err


async def test_build_without_engine_says_why(demos):
    from msb_tui.engine.connection import connect

    messages = []
    app = MsbApp(LaunchOptions(path=demos / "go"), client_factory=lambda: connect("tcp://127.0.0.1:9", answer_timeout=0.5))
    app.notify = lambda message, **kw: messages.append((message, kw))  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        assert any("cannot reach the Docker engine at tcp://127.0.0.1:9" in m and kw.get("markup") is False for m, kw in messages), messages


async def test_replay_option_opens_the_build_screen(demos, fixtures_dir):
    from msb_tui.tui.build_screen import BuildScreen

    app = MsbApp(LaunchOptions(path=demos / "parallel", replay=fixtures_dir / "recordings" / "parallel.jsonl",
                               speed=None))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.last_model.status == "succeeded"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)


async def test_corrupt_replay_is_reported_not_fatal(demos, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not a recording\n")
    messages = []
    app = MsbApp(LaunchOptions(path=demos / "go", replay=bad))
    app.notify = lambda message, **kw: messages.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        assert any("line 1" in m for m in messages)


async def test_import_log_opens_the_build_screen(demos, fixtures_dir):
    from msb_tui.tui.build_screen import BuildScreen

    log = fixtures_dir / "plain_logs" / "parallel.log"
    app = MsbApp(LaunchOptions(path=demos / "parallel", import_log=log))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.last_model is not None
        assert {stage.name for stage in app.last_model.stages} >= {"backend", "frontend", "docs", "final"}


async def test_command_palette_offers_the_main_actions(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        provider = SystemCommandsProvider(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        assert {"Build the target", "Change target…", "Layers of image…", "History of builds"} <= set(titles)
        hits = [hit async for hit in provider.search("layers")]
        assert hits and all("Layers" in hit.text for hit in hits)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"history")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        from msb_tui.tui.screens.history import HistoryScreen

        assert isinstance(app.screen, HistoryScreen)


async def test_no_color_is_honoured(demos, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.no_color
        svg = app.export_screenshot()
        assert "#61afef" not in svg.lower()  # the target's blue is gone
        assert "╔" in svg  # the target still stands out by its double border


async def test_replay_without_a_dockerfile_graphs_the_recorded_one(tmp_path, fixtures_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./Dockerfile here
    app = MsbApp(LaunchOptions(path=Path("."), replay=fixtures_dir / "recordings" / "go.jsonl", speed=None))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.analysis is not None
        assert [stage.display_name for stage in app.analysis.stages] == ["build", "test", "final"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)


async def test_a_dockerbuild_bundle_opens_like_a_recording(tmp_path, fixtures_dir, monkeypatch):
    """`msb-tui --replay build.dockerbuild`: the exported build's stages, with its own Dockerfile."""
    from msb_tui.tui.build_screen import BuildScreen

    monkeypatch.chdir(tmp_path)
    app = MsbApp(LaunchOptions(path=Path("."), replay=fixtures_dir / "buildx" / "target-a.dockerbuild", speed=None))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [stage.display_name for stage in app.analysis.stages] == ["a", "test", "final"]
        assert isinstance(app.screen, BuildScreen)
        model = app.screen.columns[0].model
        assert model.status.value == "succeeded"
        assert model.stage("a").state.value == "done" and model.stage("test").state.value == "skipped"
