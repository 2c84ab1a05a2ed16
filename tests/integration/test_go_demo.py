"""The multi-stage size story, measured on the real engine: the Go demo's final image is a small
fraction of its SDK (build stage) image. Sizes come from the engine's own image inspect."""

from __future__ import annotations

import pytest

from msb_tui.analysis import analyze
from msb_tui.builds.model import BuildModel
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs

pytestmark = pytest.mark.engine


def _build(docker_api, demos, build_args, target):
    request = BuildInputs(context=demos / "go", target=target, build_args=build_args,
                           tags=(f"msb-test-go-demo/{target}:latest",))
    analysis = analyze((demos / "go" / "Dockerfile").read_text(), target=target, build_args=build_args)
    model = BuildModel(analysis)
    for event in open_backend("engine", client=docker_api, record=False).start(request):
        model.apply(event)
    assert model.status == "succeeded", model.error
    assert model.image_id
    return model, docker_api.inspect_image(model.image_id)["Size"]


def test_final_image_is_under_five_percent_of_the_sdk_stage(docker_api, offline_images, demos):
    build_model, sdk_size = _build(docker_api, demos, offline_images, "build")
    final_model, final_size = _build(docker_api, demos, offline_images, "final")
    print(f"go demo: build stage {sdk_size / 1e6:.1f} MB -> final {final_size / 1e6:.2f} MB "
          f"({sdk_size / final_size:.0f}x smaller)")
    assert final_size < 0.05 * sdk_size
    # The final image holds the server binary and nothing of the SDK.
    assert 1_000_000 < final_size < 20_000_000
    # BuildKit skipped the test stage for the default target and ran build + final.
    states = {stage.name: stage.state for stage in final_model.stages}
    assert states["test"] == "skipped"
    assert states["build"] in ("done", "cached") and states["final"] in ("done", "cached")
