"""Build faults as data (issue 15: 16 were probed): ``msb-tui build`` against a scripted engine that
misbehaves. For each: the exit status, nothing received is lost (the recording holds every message
the engine sent before the fault, and a footer), no traceback, no hang."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildFailed
from msb_tui.builds.recording import read_footer, replay
from msb_tui.cli import main

IMAGE = b'{"id":"moby.image.id","aux":{"ID":"sha256:' + b"2" * 64 + b'"}}'
EMPTY = b'{"id":"moby.buildkit.trace","aux":""}'


def recorded_messages(path: Path) -> list[dict]:
    """The engine message lines a recording holds (undecodable messages included)."""
    lines = Path(path).read_text().splitlines()[1:]
    return [obj for obj in map(json.loads, lines) if "m" in obj or "raw" in obj]


def _stream(n: int) -> list[bytes]:
    return [json.dumps({"stream": f"message {i}\n"}).encode() for i in range(n)]


def chunked(lines):
    """A 200 answer as dockerd sends it: chunked, one message per chunk (the stream stays open)."""
    body = b"".join(b"%x\r\n%s\r\n" % (len(line) + 1, line + b"\n") for line in lines)
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body


def ok(lines):
    return b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + b"".join(line + b"\r\n" for line in lines)


class ScriptedEngine:
    """A unix-socket engine: /_ping and /version answer; POST /build runs ``script(sock)``."""

    def __init__(self, path: Path, script):
        self.path, self.script = path, script
        self.server = socket.socket(socket.AF_UNIX)
        self.server.bind(str(path))
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            request = head.decode("latin-1")
            length = 0
            for line in request.split("\r\n")[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            if request.startswith("POST") and "/build" in request.split("\r\n")[0]:
                try:
                    self.script(conn)
                except OSError:
                    pass
                return
            answer = b"OK" if "/_ping" in request else json.dumps(
                {"Version": "20.10.24", "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64"}).encode()
            conn.sendall(b"HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer))

    def close(self):
        self.server.close()


def send(data: bytes):
    return lambda conn: conn.sendall(data)


def trickle(data: bytes):
    def script(conn):
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
    return script


def reset_after(lines):
    def script(conn):
        conn.sendall(ok(lines))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return script


# (name, script, extra environment, exit status, messages that must be in the recording, output must show)
FAULTS = [
    ("closed-mid-stream", send(ok(_stream(8))), {}, 1, 8, "closed the stream before the build finished"),
    ("reset-mid-stream", reset_after(_stream(8)), {}, 1, 8, "status: failed"),
    ("http-500-json", send(b"HTTP/1.0 500 Internal\r\nContent-Type: application/json\r\n\r\n{\"message\": \"boom\"}"),
     {}, 1, 0, "boom"),
    ("http-500-text", send(b"HTTP/1.0 500 Internal\r\nContent-Type: text/plain\r\n\r\nnot json at all"), {}, 1, 0,
     "not json at all"),
    ("not-http", send(b"SSH-2.0-OpenSSH_9.2\r\n"), {}, 1, 0, "status: failed"),
    ("error-message", send(ok(_stream(3) + [b'{"errorDetail":{"message":"step failed"},"error":"step failed"}'])),
     {}, 1, 4, "step failed"),
    ("invalid-json-lines", send(ok(_stream(2) + [b"{oops", b"\xff\xfe"] + [IMAGE])), {}, 0, 5,
     "2 engine message(s) could not be decoded"),
    ("empty-trace-flood", send(ok([EMPTY] * 100_000 + _stream(2) + [IMAGE])), {}, 0, 3, "status: succeeded"),
    ("size-limit", send(ok(_stream(5000) + [IMAGE])), {"MSB_TUI_RECORDING_LIMIT": "20000"}, 0, None,
     "recording size limit reached"),
    ("huge-line", send(ok([json.dumps({"stream": "x" * 3_000_000 + "\n"}).encode(), IMAGE])), {}, 0, 2,
     "status: succeeded"),
    ("no-final-newline", send(ok([IMAGE])[:-2]), {}, 0, 1, "status: succeeded"),
    ("concatenated-objects", send(ok([b"".join(_stream(3)), IMAGE])), {}, 0, 4, "message 2"),
    ("one-byte-chunks", trickle(ok(_stream(5) + [IMAGE])), {}, 0, 6, "message 4"),
    ("no-image-id", send(ok(_stream(4))), {}, 1, 4, "closed the stream before the build finished"),
    ("hostile-text", send(ok([json.dumps({"stream": "\x1b]0;pwned\x07\x1b[2Jok\x00\n"}).encode(), IMAGE])), {}, 0, 2,
     "ok"),
]


def _build(tmp_path: Path, host: str, env: dict[str, str], monkeypatch, *args: str) -> tuple[int, str, str]:
    context = tmp_path / "ctx"
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (context / "a").write_text("a")
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["build", str(context), "--host", host, *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name, script, env, status, recorded, shown", FAULTS, ids=[f[0] for f in FAULTS])
def test_build_fault(name, script, env, status, recorded, shown, tmp_path, monkeypatch):
    engine = ScriptedEngine(tmp_path / "engine.sock", script)
    try:
        began = time.monotonic()
        code, out, err = _build(tmp_path, f"unix://{tmp_path / 'engine.sock'}", env, monkeypatch)
        assert time.monotonic() - began < 60
    finally:
        engine.close()
    assert code == status, (out, err)
    assert "Traceback" not in out + err
    assert shown in out + err
    assert "\x1b]" not in out and "\x07" not in out
    [path] = (tmp_path / "state" / "recordings").glob("*.jsonl")
    footer = read_footer(path)
    assert footer  # properly ended
    ended = list(replay(path, None))[-1]  # nothing lost:
    assert not isinstance(ended, BuildFailed) or ended.detail.get("recording") != "interrupted"
    if recorded is not None:
        assert len(recorded_messages(path)) == recorded
    assert b'"aux":""' not in path.read_bytes()  # empty traces are counted, never recorded


def test_sigterm_while_the_engine_is_silent_cancels_and_keeps_everything(tmp_path):
    release = threading.Event()

    def stall(conn):
        conn.sendall(chunked(_stream(8)))
        release.wait(30)

    engine = ScriptedEngine(tmp_path / "engine.sock", stall)
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (context / "a").write_text("a")
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"))
    build = subprocess.Popen([sys.executable, "-m", "msb_tui", "build", str(context), "--host",
                              f"unix://{tmp_path / 'engine.sock'}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            paths = list((tmp_path / "state" / "recordings").glob("*.jsonl")) if (tmp_path / "state").exists() else []
            if paths and paths[0].read_bytes().count(b"\n") >= 9:  # header + 8 messages on disk
                break
            assert time.monotonic() < deadline, "the messages never reached the recording"
            time.sleep(0.1)
        build.send_signal(signal.SIGTERM)
        out, err = build.communicate(timeout=20)
    finally:
        release.set()
        engine.close()
        if build.poll() is None:
            build.kill()
    assert build.returncode == 130, err
    assert len(recorded_messages(paths[0])) == 8 and read_footer(paths[0])["outcome"] == "cancelled"


def test_an_endless_line_from_the_engine_is_dropped_not_kept(monkeypatch):
    from msb_tui.backends import framing

    monkeypatch.setattr(framing, "MAX_MESSAGE", 1 << 20)

    def chunks():
        yield b'{"stream": "before"}\n'
        for _ in range(200):  # 200 MiB without a newline
            yield b"x" * (1 << 20)
        yield b'tail of the long line\n{"stream": "after"}\n'

    out = list(framing.json_lines(chunks()))
    assert [m for _, m in out if m is not framing.INVALID] == [{"stream": "before"}, {"stream": "after"}]
    [(raw, _)] = [(r, m) for r, m in out if m is framing.INVALID]
    assert b"longer than 1 MiB" in raw


def test_a_cancel_after_the_image_id_records_the_success(tmp_path):
    """Ctrl+C that lands after the engine sent the image id: the build succeeded, and its footer says so
    (seen with a 1,000,000-line step: the summary said succeeded, the footer 'cancelled'). BuildKit's
    progress can follow the image id: the Ctrl+C lands while a step update after it is read."""
    import base64

    from msb_tui.backends import open_backend
    from msb_tui.builds.events import BuildCancelled, ImageBuilt, VertexUpdate
    from msb_tui.builds.inputs import BuildInputs
    from msb_tui.builds.trace import StatusResponse
    from msb_tui.engine.connection import connect

    release = threading.Event()
    step = StatusResponse()
    step.vertexes.add(digest="sha256:run", name="[2/2] RUN x")
    trace = json.dumps({"id": "moby.buildkit.trace",
                        "aux": base64.b64encode(step.SerializeToString()).decode()}).encode()

    def stall_after_image(conn):
        conn.sendall(chunked(_stream(2) + [IMAGE, trace]))
        release.wait(30)

    engine = ScriptedEngine(tmp_path / "engine.sock", stall_after_image)
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (context / "a").write_text("a")
    try:
        client = connect(f"unix://{tmp_path / 'engine.sock'}")
        build = open_backend("engine", client=client, record=tmp_path / "r.jsonl").start(BuildInputs(context=context))
        events = []
        for event in build:
            events.append(event)
            if isinstance(event, VertexUpdate):
                build.cancel()
    finally:
        release.set()
        engine.close()
    assert read_footer(tmp_path / "r.jsonl")["outcome"] == "succeeded"
    assert isinstance(events[-2], ImageBuilt) and isinstance(events[-1], BuildCancelled)
