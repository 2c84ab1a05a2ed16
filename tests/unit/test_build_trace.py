"""Trace decoding on bytes captured from the real engine, cross-checked against the protobuf library."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from msb_tui.build.events import BuildWarning, LogChunk, MalformedMessage, StatusUpdate, VertexUpdate
from msb_tui.build.trace import decode_status_response, decode_trace

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"

# Captured from dockerd 20.10.24 (BuildKit 0.8): the first trace of a build.
FIRST_TRACE = (
    "Cn0KR3NoYTI1NjpmMzUyZjkyYWU4NDBkNmVmYjJjMTU4ZmI0Mzg4YzJhODU2NTAzMDY3ODQxOTZiYjQzMDIyNzliYmJlNDQ5"
    "MTFmGiRbaW50ZXJuYWxdIGxvYWQgcmVtb3RlIGJ1aWxkIGNvbnRleHQqDAj0/ozYBhDP6vzVAQ=="
)


def _status_response_class():
    """StatusResponse built from control.proto's field numbers with the protobuf library (independent
    of our wire decoder), to cross-check it."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb).SerializeToString())
    f = descriptor_pb2.FileDescriptorProto(name="control_test.proto", package="moby.buildkit.v1", syntax="proto3")
    f.dependency.append("google/protobuf/timestamp.proto")
    T = descriptor_pb2.FieldDescriptorProto

    def msg(name, fields):
        m = f.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            fd = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                fd.type_name = type_name

    O, R = T.LABEL_OPTIONAL, T.LABEL_REPEATED
    ts = ".google.protobuf.Timestamp"
    msg("Vertex", [("digest", 1, T.TYPE_STRING, O, None), ("inputs", 2, T.TYPE_STRING, R, None),
                   ("name", 3, T.TYPE_STRING, O, None), ("cached", 4, T.TYPE_BOOL, O, None),
                   ("started", 5, T.TYPE_MESSAGE, O, ts), ("completed", 6, T.TYPE_MESSAGE, O, ts),
                   ("error", 7, T.TYPE_STRING, O, None)])
    msg("VertexStatus", [("ID", 1, T.TYPE_STRING, O, None), ("vertex", 2, T.TYPE_STRING, O, None),
                         ("name", 3, T.TYPE_STRING, O, None), ("current", 4, T.TYPE_INT64, O, None),
                         ("total", 5, T.TYPE_INT64, O, None), ("timestamp", 6, T.TYPE_MESSAGE, O, ts),
                         ("started", 7, T.TYPE_MESSAGE, O, ts), ("completed", 8, T.TYPE_MESSAGE, O, ts)])
    msg("VertexLog", [("vertex", 1, T.TYPE_STRING, O, None), ("timestamp", 2, T.TYPE_MESSAGE, O, ts),
                      ("stream", 3, T.TYPE_INT64, O, None), ("msg", 4, T.TYPE_BYTES, O, None)])
    msg("VertexWarning", [("vertex", 1, T.TYPE_STRING, O, None), ("level", 2, T.TYPE_INT64, O, None),
                          ("short", 3, T.TYPE_BYTES, O, None), ("detail", 4, T.TYPE_BYTES, R, None),
                          ("url", 5, T.TYPE_STRING, O, None)])
    msg("StatusResponse", [("vertexes", 1, T.TYPE_MESSAGE, R, ".moby.buildkit.v1.Vertex"),
                           ("statuses", 2, T.TYPE_MESSAGE, R, ".moby.buildkit.v1.VertexStatus"),
                           ("logs", 3, T.TYPE_MESSAGE, R, ".moby.buildkit.v1.VertexLog"),
                           ("warnings", 4, T.TYPE_MESSAGE, R, ".moby.buildkit.v1.VertexWarning")])
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("moby.buildkit.v1.StatusResponse"))


StatusResponse = _status_response_class()


def _ts(message, field):
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    if value.seconds <= 0 and value.nanos == 0:
        return None
    return value.seconds + value.nanos / 1e9


