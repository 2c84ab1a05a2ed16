"""Multi-platform builds: one lane per stage and platform, on real recordings.

``tests/fixtures/recordings/containerd/multiplatform*.jsonl``: demo_dockerfiles/multiplatform
built with ``docker buildx build --platform linux/amd64,linux/arm64`` on the default builder of
Docker 28.5.2 with the containerd image store (scripts/record_fixtures.py --lane containerd).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.analysis.platforms import (
    normal_platform, platform_args, step_platform, target_platforms,
)
from msb_tui.backends.history import _platforms
from msb_tui.builds.events import ImageBuilt, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.builds.report import summary_json, summary_text
from msb_tui.builds.runs import State, merged_state
from msb_tui.commands.replay import analysis_for_recording
from msb_tui.tui.widgets.timeline import timeline_data

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
LANES = ["linux/amd64 build", "linux/arm64 build", "linux/amd64 docs", "linux/arm64 docs",
         "linux/amd64 test", "linux/arm64 test", "linux/amd64 final", "linux/arm64 final"]


def replayed(name: str, *, declared: bool = True) -> BuildModel:
    path = RECORDINGS / "containerd" / f"{name}.jsonl"
    inputs = read_inputs(path)
    if not declared:
        inputs = {**inputs, "platform": None}
    model = BuildModel(analysis_for_recording(inputs))
    for event in replay(path, None):
        model.apply(event)
    return model


def lanes(model: BuildModel) -> dict[str, object]:
    return {stage.key: stage for stage in model.stages}


# -- platforms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "platform"), [
    ("linux/arm64", "linux/arm64"),
    ("linux/amd64->arm64", "linux/arm64"),
    ("linux/amd64->arm/v7", "linux/arm/v7"),
    ("linux/amd64->windows/amd64", "windows/amd64"),
    ("linux/arm64/v8", "linux/arm64"),
])
def test_step_prefix_names_the_target_platform(prefix, platform):
    assert step_platform(prefix) == platform


def test_platform_list_is_normalized_and_deduplicated():
    assert target_platforms("linux/amd64, linux/arm64/v8,linux/amd64") == ["linux/amd64", "linux/arm64"]
    assert target_platforms(None) == [] and normal_platform("arm64") == "linux/arm64"


def test_analysis_of_two_platforms_plans_with_the_first():
    text = (RECORDINGS / "containerd" / "multiplatform.jsonl").open().readline()
    dockerfile = json.loads(text)["inputs"]["dockerfile_text"]
    analysis = analyze(dockerfile, platform="linux/amd64,linux/arm64")
    assert analysis.platforms == ["linux/amd64", "linux/arm64"]
    assert platform_args("linux/arm64,linux/amd64")["TARGETARCH"] == "arm64"
    assert analyze(dockerfile, platform="linux/arm64").platforms == ["linux/arm64"]


def test_history_platform_list_becomes_the_platform_option():
    assert _platforms(["linux/amd64", "linux/arm64"]) == "linux/amd64,linux/arm64"
    assert _platforms(None) is None and _platforms([]) is None


# -- the model on real recordings -----------------------------------------------------------------


def test_each_stage_has_a_lane_per_platform_with_its_own_steps():
    model = replayed("multiplatform")
    assert model.status == "succeeded" and model.platforms == ["linux/amd64", "linux/arm64"]
    runs = lanes(model)
    assert list(runs) == LANES
    # build reads TARGETARCH: one RUN per target; the arm64 one is cross-built on amd64.
    amd, arm = runs["linux/amd64 build"], runs["linux/arm64 build"]
    assert [s.platform for s in arm.steps] == ["linux/arm64"] and "->arm64" in arm.steps[-1].name
    assert list(arm.steps[-1].log.lines)[-1] == "built for arm64"
    assert list(amd.steps[-1].log.lines)[-1] == "built for amd64"
    # final (FROM scratch) runs on each target: two steps in each lane.
    for platform in ("linux/amd64", "linux/arm64"):
        final = runs[f"{platform} final"]
        assert final.state == State.DONE and [s.position for s in final.steps] == ["1/2", "2/2"]
        assert all(s.lane == f"{platform} final" for s in final.steps)
    # docs is the same for both: BuildKit ran it once, in the amd64 lane.
    assert len(runs["linux/amd64 docs"].steps) == 3 and runs["linux/arm64 docs"].steps == []
    assert runs["linux/arm64 docs"].state == State.DONE
    assert "linux/amd64 lane" in model.no_steps_note(runs["linux/arm64 docs"])
    # The plan's skip applies on every platform; nothing contradicts the plan.
    assert runs["linux/amd64 test"].state == runs["linux/arm64 test"].state == State.SKIPPED
    assert model.plan_mismatch == []
    assert model.stage_states() == {"build": State.DONE, "docs": State.DONE, "test": State.SKIPPED,
                                    "final": State.DONE}


def test_totals_and_timeline_count_each_lane():
    model = replayed("multiplatform")
    totals = model.totals()
    assert totals.steps == sum(len(stage.steps) for stage in model.stages) == 9
    # The two cross-builds ran side by side (2 s each), with docs next to them.
    amd, arm = lanes(model)["linux/amd64 build"], lanes(model)["linux/arm64 build"]
    assert amd.started < arm.completed and arm.started < amd.completed
    assert totals.max_parallel >= 2 and totals.parallel_saved > 1.5
    rows = [row.label for row in timeline_data(model).rows]
    assert rows == ["[context]", "build amd64", "build arm64", "docs amd64", "docs arm64", "test amd64",
                    "test arm64", "final amd64", "final arm64", "[export]"]


def test_a_pinned_stage_steps_go_to_the_lane_of_their_input():
    # --target test: `test` is FROM --platform=$BUILDPLATFORM and reads no target ARG, so BuildKit
    # names both platforms' steps "[linux/amd64 test 2/3]"; only the input (each platform's build
    # output) tells them apart.
    model = replayed("multiplatform-test")
    runs = lanes(model)
    for platform, arch in (("linux/amd64", "amd64"), ("linux/arm64", "arm64")):
        test = runs[f"{platform} test"]
        assert [s.position for s in test.steps] == ["2/3", "3/3"]
        assert all(s.name.startswith("[linux/amd64 test") for s in test.steps)
        assert list(test.steps[-1].log.lines)[-1] == f"checked: app for {arch}"
    assert runs["linux/amd64 final"].state == State.SKIPPED


def test_platforms_are_learned_from_step_names_when_not_declared():
    # A build record that does not say its platforms (an old recording, a CI log).
    model = replayed("multiplatform", declared=False)
    assert list(lanes(model)) == LANES
    assert model.platforms == ["linux/amd64", "linux/arm64"]
    assert [len(stage.steps) for stage in model.stages] == [1, 1, 3, 0, 0, 0, 2, 2]


def test_single_platform_builds_keep_one_run_per_stage():
    path = RECORDINGS / "containerd" / "parallel.jsonl"
    model = BuildModel(analysis_for_recording(read_inputs(path)))
    for event in replay(path, None):
        model.apply(event)
    assert [stage.key for stage in model.stages] == [stage.name for stage in model.stages]
    assert model.platforms == [] and all(stage.platform is None for stage in model.stages)


def test_summary_names_each_lane():
    model = replayed("multiplatform")
    text = summary_text(model)
    assert "linux/arm64 final  done" in text and "shared: ran once, in the linux/amd64 lane" in text
    stages = summary_json(model)["stages"]
    assert [(s["name"], s["platform"]) for s in stages][:2] == [("build", "linux/amd64"), ("build", "linux/arm64")]


def test_a_step_named_for_a_platform_not_declared_gets_its_own_lane():
    # Targets arm64 and riscv64 built on amd64: a pinned stage the targets share runs on amd64.
    analysis = analyze("FROM --platform=$BUILDPLATFORM busybox AS docs\nRUN make docs\n"
                       "FROM scratch\nCOPY --from=docs /d /d\n", platform="linux/arm64,linux/riscv64")
    model = BuildModel(analysis)
    model.apply(VertexUpdate("sha256:a", "[linux/amd64 docs 2/2] RUN make docs", started=1.0, completed=2.0))
    model.apply(VertexUpdate("sha256:b", "[linux/arm64 stage-1 1/1] COPY --from=docs /d /d", ("sha256:a",), 2.0, 3.0))
    model.apply(VertexUpdate("sha256:c", "[linux/riscv64 stage-1 1/1] COPY --from=docs /d /d", ("sha256:a",), 2.0, 3.0))
    model.apply(ImageBuilt("sha256:i"))
    assert [stage.key for stage in model.stages] == [
        "linux/arm64 docs", "linux/riscv64 docs", "linux/amd64 docs", "linux/arm64 stage-1", "linux/riscv64 stage-1"]
    assert [len(stage.steps) for stage in model.stages] == [0, 0, 1, 1, 1]


def test_merged_state_of_a_stage_on_several_platforms():
    assert merged_state([State.DONE, State.FAILED]) == State.FAILED
    assert merged_state([State.DONE, State.PLANNED]) == State.RUNNING
    assert merged_state([State.CACHED, State.DONE]) == State.DONE
    assert merged_state([State.CACHED, State.CACHED]) == State.CACHED
    assert merged_state([State.SKIPPED, State.SKIPPED]) == State.SKIPPED


def test_a_step_named_by_another_build_goes_to_the_first_platforms_lane():
    # A vertex shared with another build's solve keeps that build's name, without a platform
    # (seen in a history export: "[slow 1/2] FROM docker.io/msb-demo/busybox:1.35").
    path = RECORDINGS / "containerd" / "multiplatform.jsonl"
    model = BuildModel(analysis_for_recording(read_inputs(path)))
    model.apply(VertexUpdate("sha256:f", "[slow 1/2] FROM docker.io/msb-demo/busybox:1.35", started=1.0, completed=1.0, cached=True))
    step = model.steps["sha256:f"]
    assert (step.stage, step.platform, step.lane) == ("build", "linux/amd64", "linux/amd64 build")
    assert [stage.key for stage in model.stages] == LANES


def test_watching_a_running_build_without_its_dockerfile_still_shows_lanes():
    # A running build's Dockerfile (its provenance) is only known at its end: no analysis, no
    # declared platforms. Events as `docker buildx history logs` streamed them while it ran
    # (containerd lane): the first vertex is the arm64 cross-build, and the FROM all stages share
    # carries the name another (single-platform) build gave it.
    names = [("sha256:a", "[linux/amd64->arm64 build 3/3] RUN make", ("sha256:w",)),
             ("sha256:d", "[linux/amd64 docs 3/3] RUN docs", ("sha256:w",)),
             ("sha256:b", "[linux/amd64 build 3/3] RUN make", ("sha256:w",)),
             ("sha256:w", "[linux/amd64 docs 2/3] WORKDIR /out", ("sha256:f",)),
             ("sha256:f", "[docs 1/3] FROM docker.io/msb-demo/busybox:1.35", ())]
    model = BuildModel()
    for digest, name, inputs in names:
        model.apply(VertexUpdate(digest, name, inputs))
    assert model.platforms == ["linux/amd64", "linux/arm64"]
    assert [(stage.key, len(stage.steps)) for stage in model.stages] == [
        ("linux/amd64 build", 1), ("linux/arm64 build", 1), ("linux/amd64 docs", 3), ("linux/arm64 docs", 0)]


def test_history_compare_matches_lanes():
    from msb_tui.commands.history import compare

    path = RECORDINGS / "containerd" / "multiplatform.jsonl"
    names = [diff.name for diff in compare(path, path).stages]
    assert names == LANES
