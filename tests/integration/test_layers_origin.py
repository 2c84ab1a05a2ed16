"""Issue 14 item 15: ``msb-tui layers IMAGE`` without ``--dockerfile`` ties the layers through the
recording of the build that made the image, when msb-tui built it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msb_tui.cli import main

DEMOS = Path(__file__).resolve().parents[2] / "demo_dockerfiles"


@pytest.mark.engine
def test_layers_without_a_dockerfile_use_the_recorded_build(docker_api, offline_images, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path))
    tag = "msb-ui-test/go-build:origin"
    build_args = [f"--build-arg={key}={value}" for key, value in offline_images.items()]
    try:
        assert main(["build", str(DEMOS / "go"), "--target", "build", "-t", tag, *build_args]) == 0
        capsys.readouterr()
        assert main(["layers", tag, "--no-files", "--json"]) == 0
        out, err = capsys.readouterr()
        layers = json.loads(out)["layers"]
        ties = {layer["command"]["text"]: layer["source"] for layer in layers}
        go_mod = next(source for text, source in ties.items() if "go.mod" in text)
        assert (go_mod["kind"], go_mod["stage"], go_mod["line"]) == ("dockerfile", "build", 9)
        go_build = next(layer for layer in layers if "go build" in layer["command"]["text"])
        assert go_build["build"] is not None  # the recorded step: cached or its duration
        assert "target build" in err and str(tmp_path) in err
    finally:
        docker_api.remove_image(tag)


@pytest.mark.engine
def test_layers_of_an_image_msb_tui_did_not_build_say_so(docker_api, offline_images, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path))
    assert main(["layers", offline_images["BASE_IMAGE"], "--no-files", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "no recording of the build that made this image" in err
    assert {layer["source"]["kind"] for layer in json.loads(out)["layers"]} <= {"unknown", "base"}
