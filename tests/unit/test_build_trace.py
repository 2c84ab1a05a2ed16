"""Trace decoding: bytes captured from the real engine, every entry kind, random StatusResponses
(the events must hold exactly the values put in), and malformed input."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.builds.events import BuildWarning, LogChunk, MalformedMessage, StatusUpdate, VertexUpdate
from msb_tui.builds.trace import StatusResponse, decode_status_response, decode_trace

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"

# Captured from dockerd 20.10.24 (BuildKit 0.8): the first trace of a build.
FIRST_TRACE = (
    "Cn0KR3NoYTI1NjpmMzUyZjkyYWU4NDBkNmVmYjJjMTU4ZmI0Mzg4YzJhODU2NTAzMDY3ODQxOTZiYjQzMDIyNzliYmJlNDQ5"
    "MTFmGiRbaW50ZXJuYWxdIGxvYWQgcmVtb3RlIGJ1aWxkIGNvbnRleHQqDAj0/ozYBhDP6vzVAQ=="
)


def captured_traces() -> list[str]:
    traces = []
    for path in sorted(RECORDINGS.glob("*.jsonl")):
        for line in path.read_text().splitlines()[1:]:
            message = json.loads(line).get("m") or {}
            if message.get("id") == "moby.buildkit.trace":
                traces.append(message["aux"])
    return traces


def test_first_captured_trace_is_the_context_vertex():
    [event] = decode_trace(FIRST_TRACE)
    assert isinstance(event, VertexUpdate)
    assert event.digest == "sha256:f352f92ae840d6efb2c158fb4388c2a85650306784196bb4302279bbbe44911f"
    assert event.name == "[internal] load remote build context"
    assert event.started == pytest.approx(1795374964.448, abs=0.001)
    assert event.completed is None and not event.cached and event.inputs == ()


def test_every_captured_trace_decodes():
    traces = captured_traces()
    assert len(traces) > 50
    kinds = set()
    for aux in traces:
        kinds.update(type(e).__name__ for e in decode_trace(aux))
    assert kinds == {"VertexUpdate", "StatusUpdate", "LogChunk"}


def test_captured_log_and_status_entries():
    logs = [e for aux in captured_traces() for e in decode_trace(aux) if isinstance(e, LogChunk)]
    assert any(e.data == b"compiling backend...\n" for e in logs)
    assert all(e.stream in (1, 2) and e.timestamp and e.vertex.startswith("sha256:") for e in logs)
    statuses = [e for aux in captured_traces() for e in decode_trace(aux) if isinstance(e, StatusUpdate)]
    assert any(e.id.startswith("writing image sha256:") for e in statuses)


def test_all_entry_kinds_decode():
    response = StatusResponse()
    v = response.vertexes.add(digest="sha256:a", name="[build 2/4] RUN x", cached=True, error="boom")
    v.inputs.extend(["sha256:b", "sha256:c"])
    v.started.seconds, v.started.nanos = 1_700_000_000, 500_000_000
    v.completed.seconds = 1_700_000_002
    s = response.statuses.add(ID="extracting", vertex="sha256:a", name="layer", current=5, total=-1)
    s.timestamp.seconds = 1_700_000_001
    log = response.logs.add(vertex="sha256:a", stream=2, msg=b"\xff\xfe not utf-8\n")
    log.timestamp.seconds = 1_700_000_001
    w = response.warnings.add(vertex="sha256:a", level=1, short=b"JSONArgsRecommended", url="https://x")
    w.detail.extend([b"use JSON", b"for CMD"])
    aux = base64.b64encode(response.SerializeToString()).decode()
    expected = [
        VertexUpdate("sha256:a", "[build 2/4] RUN x", ("sha256:b", "sha256:c"), 1_700_000_000.5, 1_700_000_002.0, True, "boom"),
        StatusUpdate("extracting", "sha256:a", "layer", 5, -1, 1_700_000_001.0, None, None),
        LogChunk("sha256:a", b"\xff\xfe not utf-8\n", 2, 1_700_000_001.0),
        BuildWarning("sha256:a", "JSONArgsRecommended", 1, ("use JSON", "for CMD"), "https://x"),
    ]
    assert decode_trace(aux) == expected


def test_unknown_fields_are_skipped():
    response = StatusResponse()
    response.vertexes.add(digest="sha256:a", name="x")
    data = response.SerializeToString()
    # field 9 varint, 10 fixed64, 11 fixed32, 12 bytes (what newer BuildKits might add), and a
    # progressGroup (Vertex field 8) inside the vertex.
    extra = bytes([9 << 3 | 0, 1, 10 << 3 | 1]) + b"\0" * 8 + bytes([11 << 3 | 5]) + b"\0" * 4 + bytes([12 << 3 | 2, 2]) + b"hi"
    assert [e.digest for e in decode_status_response(data + extra)] == ["sha256:a"]
    vertex = b"\x0a\x08sha256:a" + bytes([8 << 3 | 2, 4]) + b"\x0a\x02id"
    [event] = decode_status_response(bytes([1 << 3 | 2, len(vertex)]) + vertex)
    assert event.digest == "sha256:a"


@pytest.mark.parametrize(
    "aux",
    [
        "not base64!!",
        base64.b64encode(b"\x0a\x50short").decode(),  # length runs past the end
        base64.b64encode(b"\x0a\x05ab").decode(),  # a vertex cut short
        base64.b64encode(b"\x0a\x02\xff").decode(),  # truncated varint inside
        base64.b64encode(b"\x0a\x00").decode(),  # a vertex without a digest
        base64.b64encode(b"\x0a\x03\x0a\x01\xff").decode(),  # a digest that is not UTF-8
        base64.b64encode(b"\x0b").decode(),  # a group (wire type 3) that never ends
    ],
)
def test_malformed_traces_become_malformed_messages(aux):
    [event] = decode_trace(aux)
    assert isinstance(event, MalformedMessage)
    assert event.reason.startswith(("trace is not base64", "trace is not a StatusResponse", "trace has a vertex"))


def test_empty_trace_is_no_events():
    assert decode_trace("") == []


def test_the_schema_has_buildkits_field_numbers():
    fields = {f.name: f.number for f in StatusResponse.DESCRIPTOR.fields}
    assert fields == {"vertexes": 1, "statuses": 2, "logs": 3, "warnings": 4}


def _stamp(seconds: int, nanos: int) -> float | None:
    """What a Timestamp means to the decoder: None when unset or at (or before) the epoch."""
    return seconds + nanos / 1e9 if seconds > 0 else None


seconds = st.one_of(st.just(0), st.integers(-5, 5), st.integers(1_600_000_000, 1_900_000_000))
nanos = st.integers(0, 999_999_999)
text = st.text(max_size=30)
int64 = st.integers(-(1 << 63), (1 << 63) - 1)


@st.composite
def responses(draw) -> tuple[bytes, list]:
    """A serialized StatusResponse and the events it must decode to, worked out from the drawn values."""
    response, vertexes, statuses, logs, warnings = StatusResponse(), [], [], [], []
    for _ in range(draw(st.integers(0, 3))):
        digest, name, cached, error = draw(st.text(min_size=1, max_size=20)), draw(text), draw(st.booleans()), draw(text)
        inputs = draw(st.lists(text, max_size=3))
        v = response.vertexes.add(digest=digest, name=name, cached=cached, error=error)
        v.inputs.extend(inputs)
        times = {}
        for field in ("started", "completed"):
            times[field] = None
            if draw(st.booleans()):
                stamp = getattr(v, field)
                stamp.seconds, stamp.nanos = draw(seconds), draw(nanos)
                times[field] = _stamp(stamp.seconds, stamp.nanos)
        vertexes.append(VertexUpdate(digest, name, tuple(inputs), times["started"], times["completed"], cached, error or None))
    for _ in range(draw(st.integers(0, 3))):
        ident, vertex, name, current, total = draw(text), draw(text), draw(text), draw(int64), draw(int64)
        s = response.statuses.add(ID=ident, vertex=vertex, name=name, current=current, total=total)
        when = None
        if draw(st.booleans()):
            s.timestamp.seconds = draw(seconds)
            when = _stamp(s.timestamp.seconds, 0)
        statuses.append(StatusUpdate(ident, vertex, name, current, total, when, None, None))
    for _ in range(draw(st.integers(0, 4))):
        vertex, stream, msg = draw(text), draw(st.integers(-3, 3)), draw(st.binary(max_size=40))
        log = response.logs.add(vertex=vertex, stream=stream, msg=msg)
        when = None
        if draw(st.booleans()):
            log.timestamp.seconds, log.timestamp.nanos = draw(seconds), draw(nanos)
            when = _stamp(log.timestamp.seconds, log.timestamp.nanos)
        logs.append(LogChunk(vertex, msg, stream, when))
    for _ in range(draw(st.integers(0, 2))):
        vertex, level, short, url = draw(text), draw(int64), draw(st.binary(max_size=20)), draw(text)
        detail = draw(st.lists(st.binary(max_size=10), max_size=2))
        w = response.warnings.add(vertex=vertex, level=level, short=short, url=url)
        w.detail.extend(detail)
        warnings.append(BuildWarning(vertex, short.decode("utf-8", "replace"), level,
                                     tuple(d.decode("utf-8", "replace") for d in detail), url))
    return response.SerializeToString(), vertexes + statuses + logs + warnings


@settings(max_examples=300, deadline=None)
@given(responses())
def test_random_status_responses_decode_to_the_values_put_in(drawn):
    data, expected = drawn
    assert decode_trace(base64.b64encode(data).decode()) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_arbitrary_bytes_are_events_or_one_malformed_message(data):
    events = decode_trace(base64.b64encode(data).decode())
    malformed = [e for e in events if isinstance(e, MalformedMessage)]
    assert malformed == [] or events == malformed[:1]
