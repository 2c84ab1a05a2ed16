"""Current BuildKit's build checks, seen on a real build: each warning names its line and lands
in the pane of the stage that holds it (BuildKit 0.8 has no build checks)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

DOCKERFILE = (
    "ARG BASE_IMAGE=busybox\n"
    "FROM ${BASE_IMAGE} as build\n"  # FromAsCasing
    "RUN echo hi > /x\n"
    "\n"
    "FROM ${BASE_IMAGE} AS final\n"
    "COPY --from=build /x /x\n"
    "CMD echo done\n"  # JSONArgsRecommended
)


def test_build_checks_are_tied_to_their_stage_and_line(docker_api, engine_lane, offline_images, tmp_path: Path):
    from msb_tui.analysis import analyze
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs
    from msb_tui.builds.model import BuildModel
    from msb_tui.tui.widgets.stage_pane import pane_data

    if engine_lane.name == "compat":
        pytest.skip("BuildKit 0.8 (Docker 20.10) has no build checks")
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    args = {"BASE_IMAGE": offline_images["BASE_IMAGE"]}
    model = BuildModel(analyze(DOCKERFILE, build_args=args))
    for event in open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path, build_args=args)):
        model.apply(event)
    assert model.status == "succeeded", model.error
    panes = {stage.name: pane_data(stage).warnings for stage in model.stages}
    assert [w.split(":")[0:2] for w in panes["build"]] == [["line 2", " FromAsCasing"]], panes
    assert [w.split(":")[0:2] for w in panes["final"]] == [["line 7", " JSONArgsRecommended"]], panes
