"""Real builds through ``docker buildx build`` on each lane's default builder (the engine's own
BuildKit, reached through buildx rather than the Engine API): the same lanes, skips and recordings
as the Engine API backend, and cancel stops the solve."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.backends import open_backend
from msb_tui.backends.replay import ReplayBackend
from msb_tui.builds.events import BuildCancelled, ImageBuilt, VertexUpdate
from msb_tui.builds.inputs import BuildInputs
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_footer, read_inputs
from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine


def _build(engine_lane, inputs: BuildInputs, record) -> tuple[list, BuildModel]:
    analysis = analyze(inputs.dockerfile_path.read_bytes(), target=inputs.target, build_args=inputs.build_args)
    model = BuildModel(analysis)
    events = []
    for event in open_backend("buildx", builder="default", host=engine_lane.host, record=record).start(inputs):
        events.append(event)
        model.apply(event)
    return events, model


def test_the_parallel_demo_runs_its_three_stages_at_once(engine_lane, offline_images, demos, tmp_path):
    inputs = BuildInputs(context=demos / "parallel", build_args=offline_images, no_cache=True)
    events, model = _build(engine_lane, inputs, tmp_path / "parallel.jsonl")
    assert isinstance(events[-1], ImageBuilt) and events[-1].image_id.startswith("sha256:")
    stages = [model.stage(name) for name in ("backend", "frontend", "docs")]
    assert [s.state.value for s in stages] == ["done"] * 3, [(s.name, s.state, [(t.name, t.state) for t in s.steps]) for s in stages]
    assert max(s.started for s in stages) < min(s.completed for s in stages)  # side by side
    assert model.totals().max_parallel >= 3
    # the recording replays into the same stages
    replayed = BuildModel(analyze(inputs.dockerfile_path.read_bytes(), build_args=inputs.build_args))
    for event in ReplayBackend(tmp_path / "parallel.jsonl", speed=None).start():
        replayed.apply(event)
    assert [(s.name, s.state) for s in replayed.stages] == [(s.name, s.state) for s in model.stages]
    assert replayed.image_id == events[-1].image_id
    assert read_inputs(tmp_path / "parallel.jsonl")["backend"] == "buildx"


def test_the_seed_example_skips_its_test_stage(engine_lane, offline_images, demos):
    inputs = BuildInputs(context=demos / "seed-example", build_args=offline_images)
    events, model = _build(engine_lane, inputs, False)
    assert isinstance(events[-1], ImageBuilt)
    test = model.stage("test")
    assert test.state.value == "skipped" and "not needed by target" in test.skip_reason
    assert not any(isinstance(e, VertexUpdate) and e.name.startswith("[test ") for e in events)
    assert model.stage("final").state.value in ("done", "cached")


def test_cancel_stops_buildx_and_the_solve(engine_lane, offline_images, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    marker = f"{time.time_ns()}"
    (context / "Dockerfile").write_text(f"FROM {BUSYBOX_IMAGE}\nRUN echo {marker} && sleep 120\n")
    source = open_backend("buildx", builder="default", host=engine_lane.host, record=tmp_path / "c.jsonl").start(
        BuildInputs(context=context, network="none"))
    started = threading.Event()
    events = []

    def read():
        for event in source:
            events.append(event)
            if isinstance(event, VertexUpdate) and "sleep 120" in event.name and event.started:
                started.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert started.wait(120), "the RUN step never started"
    begin = time.monotonic()
    source.cancel()
    reader.join(60)
    assert not reader.is_alive()
    assert time.monotonic() - begin < 30  # not the 120 s of the step
    assert isinstance(events[-1], BuildCancelled)
    assert read_footer(tmp_path / "c.jsonl")["outcome"] == "cancelled"
