"""Troubleshoot: the shell launcher command, shell detection on real images, and the screen's messages."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from textual.widgets import Static

from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.troubleshoot import TroubleshootScreen, find_shell, shell_command


def test_shell_command_overrides_entrypoint_and_passes_the_host():
    launch = shell_command("sha256:abc", "/bin/sh", host="tcp://10.0.0.2:2375", cli="/usr/bin/docker",
                           base_env={"PATH": "/usr/bin"})
    assert launch.argv == ["/usr/bin/docker", "run", "--rm", "-it", "--entrypoint", "/bin/sh", "sha256:abc"]
    assert launch.env == {"PATH": "/usr/bin", "DOCKER_HOST": "tcp://10.0.0.2:2375"}
    assert launch.display().startswith("DOCKER_HOST=tcp://10.0.0.2:2375 /usr/bin/docker run")
    local = shell_command("img", "/bin/bash", cli="docker", base_env={})
    assert "DOCKER_HOST" not in local.env and local.argv[-2:] == ["/bin/bash", "img"]


@pytest.fixture
def scratch_image(docker_api, tmp_path):
    from msb_tui.builds.events import ImageBuilt
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (tmp_path / "hello.txt").write_text("hi\n")
    stream = open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path))
    image = next((e.image_id for e in stream if isinstance(e, ImageBuilt)), None)
    assert image
    yield image
    docker_api.remove_image(image, force=True)


@pytest.mark.engine
def test_find_shell_on_busybox_and_scratch(docker_api, offline_images, scratch_image):
    def probes():  # a run killed earlier may have left its own behind: only ours count
        return {c["Id"] for c in docker_api.containers(all=True, filters={"label": "msb-tui.troubleshoot-probe"})}

    before = probes()
    assert find_shell(docker_api, offline_images["BASE_IMAGE"]) == "/bin/sh"
    assert find_shell(docker_api, scratch_image) is None
    assert probes() <= before


@pytest.mark.engine
async def test_screen_says_when_there_is_no_shell(demos, scratch_image, docker_api):
    app = MsbApp(LaunchOptions(path=demos / "go"), client_factory=lambda: docker_api)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("left")  # select "build"
        await pilot.press("x")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TroubleshootScreen) and screen.stage == "build"
        screen.built(SimpleNamespace(status="succeeded", image_id=scratch_image, error=None))
        await app.workers.wait_for_complete()
        await pilot.pause()
        body = str(screen.query_one("#trouble-body", Static).render())
        assert "has no shell" in body
        await pilot.press("s")  # nothing to open: it says so again, no crash
        assert app.is_running


@pytest.mark.engine
async def test_screen_offers_the_command_when_it_cannot_suspend(demos, docker_api, offline_images):
    app = MsbApp(LaunchOptions(path=demos / "go"), client_factory=lambda: docker_api)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.action_troubleshoot("build")
        await pilot.pause()
        screen = app.screen
        screen.built(SimpleNamespace(status="succeeded", image_id=offline_images["BASE_IMAGE"], error=None))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.shell == "/bin/sh"
        await pilot.press("s")  # headless: app.suspend() raises SuspendNotSupported
        await pilot.pause()
        body = str(screen.query_one("#trouble-body", Static).render())
        assert "run it yourself" in body and "--entrypoint /bin/sh" in body


async def test_failed_stage_build_is_reported(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.action_troubleshoot("build")
        await pilot.pause()
        app.screen.built(SimpleNamespace(status="failed", image_id=None, error="RUN exited 2 [/]"))
        await pilot.pause()
        body = str(app.screen.query_one("#trouble-body", Static).render())
        assert "did not produce an image" in body and "RUN exited 2 [/]" in body


def test_notes_before_building():
    from msb_tui.analysis import analyze
    from msb_tui.tui.app import troubleshoot_note

    analysis = analyze("FROM busybox\nRUN true\nFROM scratch AS bin\nCOPY --from=0 /bin/sh /sh\n"
                       "FROM bin AS final\nCOPY x /x\nFROM busybox AS tools\n")
    assert "has no name" in troubleshoot_note(analysis, "stage-0")
    assert "FROM scratch" in troubleshoot_note(analysis, "final")  # through FROM bin -> scratch
    assert troubleshoot_note(analysis, "tools") is None


async def test_target_picker_lists_named_stages_only(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY a /a\nFROM scratch AS final\nCOPY --from=0 /a /b\n")
    app = MsbApp(LaunchOptions(path=tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        from msb_tui.tui.screens.pickers import TargetPicker

        assert isinstance(app.screen, TargetPicker) and app.screen.names == ["final"]
