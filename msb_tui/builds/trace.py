"""Decode BuildKit's progress trace: one ``moby.buildkit.trace`` aux (base64 protobuf) -> events.

Each aux is a ``moby.buildkit.v1.StatusResponse`` (moby/buildkit api/services/control/control.proto):

    StatusResponse: vertexes=1 Vertex, statuses=2 VertexStatus, logs=3 VertexLog, warnings=4 VertexWarning
    Vertex:        digest=1, inputs=2 (repeated), name=3, cached=4, started=5, completed=6, error=7,
                   progressGroup=8 (pb.ProgressGroup: id=1, name=2, weak=3)
    VertexStatus:  ID=1, vertex=2, name=3, current=4, total=5, timestamp=6, started=7, completed=8
    VertexLog:     vertex=1, timestamp=2, stream=3, msg=4
    VertexWarning: vertex=1, level=2, short=3, detail=4 (repeated bytes), url=5, info=6 (not decoded),
                   ranges=7 (repeated pb.Range: start=1, end=2 Position: line=1, character=2)

The message classes are built at import time from the schema below (there is no protoc on these
machines). Fields we do not declare (source info, anything newer BuildKits add) are skipped. Anything that does not parse becomes a ``MalformedMessage``.
"""

from __future__ import annotations

import base64
import binascii

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.message import DecodeError

from msb_tui.builds.events import BuildWarning, EngineEvent, LogChunk, MalformedMessage, ProgressGroup, StatusUpdate, VertexUpdate

_FIELD = descriptor_pb2.FieldDescriptorProto
_STRING, _BOOL, _INT64, _BYTES, _MESSAGE = _FIELD.TYPE_STRING, _FIELD.TYPE_BOOL, _FIELD.TYPE_INT64, _FIELD.TYPE_BYTES, _FIELD.TYPE_MESSAGE
_OPTIONAL, _REPEATED = _FIELD.LABEL_OPTIONAL, _FIELD.LABEL_REPEATED
_TIMESTAMP = ".google.protobuf.Timestamp"
_PACKAGE = "moby.buildkit.v1"

# message -> [(field, number, type, label, message type)]
_SCHEMA: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "Vertex": [
        ("digest", 1, _STRING, _OPTIONAL, None),
        ("inputs", 2, _STRING, _REPEATED, None),
        ("name", 3, _STRING, _OPTIONAL, None),
        ("cached", 4, _BOOL, _OPTIONAL, None),
        ("started", 5, _MESSAGE, _OPTIONAL, _TIMESTAMP),
        ("completed", 6, _MESSAGE, _OPTIONAL, _TIMESTAMP),
        ("error", 7, _STRING, _OPTIONAL, None),
        ("progressGroup", 8, _MESSAGE, _OPTIONAL, f".{_PACKAGE}.ProgressGroup"),
    ],
    # BuildKit's pb.ProgressGroup (solver/pb/ops.proto): vertexes its UI shows as one row.
    "ProgressGroup": [
        ("id", 1, _STRING, _OPTIONAL, None),
        ("name", 2, _STRING, _OPTIONAL, None),
        ("weak", 3, _BOOL, _OPTIONAL, None),
    ],
    "VertexStatus": [
        ("ID", 1, _STRING, _OPTIONAL, None),
        ("vertex", 2, _STRING, _OPTIONAL, None),
        ("name", 3, _STRING, _OPTIONAL, None),
        ("current", 4, _INT64, _OPTIONAL, None),
        ("total", 5, _INT64, _OPTIONAL, None),
        ("timestamp", 6, _MESSAGE, _OPTIONAL, _TIMESTAMP),
        ("started", 7, _MESSAGE, _OPTIONAL, _TIMESTAMP),
        ("completed", 8, _MESSAGE, _OPTIONAL, _TIMESTAMP),
    ],
    "VertexLog": [
        ("vertex", 1, _STRING, _OPTIONAL, None),
        ("timestamp", 2, _MESSAGE, _OPTIONAL, _TIMESTAMP),
        ("stream", 3, _INT64, _OPTIONAL, None),
        ("msg", 4, _BYTES, _OPTIONAL, None),
    ],
    "VertexWarning": [
        ("vertex", 1, _STRING, _OPTIONAL, None),
        ("level", 2, _INT64, _OPTIONAL, None),
        ("short", 3, _BYTES, _OPTIONAL, None),
        ("detail", 4, _BYTES, _REPEATED, None),
        ("url", 5, _STRING, _OPTIONAL, None),
        ("ranges", 7, _MESSAGE, _REPEATED, f".{_PACKAGE}.Range"),
    ],
    # BuildKit's pb.Range / pb.Position (solver/pb/ops.proto): where in the Dockerfile a build
    # check's warning points.
    "Position": [
        ("line", 1, _INT64, _OPTIONAL, None),
        ("character", 2, _INT64, _OPTIONAL, None),
    ],
    "Range": [
        ("start", 1, _MESSAGE, _OPTIONAL, f".{_PACKAGE}.Position"),
        ("end", 2, _MESSAGE, _OPTIONAL, f".{_PACKAGE}.Position"),
    ],
    "StatusResponse": [
        ("vertexes", 1, _MESSAGE, _REPEATED, f".{_PACKAGE}.Vertex"),
        ("statuses", 2, _MESSAGE, _REPEATED, f".{_PACKAGE}.VertexStatus"),
        ("logs", 3, _MESSAGE, _REPEATED, f".{_PACKAGE}.VertexLog"),
        ("warnings", 4, _MESSAGE, _REPEATED, f".{_PACKAGE}.VertexWarning"),
    ],
}


