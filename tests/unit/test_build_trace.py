"""Trace decoding on bytes captured from the real engine, cross-checked against an independent
hand-written wire decoder (``test_build_wire.py``)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildWarning, LogChunk, MalformedMessage, StatusUpdate, VertexUpdate
from msb_tui.builds.trace import StatusResponse, decode_status_response, decode_trace
from msb_tui.builds.trace_wire import decode_trace as wire_decode_trace

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


def test_every_captured_trace_matches_the_wire_reference():
    traces = captured_traces()
    assert len(traces) > 50
    kinds = set()
    for aux in traces:
        events = decode_trace(aux)
        assert events == wire_decode_trace(aux)
        kinds.update(type(e).__name__ for e in events)
    assert {"VertexUpdate", "StatusUpdate", "LogChunk"} <= kinds


def test_captured_log_and_status_entries():
    logs = [e for aux in captured_traces() for e in decode_trace(aux) if isinstance(e, LogChunk)]
    assert any(e.data == b"compiling backend...\n" for e in logs)
    assert all(e.stream in (1, 2) and e.timestamp and e.vertex.startswith("sha256:") for e in logs)
    statuses = [e for aux in captured_traces() for e in decode_trace(aux) if isinstance(e, StatusUpdate)]
    assert any(e.id.startswith("writing image sha256:") for e in statuses)


def test_all_entry_kinds_decode_and_match_the_wire_reference():
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
    assert wire_decode_trace(aux) == expected


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
        base64.b64encode(b"\x0a\x02\xff").decode(),  # truncated varint inside
        base64.b64encode(b"\x0a\x00").decode(),  # a vertex without a digest
        base64.b64encode(b"\x0a\x03\x0a\x01\xff").decode(),  # a digest that is not UTF-8
        base64.b64encode(b"\x0b").decode(),  # a group (wire type 3) that never ends
    ],
)
def test_malformed_traces_become_malformed_messages(aux):
    for decode in (decode_trace, wire_decode_trace):
        [event] = decode(aux)
        assert isinstance(event, MalformedMessage)
        assert event.reason


def test_empty_trace_is_no_events():
    assert decode_trace("") == []


def test_embedded_descriptor_is_the_schema():
    """trace.py keeps the descriptor serialized (no descriptor_pb2 at import); it must be _SCHEMA's."""
    from msb_tui.builds import trace

    assert trace.file_descriptor_proto().SerializeToString() == trace._DESCRIPTOR
    fields = {f.name: f.number for f in StatusResponse.DESCRIPTOR.fields}
    assert fields == {"vertexes": 1, "statuses": 2, "logs": 3, "warnings": 4}