def _captured_traces() -> list[str]:
    traces = []
    for path in sorted(RECORDINGS.glob("*.jsonl")):
        for line in path.read_text().splitlines()[1:]:
            entry = json.loads(line)
            message = entry.get("m") or {}
            if message.get("id") == "moby.buildkit.trace":
                traces.append(message["aux"])
    return traces


def test_first_captured_trace_is_the_context_vertex():
    [event] = decode_trace(FIRST_TRACE)
    assert isinstance(event, VertexUpdate)
    assert event.digest == "sha256:f352f92ae840d6efb2c158fb4388c2a85650306784196bb4302279bbbe44911f"
    assert event.name == "[internal] load remote build context"
    assert event.started is not None and 1.7e9 < event.started < 2.1e9
    assert event.completed is None and not event.cached and event.inputs == ()


def test_every_captured_trace_matches_the_protobuf_library():
    traces = _captured_traces()
    assert len(traces) > 50
    kinds = set()
    for aux in traces:
        events = decode_trace(aux)
        reference = StatusResponse.FromString(base64.b64decode(aux))
        expected = []
        for v in reference.vertexes:
            expected.append(VertexUpdate(v.digest, v.name, tuple(v.inputs), _ts(v, "started"), _ts(v, "completed"),
                                         v.cached, v.error or None))
        for s in reference.statuses:
            expected.append(StatusUpdate(s.ID, s.vertex, s.name, s.current, s.total, _ts(s, "timestamp"),
                                         _ts(s, "started"), _ts(s, "completed")))
        for log in reference.logs:
            expected.append(LogChunk(log.vertex, log.msg, log.stream, _ts(log, "timestamp")))
        # Go writes the fields in number order, so the order is the same.
        assert events == expected
        kinds.update(type(e).__name__ for e in events)
    assert {"VertexUpdate", "StatusUpdate", "LogChunk"} <= kinds


def test_all_entry_kinds_round_trip_through_protobuf_encoding():
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
    events = decode_trace(base64.b64encode(response.SerializeToString()).decode())
    assert events == [
        VertexUpdate("sha256:a", "[build 2/4] RUN x", ("sha256:b", "sha256:c"), 1_700_000_000.5, 1_700_000_002.0, True, "boom"),
        StatusUpdate("extracting", "sha256:a", "layer", 5, -1, 1_700_000_001.0, None, None),
        LogChunk("sha256:a", b"\xff\xfe not utf-8\n", 2, 1_700_000_001.0),
        BuildWarning("sha256:a", "JSONArgsRecommended", 1, ("use JSON", "for CMD"), "https://x"),
    ]


def test_unknown_fields_are_skipped():
    response = StatusResponse()
    response.vertexes.add(digest="sha256:a", name="x")
    data = response.SerializeToString()
    # field 9 varint, field 10 fixed64, field 11 fixed32, field 12 bytes (newer BuildKit additions)
    extra = bytes([9 << 3 | 0, 1, 10 << 3 | 1]) + b"\0" * 8 + bytes([11 << 3 | 5]) + b"\0" * 4 + bytes([12 << 3 | 2, 2]) + b"hi"
    events = decode_status_response(data + extra)
    assert [e.digest for e in events] == ["sha256:a"]


@pytest.mark.parametrize(
    "aux",
    [
        "not base64!!",
        base64.b64encode(b"\x0a\x50short").decode(),  # length runs past the end
        base64.b64encode(b"\x0b").decode(),  # wire type 3 (groups) is not used here
        base64.b64encode(b"\x0a\x02\xff").decode(),  # truncated varint inside
        base64.b64encode(b"\x08\x01").decode(),  # vertexes as a varint
        base64.b64encode(b"\x0a\x00").decode(),  # a vertex without a digest
    ],
)
def test_malformed_traces_become_malformed_messages(aux):
    [event] = decode_trace(aux)
    assert isinstance(event, MalformedMessage)
    assert event.reason


def test_empty_trace_is_no_events():
    assert decode_trace("") == []
