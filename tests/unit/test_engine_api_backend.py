"""The Engine API backend against a fake engine: request parameters, split messages, errors, cancel, recording."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt, MalformedMessage, StreamText, VertexUpdate
from msb_tui.builds.recording import read_footer, read_inputs, replay
from msb_tui.backends.engine_api import EngineApiBackend
from msb_tui.backends.engine_request import build_params
from msb_tui.builds.inputs import BuildInputs

from recorded import recorded_messages

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


class _Raw:
    def __init__(self, response):
        self.response = response

    def shutdown(self):
        self.response.close()


class _Response:
    def __init__(self, chunks=(), status=200, body=None, block=None):
        self.status_code = status
        self.chunks = list(chunks)
        self.raw = _Raw(self)
        self._body = body
        self.closed = False
        self.block = block

    def iter_content(self, chunk_size=None):
        while self.chunks:
            yield self.chunks.pop(0)
        if self.block is not None:
            self.block.wait(5)

    def json(self):
        return json.loads(self._body)

    @property
    def text(self):
        return self._body or ""

    def close(self):
        self.closed = True
        if self.block is not None:
            self.block.set()


class _Client:
    base_url = "http://engine"
    api_version = "1.41"

    def __init__(self, response):
        self.response = response
        self.posts = []

    def post(self, url, params=None, data=None, headers=None, stream=False, timeout=None):
        body = b""
        while chunk := data.read(8192):
            body += chunk
        self.posts.append({"url": url, "params": params, "body": body, "headers": headers})
        return self.response

    def version(self, api_version=True):
        return {"Version": "20.10.24", "ApiVersion": "1.41", "Os": "linux"}

    def info(self):
        return {"Driver": "overlay2"}


def start_build(client, inputs, *, record=True):
    return EngineApiBackend(client, record=record).start(inputs)


@pytest.fixture
def context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    (tmp_path / "a").write_text("a")
    return tmp_path


def _lines(messages):
    return b"".join(json.dumps(m).encode() + b"\r\n" for m in messages)


def test_build_params():
    request = BuildInputs(Path("."), target="final", build_args={"A": "1"}, no_cache=True, pull=True,
                           platform="linux/amd64", tags=("a:1", "b:2"), labels={"k": "v"})
    params = build_params(request, "Dockerfile")
    assert params == {"dockerfile": "Dockerfile", "version": "2", "rm": "1", "t": ["a:1", "b:2"], "target": "final",
                      "buildargs": '{"A": "1"}', "labels": '{"k": "v"}', "nocache": "1", "pull": "1",
                      "platform": "linux/amd64"}
    assert build_params(BuildInputs(Path(".")), "D", classic=True)["version"] == "1"
    assert build_params(BuildInputs(Path("."), network="none"), "D")["networkmode"] == "none"


def test_messages_split_across_chunks_are_decoded(context, tmp_path):
    recording = RECORDINGS / "seed-example.jsonl"
    raw = _lines([m for _, m in recorded_messages(recording)])
    chunks = [raw[i : i + 37] for i in range(0, len(raw), 37)]  # cut everywhere, mid-message
    client = _Client(_Response(chunks))
    events = list(start_build(client, BuildInputs(context), record=tmp_path / "rec.jsonl"))
    def comparable(items):  # StreamText carries the receive time, which differs
        return [StreamText(e.text) if isinstance(e, StreamText) else e for e in items]

    assert comparable(events) == comparable(replay(recording, None))
    assert isinstance(events[-1], (ImageBuilt, VertexUpdate, StreamText))
    post = client.posts[0]
    assert post["url"] == "http://engine/v1.41/build" and post["headers"]["Content-Type"] == "application/x-tar"
    assert post["params"]["dockerfile"] == "Dockerfile"
    # The recording holds the same messages and the inputs.
    copy = tmp_path / "rec.jsonl"
    assert [m for _, m in recorded_messages(copy)] == [m for _, m in recorded_messages(recording)]
    assert read_inputs(copy)["dockerfile_text"] == "FROM scratch\nCOPY a /a\n"
    assert read_inputs(copy)["engine"]["version"] == "20.10.24"
    assert read_footer(copy)["outcome"] == "succeeded"


def test_concatenated_and_invalid_messages(context):
    chunks = [b'{"stream": "a"}{"stream": "b"}\n', b"{garbage\n", b'{"aux": {"ID": "sha256:9"}}\n']
    events = list(start_build(_Client(_Response(chunks)), BuildInputs(context), record=False))
    assert events[:2] == [StreamText("a", events[0].timestamp), StreamText("b", events[1].timestamp)]
    assert isinstance(events[2], MalformedMessage)
    assert events[3] == ImageBuilt("sha256:9")


def test_http_error_becomes_build_failed(context):
    response = _Response(status=500, body='{"message": "failed to parse platform : \\"\\" is an invalid component"}')
    events = list(start_build(_Client(response), BuildInputs(context), record=False))
    assert events == [BuildFailed('failed to parse platform : "" is an invalid component', {"status": 500})]


def test_stream_ending_without_outcome_is_a_failure(context):
    chunks = [_lines([{"stream": "x"}])]
    events = list(start_build(_Client(_Response(chunks)), BuildInputs(context), record=False))
    assert isinstance(events[-1], BuildFailed) and "closed the stream" in events[-1].message


def test_engine_error_message(context):
    chunks = [_lines([{"errorDetail": {"message": "boom"}, "error": "boom"}])]
    events = list(start_build(_Client(_Response(chunks)), BuildInputs(context), record=False))
    assert events == [BuildFailed("boom", {"message": "boom"})]


def test_cancel_from_another_thread(context, tmp_path):
    block = threading.Event()
    response = _Response([_lines([{"stream": "started"}])], block=block)
    stream = start_build(_Client(response), BuildInputs(context), record=tmp_path / "c.jsonl")
    events = []
    for event in stream:
        events.append(event)
        if isinstance(event, StreamText):
            threading.Timer(0.05, stream.cancel).start()
    assert events[-1] == BuildCancelled()
    assert response.closed
    assert read_footer(tmp_path / "c.jsonl")["outcome"] == "cancelled"


def test_cancel_before_start_sends_nothing(context):
    client = _Client(_Response())
    stream = start_build(client, BuildInputs(context), record=False)
    stream.cancel()
    assert list(stream) == [BuildCancelled()]
    assert client.posts == []


def test_context_errors_are_build_failures(tmp_path):
    client = _Client(_Response())
    events = list(start_build(client, BuildInputs(tmp_path), record=False))
    assert len(events) == 1 and "Dockerfile not found" in events[0].message
    file = tmp_path / "file"
    file.write_text("x")
    events = list(start_build(client, BuildInputs(file, dockerfile=file), record=False))
    assert "not a folder" in events[0].message
    assert client.posts == []


def test_arg_only_dockerfile_is_never_sent(tmp_path):
    (tmp_path / "Dockerfile").write_text("ARG A=1\nARG B\n")
    client = _Client(_Response())
    events = list(start_build(client, BuildInputs(tmp_path), record=False))
    assert "not sent to the engine" in events[0].message and "no FROM" in events[0].message
    assert client.posts == []


# Characters Python's splitlines() breaks lines on and BuildKit does not: each hides the FROM inside the
# ARG line, a file that panicked dockerd 20.10 when msb-tui checked it with splitlines() (issue 15 item 1).
SEPARATORS = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=[repr(s) for s in SEPARATORS])
def test_a_from_hidden_behind_a_python_only_line_break_is_refused_with_its_line(tmp_path, separator):
    (tmp_path / "Dockerfile").write_bytes(f"ARG A=1{separator}FROM msb-demo/busybox:1.35\n".encode())
    client = _Client(_Response())
    events = list(start_build(client, BuildInputs(tmp_path), record=False))
    assert client.posts == []
    assert events[0].detail["line"] == 1 and "line 1" in events[0].message, events[0].message


def test_crlf_line_ends_are_not_refused(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"ARG A=1\r\nFROM scratch\r\n")
    client = _Client(_Response([_lines([{"aux": {"ID": "sha256:1"}}])]))
    events = list(start_build(client, BuildInputs(tmp_path), record=False))
    assert client.posts and events[-1] == ImageBuilt("sha256:1")


def test_stream_can_be_iterated_once(context):
    stream = start_build(_Client(_Response([_lines([{"aux": {"ID": "sha256:1"}}])])), BuildInputs(context), record=False)
    list(stream)
    with pytest.raises(RuntimeError):
        list(stream)


def test_cancel_during_the_upload_stops_sending(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY big /big\n")
    (tmp_path / "big").write_bytes(b"x" * 1_000_000)
    client = _Client(_Response())
    stream = start_build(client, BuildInputs(tmp_path), record=False)
    uploads = []

    def progress(phase, done, total):
        if phase == "upload":
            uploads.append(done)
            if done >= 100_000:
                stream.cancel()

    stream.context_progress = progress
    assert list(stream) == [BuildCancelled()]
    assert client.posts == []  # the fake engine never got a whole body
    assert uploads[-1] < 200_000


def test_cancel_while_the_context_is_tarred(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY big /big\n")
    (tmp_path / "big").write_bytes(b"\0" * (24 << 20))  # big enough to report progress mid-file
    client = _Client(_Response())
    stream = start_build(client, BuildInputs(tmp_path), record=False)
    seen = []

    def progress(phase, done, total):
        seen.append((phase, done, total))
        if phase == "tar" and total >= 4 << 20:
            stream.cancel()

    stream.context_progress = progress
    assert list(stream) == [BuildCancelled()]
    assert client.posts == [] and seen[-1][0] == "tar" and seen[-1][2] < 24 << 20


def test_a_huge_message_in_small_chunks_is_reassembled(context):
    import base64

    from msb_tui.builds.trace import StatusResponse

    response = StatusResponse()
    response.logs.add(vertex="sha256:a", stream=1, msg=b"y" * 3_000_000).timestamp.seconds = 1_700_000_000
    message = {"id": "moby.buildkit.trace", "aux": base64.b64encode(response.SerializeToString()).decode()}
    raw = _lines([message, {"aux": {"ID": "sha256:1"}}])
    chunks = [raw[i : i + 1000] for i in range(0, len(raw), 1000)]  # ~4,000 chunks
    events = list(start_build(_Client(_Response(chunks)), BuildInputs(context), record=False))
    assert len(events[0].data) == 3_000_000 and events[-1] == ImageBuilt("sha256:1")


def test_a_reader_that_stops_early_records_a_cancel(context, tmp_path):
    chunks = [_lines([{"stream": "one"}, {"stream": "two"}])]
    stream = start_build(_Client(_Response(chunks, block=threading.Event())), BuildInputs(context),
                         record=tmp_path / "r.jsonl")
    events = iter(stream)
    next(events)
    events.close()  # what leaving a for loop early does to the generator
    assert read_footer(tmp_path / "r.jsonl")["outcome"] == "cancelled"
    assert list(replay(tmp_path / "r.jsonl", None))[-1] == BuildCancelled()
