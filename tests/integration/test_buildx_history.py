"""Builds someone else started, through the builder's history: ``watch`` follows a ``docker buildx
build`` running in another process live, and the finished build opens with its Dockerfile, target
and stages. The history needs BuildKit 0.11+ (Docker 23+): the 20.10 lane has none."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from msb_tui.backends import open_backend
from msb_tui.backends.history import HistoryError, inspect_build, list_history
from msb_tui.builds.events import ImageBuilt, LogChunk, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.commands.replay import analysis_for_recording
from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine


@pytest.fixture
def history_lane(engine_lane):
    if engine_lane.name == "compat":
        pytest.skip("Docker 20.10 (BuildKit 0.8) keeps no build history")
    return engine_lane


def _start_other_build(context: Path, name: str, host: str) -> subprocess.Popen:
    """A build started by someone else: the docker CLI, in another process."""
    return subprocess.Popen(["docker", "buildx", "build", "--no-cache", "--progress=plain", "--build-arg",
                             f"BUILDKIT_BUILD_NAME={name}", str(context)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "DOCKER_HOST": host})


def _wait_for_running(name: str, host: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for entry in list_history(host=host):
            if entry.name == name and entry.running:
                return entry.id
        time.sleep(0.1)
    raise AssertionError(f"build {name} never showed up as running in the history")


def test_watch_follows_a_running_build_live_then_it_opens_from_the_history(history_lane, offline_images, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    dockerfile = (f"FROM {BUSYBOX_IMAGE} AS a\nRUN for i in 1 2 3 4 5; do echo tick $i; sleep 1; done\n"
                  f"FROM {BUSYBOX_IMAGE} AS b\nRUN for i in 1 2 3 4 5; do echo tock $i; sleep 1; done\n"
                  f"FROM {BUSYBOX_IMAGE} AS unused\nRUN echo never\n"
                  f"FROM a AS final\nCOPY --from=b /bin/busybox /copied\n")
    (context / "Dockerfile").write_text(dockerfile)
    name = f"msb-watch-{time.time_ns()}"
    other = _start_other_build(context, name, history_lane.host)
    try:
        ref = _wait_for_running(name, history_lane.host)
        source = open_backend("history", ref=ref, host=history_lane.host).start()
        arrivals = []
        events = []
        for event in source:
            events.append(event)
            if isinstance(event, LogChunk) and b"tick" in event.data:
                arrivals.append(time.time())
        ended = time.time()
    finally:
        other.wait(120)
    assert other.returncode == 0
    assert isinstance(events[-1], ImageBuilt) and events[-1].image_id.startswith("sha256:")
    assert len(arrivals) == 5
    assert ended - arrivals[0] > 2.5, "the ticks arrived only at the end: not followed live"
    # Finished: it opens from the history with its Dockerfile, so the plan and the skips are there.
    record = inspect_build(ref, host=history_lane.host)
    assert record.status.lower() == "completed"
    assert record.inputs["dockerfile_text"] == dockerfile
    assert record.inputs["build_args"]["BUILDKIT_BUILD_NAME"] == name
    model = BuildModel(analysis_for_recording(record.inputs))
    for event in open_backend("history", ref=ref, host=history_lane.host).start():
        model.apply(event)
    assert model.stage("unused").state.value == "skipped"
    a, b = model.stage("a"), model.stage("b")
    assert a.state.value == b.state.value == "done"
    assert max(a.started, b.started) < min(a.completed, b.completed)  # side by side
    assert any(isinstance(e, VertexUpdate) and e.name.startswith("[final") for e in events)


def test_an_unknown_reference_fails_clearly(history_lane):
    with pytest.raises(HistoryError, match="no record found"):
        inspect_build("doesnotexist0000000000000", host=history_lane.host)
    events = list(open_backend("history", ref="doesnotexist0000000000000", host=history_lane.host).start())
    assert len(events) == 1 and "no record found" in events[0].message


def test_an_engine_without_build_history_says_so(engine_lane):
    if engine_lane.name != "compat":
        pytest.skip("only Docker 20.10 lacks the history")
    with pytest.raises(HistoryError, match="keeps no build history"):
        list_history(host=engine_lane.host)
