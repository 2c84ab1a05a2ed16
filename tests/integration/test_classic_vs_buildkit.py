"""The same demos built by the classic builder and by BuildKit, read through the same BuildModel.

Classic runs every stage up to the target, one after another (the unused `test` stage included);
BuildKit skips stages the target does not need and runs independent stages at the same time.
"""

from __future__ import annotations

import uuid

import pytest

from msb_tui.builds.model import BuildModel
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.commands.build import load_analysis

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def build(docker_api, demo, build_args, *, classic: bool) -> BuildModel:
    tag = f"msb-test-classic/{demo.name}:{uuid.uuid4().hex[:8]}"
    inputs = BuildInputs(context=demo, build_args=build_args, no_cache=True, tags=(tag,))
    model = BuildModel(load_analysis(demo / "Dockerfile", None, build_args, None))
    try:
        for event in open_backend("classic" if classic else "engine", client=docker_api, record=False).start(inputs):
            model.apply(event)
    finally:
        try:
            docker_api.remove_image(tag)
        except Exception:  # noqa: BLE001 - a failed build has no tag to remove
            pass
    assert model.status == "succeeded", model.error
    return model


def overlap(a, b) -> float:
    return min(a.completed, b.completed) - max(a.started, b.started)


def test_seed_example_classic_runs_every_stage_in_order(docker_api, offline_images, demos):
    demo = demos / "seed-example"
    classic = build(docker_api, demo, offline_images, classic=True)
    ran = [s for s in classic.stages if s.steps]
    assert [s.name for s in ran] == ["base", "build", "test", "final"]
    assert all(s.state == "done" for s in ran)
    for before, after in zip(ran, ran[1:]):
        assert after.started >= before.completed - 1e-3, f"{after.name} overlapped {before.name}"
    test_run = next(s for s in ran if s.name == "test").steps[-1]
    assert any("tests passed" in line for line in test_run.log.lines)
    assert classic.totals().max_parallel == 1

    buildkit = build(docker_api, demo, offline_images, classic=False)
    states = {s.name: s.state for s in buildkit.stages}
    assert states["test"] == "skipped" and not buildkit.stage("test").steps
    assert all(states[name] in ("done", "cached") for name in ("base", "build", "final"))


def test_parallel_buildkit_overlaps_classic_does_not(docker_api, offline_images, demos):
    demo = demos / "parallel"
    buildkit = build(docker_api, demo, offline_images, classic=False)
    stages = {s.name: s for s in buildkit.stages}
    assert overlap(stages["backend"], stages["frontend"]) > 1.0
    assert overlap(stages["backend"], stages["docs"]) > 1.0
    assert buildkit.totals().max_parallel >= 3
    # Each COPY --from=X in final waits for X only (BuildKit may copy from backend while docs runs).
    copies = {n: [st for st in stages["final"].steps if f"--from={n} " in st.instruction] for n in ("backend", "frontend", "docs")}
    for name, steps in copies.items():
        assert steps, f"no COPY --from={name} step in final"
        assert all(st.cached or st.started >= stages[name].completed - 1e-3 for st in steps)

    classic = build(docker_api, demo, offline_images, classic=True)
    ran = [s for s in classic.stages if s.steps]
    assert [s.name for s in ran] == ["backend", "frontend", "docs", "final"]
    for before, after in zip(ran, ran[1:]):
        assert after.started >= before.completed - 1e-3
    assert classic.totals().max_parallel == 1
    # the same work takes about the sum of the sleeps classically, about the longest one with BuildKit.
    # (busy, not wall: BuildKit may report a FROM vertex shared with another build with that build's
    # older start time, which stretches the wall time; see the final report.)
    assert classic.totals().busy > buildkit.totals().busy + 3.0
