"""A multi-platform build (linux/amd64 and linux/arm64) through buildx on each lane's default
builder: on the containerd image store it builds, one lane per stage and platform with steps in
each (no emulation: demo_dockerfiles/multiplatform runs its RUN steps on the build platform); the
overlay2 store's docker driver refuses it, and msb-tui says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from msb_tui.backends import open_backend
from msb_tui.backends.replay import ReplayBackend
from msb_tui.builds.events import BuildFailed, ImageBuilt
from msb_tui.builds.inputs import BuildInputs
from msb_tui.builds.model import BuildModel
from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine

PLATFORMS = "linux/amd64,linux/arm64"


def test_two_platforms_build_one_lane_per_stage_and_platform(engine_lane, offline_images, demos, tmp_path):
    inputs = BuildInputs(context=demos / "multiplatform", build_args={"BASE_IMAGE": BUSYBOX_IMAGE},
                         platform=PLATFORMS, no_cache=True, network="none")
    model = BuildModel(inputs.analyze())
    events = []
    for event in open_backend("buildx", builder="default", host=engine_lane.host, record=tmp_path / "mp.jsonl").start(inputs):
        events.append(event)
        model.apply(event)
    if not engine_lane.containerd_store:
        assert isinstance(events[-1], BuildFailed)
        assert "Multi-platform build is not supported for the docker driver" in events[-1].message
        return
    assert isinstance(events[-1], ImageBuilt), model.error
    lanes = {stage.key: stage for stage in model.stages}
    for platform, arch in (("linux/amd64", "amd64"), ("linux/arm64", "arm64")):
        build, final = lanes[f"{platform} build"], lanes[f"{platform} final"]
        assert build.steps and final.steps, (platform, [(s.key, [t.name for t in s.steps]) for s in model.stages])
        assert list(build.steps[-1].log.lines)[-1] == f"built for {arch}"
        assert [s.position for s in final.steps] == ["1/2", "2/2"] and final.state.value == "done"
        assert lanes[f"{platform} test"].state.value == "skipped"
    # The two cross-builds (2 s each) ran side by side.
    amd, arm = lanes["linux/amd64 build"], lanes["linux/arm64 build"]
    assert amd.started < arm.completed and arm.started < amd.completed
    assert model.totals().max_parallel >= 2
    # The recording replays into the same lanes.
    replayed = BuildModel(inputs.analyze())
    for event in ReplayBackend(tmp_path / "mp.jsonl", speed=None).start():
        replayed.apply(event)
    assert [(s.key, s.state, len(s.steps)) for s in replayed.stages] == [(s.key, s.state, len(s.steps)) for s in model.stages]


def test_msb_tui_build_with_two_platforms_goes_through_buildx(engine_lane, offline_images, demos, tmp_path):
    if not engine_lane.containerd_store:
        pytest.skip("the docker driver builds multi-platform images on the containerd image store only")
    env = {**os.environ, "MSB_TUI_STATE": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "msb_tui", "build", str(demos / "multiplatform"), "--platform", PLATFORMS,
         "--build-arg", f"BASE_IMAGE={BUSYBOX_IMAGE}", "--progress", "json", "--no-record"],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "building through docker buildx" in done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    lanes = {(s["name"], s["platform"]): s for s in summary["stages"]}
    assert {platform for _, platform in lanes} == {"linux/amd64", "linux/arm64"}
    assert lanes["final", "linux/arm64"]["steps"] == 2 and lanes["final", "linux/amd64"]["steps"] == 2