def _status_response_class():
    """The StatusResponse message class, from a FileDescriptorProto made of ``_SCHEMA``."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="msb_tui/buildkit_control.proto", package=_PACKAGE, syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"])
    for name, fields in _SCHEMA.items():
        message = proto.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.StatusResponse"))


StatusResponse = _status_response_class()


def _time(message, field: str) -> float | None:
    """A Timestamp field as epoch seconds; unset or the zero time (gogo's non-nullable default) -> None."""
    if not message.HasField(field):
        return None
    value = getattr(message, field)
    seconds = value.seconds
    if seconds <= 0:
        return None
    return seconds + value.nanos / 1e9


def decode_status_response(data: bytes) -> list[EngineEvent]:
    """Events from one serialized StatusResponse: vertexes, then statuses, logs and warnings (the
    order Go writes them in)."""
    try:
        response = StatusResponse.FromString(data)
    except (DecodeError, ValueError, RuntimeError) as error:
        return [MalformedMessage(f"trace is not a StatusResponse: {error}", data[:200])]
    events: list[EngineEvent] = []
    append = events.append
    for v in response.vertexes:
        if not v.digest:
            return [MalformedMessage("trace has a vertex without a digest", data[:200])]
        group = ProgressGroup(v.progressGroup.id, v.progressGroup.name, v.progressGroup.weak) if v.progressGroup.id else None
        append(VertexUpdate(v.digest, v.name, tuple(v.inputs), _time(v, "started"), _time(v, "completed"), v.cached,
                            v.error or None, group))
    for s in response.statuses:
        append(StatusUpdate(s.ID, s.vertex, s.name, s.current, s.total, _time(s, "timestamp"), _time(s, "started"), _time(s, "completed")))
    for log in response.logs:
        append(LogChunk(log.vertex, log.msg, log.stream, _time(log, "timestamp")))
    for w in response.warnings:
        line = w.ranges[0].start.line if w.ranges and w.ranges[0].start.line > 0 else None
        append(BuildWarning(w.vertex, w.short.decode("utf-8", "replace"), w.level,
                            tuple(d.decode("utf-8", "replace") for d in w.detail), w.url, line))
    return events


def decode_trace(aux: str | bytes) -> list[EngineEvent]:
    """Events from one ``moby.buildkit.trace`` aux value (base64 text); a ``MalformedMessage`` if it
    cannot be decoded."""
    try:
        data = base64.b64decode(aux, validate=True)
    except (binascii.Error, ValueError) as error:
        raw = aux.encode("ascii", "replace") if isinstance(aux, str) else aux
        return [MalformedMessage(f"trace is not base64: {error}", raw[:200])]
    return decode_status_response(data)
