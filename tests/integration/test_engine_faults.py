"""Faults: no engine, an engine that dies mid-build, malformed/hostile engine output, bad input.

Real-engine cases are marked ``engine``. The engine that dies is a second dockerd of our own
(``second_engine.py``), never the suite's engine. Malformed messages cannot be provoked from a real
engine, so a fake engine (an HTTP server on a unix socket speaking the build stream) sends them.
"""

from __future__ import annotations

import base64
import io
import json
import socketserver
import threading
import time
import uuid
from contextlib import redirect_stderr, redirect_stdout
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildFailed, LogChunk
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import replay
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.cli import main
from msb_tui.engine.connection import connect
from msb_tui.sanitize import plain

from second_engine import SecondEngine


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def context(tmp_path: Path, dockerfile: str, files: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / f"ctx-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    (folder / "Dockerfile").write_text(dockerfile)
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return folder


# ---------------------------------------------------------------------------------------------
# No engine


def test_unreachable_engine_exit_3_with_advice(tmp_path):
    ctx = context(tmp_path, "FROM scratch\nCOPY a /a\n", {"a": b"x"})
    code, out, err = run_cli("build", str(ctx), "--host", f"unix://{tmp_path}/no-engine.sock", "--no-record")
    assert code == 3
    assert f"cannot reach the Docker engine at unix://{tmp_path}/no-engine.sock (--host)" in err
    assert "msb-tui engine up" in err or "Install Docker" in err
    assert "Traceback" not in err and out == ""


# ---------------------------------------------------------------------------------------------
# An engine that dies in the middle of a build


@pytest.fixture
def dying_engine(docker_api, offline_images):
    engine = SecondEngine().start()
    try:
        engine.load_image(docker_api, offline_images["BASE_IMAGE"])
        yield engine
    finally:
        engine.stop()


@pytest.mark.engine
def test_engine_killed_mid_build_fails_clearly_and_keeps_what_arrived(dying_engine, offline_images, tmp_path):
    ctx = context(
        tmp_path,
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
        "RUN for i in $(seq 1 100); do echo line $i; sleep 0.1; done\n",
    )
    recording = tmp_path / "killed.jsonl"
    client = connect(dying_engine.host)
    stream = open_backend("engine", client=client, record=recording).start(BuildInputs(context=ctx, build_args=offline_images))
    model = BuildModel()
    events = []
    killed_at = None
    for event in stream:
        events.append(event)
        model.apply(event)
        run_steps = [s for s in model.steps.values() if "RUN" in s.name]
        if killed_at is None and run_steps and run_steps[0].log.total >= 5:
            dying_engine.kill()
            killed_at = len(events)
    assert killed_at is not None, "the build never printed 5 lines"
    assert model.status == "failed"
    assert any(isinstance(e, BuildFailed) for e in events[killed_at:])
    assert "engine" in model.error.lower(), model.error
    step = next(s for s in model.steps.values() if "RUN" in s.name)
    received = list(step.log.lines)
    assert len(received) >= 5 and received[:5] == [f"line {i}" for i in range(1, 6)]
    assert step.state != "running"  # the build is over: no step is left spinning
    # nothing already received is lost: the recording replays the same lines and the failure
    replayed = BuildModel()
    for event in replay(recording, speed=None):
        replayed.apply(event)
    replayed_step = next(s for s in replayed.steps.values() if "RUN" in s.name)
    assert list(replayed_step.log.lines)[: len(received)] == received
    assert replayed.status == "failed"


@pytest.mark.engine
def test_cli_build_against_engine_that_dies(dying_engine, offline_images, tmp_path):
    ctx = context(
        tmp_path,
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo started; sleep 30\n",
    )
    threading.Timer(2.5, dying_engine.kill).start()
    started = time.monotonic()
    code, out, err = run_cli(
        "build", str(ctx), "--host", dying_engine.host, "--no-record", "--build-arg", f"BASE_IMAGE={offline_images['BASE_IMAGE']}"
    )
    assert time.monotonic() - started < 20
    assert code == 1
    assert "started" in out  # the output printed before the engine died is there
    assert "status: failed" in out and "engine" in out.split("status: failed", 1)[1].lower()


# ---------------------------------------------------------------------------------------------
# Hostile engine output, through a fake engine


def _trace(vertexes: list[dict], logs: list[dict]) -> str:
    """A minimal StatusResponse protobuf (vertexes=1, logs=3), base64 — enough for the decoder."""

    def varint(value: int) -> bytes:
        out = b""
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out += bytes([byte | 0x80])
            else:
                return out + bytes([byte])

    def field(number: int, payload: bytes) -> bytes:
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def timestamp(seconds: float) -> bytes:
        return varint(1 << 3) + varint(int(seconds)) + varint(2 << 3) + varint(int((seconds % 1) * 1e9))

    body = b""
    for vertex in vertexes:
        item = field(1, vertex["digest"].encode()) + field(3, vertex["name"].encode())
        if "started" in vertex:
            item += field(5, timestamp(vertex["started"]))
        if "completed" in vertex:
            item += field(6, timestamp(vertex["completed"]))
        body += field(1, item)
    for log in logs:
        item = field(1, log["vertex"].encode()) + field(2, timestamp(log["t"])) + varint(3 << 3) + varint(1)
        item += field(4, log["data"])
        body += field(3, item)
    return base64.b64encode(body).decode()


class FakeEngine:
    """Answers /_ping, /version and POST /build with a scripted message stream."""

    def __init__(self, path: Path, build_lines: list[bytes]):
        self.path = path
        lines = build_lines

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, body: bytes, content_type="application/json"):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Api-Version", "1.41")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.endswith("/_ping"):
                    self._send(b"OK", "text/plain")
                else:
                    self._send(json.dumps({"Version": "fake", "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64"}).encode())

            def do_HEAD(self):
                self._send(b"", "text/plain")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                remaining = length
                while remaining > 0:
                    remaining -= len(self.rfile.read(min(remaining, 65536)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                for line in lines:
                    self.wfile.write(line + b"\r\n")
                    self.wfile.flush()

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def get_request(self):
                request, _ = super().get_request()
                return request, ("local", 0)

        self.server = Server(str(path), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"unix://{self.path}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_malformed_and_hostile_messages_are_skipped_counted_and_sanitized(tmp_path):
    now = time.time()
    digest = "sha256:" + "1" * 64
    hostile = b"ok \xff\xfe not utf-8 \x1b]0;pwned title\x07 \x1b[2J\x1b[31mred\x1b[0m \x00\x08 end\n"
    lines = [
        json.dumps({"id": "moby.buildkit.trace", "aux": _trace([{"digest": digest, "name": "[1/1] RUN evil"}], [])}).encode(),
        json.dumps({"id": "moby.buildkit.trace", "aux": "!!!not base64!!!"}).encode(),
        json.dumps({"id": "moby.buildkit.trace", "aux": base64.b64encode(b"\xff\xff\xff\xff garbage").decode()}).encode(),
        b"{this is not json",
        json.dumps({"id": "moby.buildkit.trace", "aux": _trace(
            [{"digest": digest, "name": "[1/1] RUN evil", "started": now}],
            [{"vertex": digest, "t": now + 0.1, "data": hostile}],
        )}).encode(),
        json.dumps({"id": "moby.buildkit.trace", "aux": _trace(
            [{"digest": digest, "name": "[1/1] RUN evil", "started": now, "completed": now + 0.5}], [],
        )}).encode(),
        json.dumps({"id": "moby.image.id", "aux": {"ID": "sha256:" + "2" * 64}}).encode(),
    ]
    ctx = context(tmp_path, "FROM scratch\nCOPY a /a\n", {"a": b"x"})
    with FakeEngine(tmp_path / "fake.sock", lines) as host:
        client = connect(host)
        model = BuildModel()
        events = list(open_backend("engine", client=client, record=False).start(BuildInputs(context=ctx)))
        for event in events:
            model.apply(event)
        code, out, err = run_cli("build", str(ctx), "--host", host, "--no-record")
    assert model.status == "succeeded"
    assert model.malformed == 3, [e for e in events if type(e).__name__ == "MalformedMessage"]
    step = model.steps[digest]
    assert step.state == "done"
    [line] = list(step.log.lines)
    assert "\ufffd" in line  # invalid UTF-8 became replacement characters, not an exception
    shown = plain(line)
    assert "\x1b" not in shown and "\x07" not in shown and "\x00" not in shown and "pwned" not in shown
    assert shown.startswith("ok ") and "red" in shown and shown.endswith(" end")
    assert any(isinstance(e, LogChunk) for e in events)
    # the CLI prints the line without any terminal control sequence
    assert code == 0
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x07" not in out and "pwned" not in out
    assert "not utf-8" in out


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.engine
def test_non_utf8_and_control_characters_from_a_real_step(docker_api, offline_images, tmp_path):
    ctx = context(
        tmp_path,
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n"
        r"RUN printf 'caf\351 \033]0;title\007 \033[2Jcleared \033[32mgreen\033[0m\n'" "\n",
    )
    model = BuildModel()
    tag = f"msb-test-faults/controls:{uuid.uuid4().hex[:8]}"
    request = BuildInputs(context=ctx, build_args=offline_images, no_cache=True, tags=(tag,))
    try:
        for event in open_backend("engine", client=docker_api, record=False).start(request):
            model.apply(event)
    finally:
        if model.image_id:
            docker_api.remove_image(tag)
    assert model.status == "succeeded", model.error
    step = next(s for s in model.steps.values() if "RUN printf" in s.name)
    [line] = list(step.log.lines)
    assert line.startswith("caf\ufffd ")
    shown = plain(line)
    assert shown == "caf\ufffd  cleared green"


def test_invalid_build_arg_syntax_is_a_usage_error(tmp_path):
    ctx = context(tmp_path, "FROM scratch\nCOPY a /a\n", {"a": b"x"})
    with pytest.raises(SystemExit) as refused:  # argparse's usage error, before any engine is asked
        run_cli("build", str(ctx), "--build-arg", "=oops", "--host", "unix:///nonexistent")
    assert refused.value.code == 2


@pytest.mark.engine
def test_build_arg_making_an_invalid_image_reference(docker_api, tmp_path):
    ctx = context(tmp_path, "ARG BASE_IMAGE=busybox\nFROM ${BASE_IMAGE}\nRUN true\n")
    model = BuildModel()
    request = BuildInputs(context=ctx, build_args={"BASE_IMAGE": "Not A Valid//Reference"})
    for event in open_backend("engine", client=docker_api, record=False).start(request):
        model.apply(event)
    assert model.status == "failed"
    assert "invalid reference format" in model.error or "Not A Valid" in model.error, model.error


def test_missing_dockerfile(tmp_path):
    ctx = tmp_path / "empty"
    ctx.mkdir()
    code, _, err = run_cli("build", str(ctx), "--host", "unix:///nonexistent")
    assert code == 2 and "Dockerfile not found" in err
    code, _, err = run_cli("build", str(ctx), "-f", str(tmp_path / "nope.Dockerfile"), "--host", "unix:///nonexistent")
    assert code == 2 and "nope.Dockerfile" in err


@pytest.mark.engine
def test_missing_dockerfile_through_the_api(docker_api, tmp_path):
    ctx = tmp_path / "empty"
    ctx.mkdir()
    events = list(open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=ctx)))
    assert isinstance(events[-1], BuildFailed)
    assert "Dockerfile" in events[-1].message


def test_context_that_is_a_file(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\n")
    code, _, err = run_cli("build", str(path), "--host", "unix:///nonexistent")
    assert code == 2 and "not a folder" in err
    code, _, err = run_cli("build", str(tmp_path / "missing"), "--host", "unix:///nonexistent")
    assert code == 2 and "not found" in err


@pytest.mark.engine
def test_context_that_is_a_file_through_the_api(docker_api, tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch\n")
    events = list(open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=path)))
    assert isinstance(events[-1], BuildFailed)
    assert "folder" in events[-1].message or "directory" in events[-1].message, events[-1].message
