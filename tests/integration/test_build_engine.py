"""Real-engine builds through the Engine API: events, model, image id, cancel, odd logs, bad input.

RUN steps use ``network="none"``: they need no network, and this keeps them working while another
test's temporary engine (started with ``--bridge=none``) has removed the host's ``docker0`` bridge."""

from __future__ import annotations

import os
import uuid
import threading
import time
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt, LogChunk, StreamText, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_footer, read_inputs, replay
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.offline import BUSYBOX_IMAGE
from msb_tui.sanitize import plain

pytestmark = pytest.mark.engine

TAG = "msb-test-build/engine"


def _context(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _run(client, inputs, analysis=None, *, backend="engine", record=False):
    model = BuildModel(analysis, classic=backend == "classic")
    events = []
    for event in open_backend(backend, client=client, record=record).start(inputs):
        events.append(event)
        model.apply(event)
    return events, model


@pytest.fixture
def cleanup_images(docker_api):
    tags = []
    yield tags
    for tag in tags:
        try:
            docker_api.remove_image(tag, force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass


def test_small_build_events_model_and_image(docker_api, offline_images, tmp_path, cleanup_images):
    tag = f"{TAG}:small-{os.getpid()}"
    cleanup_images.append(tag)
    context = _context(tmp_path, f"FROM {BUSYBOX_IMAGE} AS base\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt && echo $PID_MARK\n",
                       {"hello.txt": f"hello {time.time()}\n"})
    analysis = analyze((context / "Dockerfile").read_text())
    events, model = _run(docker_api, BuildInputs(context, tags=(tag,), build_args={"PID_MARK": "x"}, network="none"), analysis,
                         record=tmp_path / "rec.jsonl")
    assert any(isinstance(e, VertexUpdate) for e in events)
    [built] = [e for e in events if isinstance(e, ImageBuilt)]
    assert model.status == "succeeded" and model.image_id == built.image_id
    assert docker_api.inspect_image(tag)["Id"] == built.image_id
    [stage] = model.stages
    assert stage.name == "base" and stage.state == "done"
    run = [s for s in stage.steps if s.instruction.startswith("RUN")][0]
    assert run.position == "3/3" and run.line_start == 3 and "hello" in " ".join(run.log.lines)
    # The recording replays into the same model.
    replayed = BuildModel(analysis)
    for event in replay(tmp_path / "rec.jsonl", None):
        replayed.apply(event)
    assert replayed.status == "succeeded" and replayed.image_id == model.image_id
    assert [(s.name, s.state, len(s.steps)) for s in replayed.stages] == [(s.name, s.state, len(s.steps)) for s in model.stages]
    assert read_inputs(tmp_path / "rec.jsonl")["engine"]["version"]


def _sleep_processes(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(int(pid))
    return found


def test_cancel_stops_the_solve_on_the_engine(docker_api, offline_images, tmp_path):
    # A process name of its own to find in the process table (other sessions run this test too).
    marker = f"msb-sleep-{uuid.uuid4().hex[:12]}"
    context = _context(tmp_path, f"FROM {BUSYBOX_IMAGE}\nRUN echo started-{time.time()} && sh -c 'sleep 45; true' {marker}\n")
    stream = open_backend("engine", client=docker_api, record=tmp_path / "cancel.jsonl").start(BuildInputs(context, network="none"))
    model = BuildModel()
    cancelled_at = None
    deadline = time.monotonic() + 60
    for event in stream:
        model.apply(event)
        if cancelled_at is None and any("sleep" in s.name for s in model.running_steps()):
            # Wait until the process runs, then cancel from another thread (as a UI would).
            time.sleep(0.5)
            cancelled_at = time.monotonic()
            threading.Thread(target=stream.cancel).start()
        assert time.monotonic() < deadline
    ended = time.monotonic()
    assert cancelled_at is not None, "the sleep step never started"
    assert ended - cancelled_at < 5
    assert model.status == "cancelled"
    assert isinstance(event, BuildCancelled)
    sleeping = [s for s in model.steps.values() if "sleep" in s.name][0]
    assert sleeping.state == "cancelled"
    # The engine stopped it: no container and no process is still running that step.
    for _ in range(50):
        if not _sleep_processes(marker):
            break
        time.sleep(0.1)
    assert _sleep_processes(marker) == []
    assert not [c for c in docker_api.containers() if marker in (c.get("Command") or "")]
    assert read_footer(tmp_path / "cancel.jsonl")["outcome"] == "cancelled"


def test_non_utf8_and_control_characters_in_logs(docker_api, offline_images, tmp_path):
    script = r"printf 'bad \377\376 bytes\n\033]0;title\007\033[31mred\033[0m\n\033[2Jcleared\n'"
    context = _context(tmp_path, f"FROM {BUSYBOX_IMAGE}\nRUN echo {time.time()} && {script}\n")
    events, model = _run(docker_api, BuildInputs(context, network="none"), record=False)
    assert model.status == "succeeded"
    run = [s for s in model.steps.values() if s.instruction.startswith("RUN")][0]
    lines = list(run.log.lines)
    assert "bad \ufffd\ufffd bytes" in lines
    raw = [line for line in lines if "red" in line][0]
    assert "\x1b]0;title\x07" in raw  # kept raw in the model...
    assert plain(raw) == "red"  # ...and stripped for display
    assert any(plain(line) == "cleared" for line in lines)
    assert any(b"\xff\xfe" in e.data for e in events if isinstance(e, LogChunk))


def test_invalid_build_arg_fails_cleanly(docker_api, tmp_path):
    context = _context(tmp_path, "ARG BASE_IMAGE=scratch\nFROM ${BASE_IMAGE}\nCOPY Dockerfile /\n")
    events, model = _run(docker_api, BuildInputs(context, build_args={"BASE_IMAGE": "Not A Valid:Ref!"}), record=False)
    assert model.status == "failed"
    assert isinstance(events[-1], BuildFailed)
    # The engine names the value it refused and why (BuildKit 0.8 prefixes the frontend's context).
    assert 'failed to parse stage name "Not A Valid:Ref!": invalid reference format: repository name' in model.error
    assert model.error.endswith("must be lowercase"), model.error
    docker_api.ping()  # the engine is still fine


def test_unknown_target_fails_cleanly(docker_api, tmp_path):
    context = _context(tmp_path, "FROM scratch AS one\nCOPY Dockerfile /\n")
    _, model = _run(docker_api, BuildInputs(context, target="nope"), record=False)
    assert model.status == "failed" and "nope" in model.error


def test_missing_dockerfile_and_file_context(docker_api, tmp_path):
    events, model = _run(docker_api, BuildInputs(tmp_path), record=False)
    assert model.status == "failed" and "Dockerfile not found" in model.error
    file = tmp_path / "ctx-file"
    file.write_text("FROM scratch\n")
    events, model = _run(docker_api, BuildInputs(file, dockerfile=file), record=False)
    assert model.status == "failed" and "not a folder" in model.error


def test_dockerfile_outside_the_context(docker_api, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "data.txt").write_text("data")
    dockerfile = tmp_path / "elsewhere.Dockerfile"
    dockerfile.write_text(f"FROM scratch\nCOPY data.txt /data-{time.time()}.txt\n")
    _, model = _run(docker_api, BuildInputs(context, dockerfile=dockerfile), record=False)
    assert model.status == "succeeded", model.error


def test_classic_builder_mode(docker_api, offline_images, tmp_path):
    context = _context(tmp_path, f"FROM {BUSYBOX_IMAGE} AS one\nRUN echo classic-{time.time()}\n")
    events, model = _run(docker_api, BuildInputs(context, network="none"), backend="classic")
    assert model.status == "succeeded" and model.image_id
    assert [s.name for s in model.stages] == ["one"]
    assert any(s.instruction.startswith("RUN") for s in model.steps.values() if not s.internal)
    assert not any(isinstance(e, StreamText) and e.text.startswith("Step ") for e in events)


def _image_files(docker_api, image: str) -> set[str]:
    import io
    import tarfile

    container = docker_api.create_container(image, command=["none"])
    try:
        data = b"".join(docker_api.export(container["Id"]))
    finally:
        docker_api.remove_container(container["Id"])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name.rstrip("/") for m in tar.getmembers() if m.name.startswith("ctx/")}


def test_dockerignore_matches_the_docker_cli(docker_api, tmp_path, cleanup_images):
    """Our context tar honours .dockerignore as the Docker CLI does: the same files reach the image."""
    import subprocess

    ignore = "\n".join([
        "# comment", "*.log", "!keep.log", "**/tmp", "/root-only.txt", "build", "!build/keep.txt",
        "vendor", "!**/important.txt", "docs/*.md", "!docs/README.md", "a?c.txt", "[x-z].txt",
    ])
    files = ["a.log", "keep.log", "sub/b.log", "sub/tmp/x", "tmp/y", "root-only.txt", "sub/root-only.txt",
             "build/out.bin", "build/keep.txt", "vendor/important.txt", "important.txt", "docs/a.md",
             "docs/README.md", "docs/sub/b.md", "abc.txt", "ac.txt", "y.txt", "w.txt", "src/main.go"]
    context = _context(tmp_path, "FROM scratch\nCOPY . /ctx/\n", {".dockerignore": ignore})
    for name in files:
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(name)
    ours, cli = f"{TAG}:ignore-ours-{os.getpid()}", f"{TAG}:ignore-cli-{os.getpid()}"
    cleanup_images.extend([ours, cli])
    _, model = _run(docker_api, BuildInputs(context, tags=(ours,), no_cache=True), record=False)
    assert model.status == "succeeded", model.error
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    subprocess.run(["/usr/bin/docker", "build", "-q", "--no-cache", "-t", cli, str(context)], check=True,
                   env=env, capture_output=True, timeout=120)
    expected = _image_files(docker_api, cli)
    assert _image_files(docker_api, ours) == expected
    assert "ctx/keep.log" in expected and "ctx/a.log" not in expected  # the comparison is not vacuous
