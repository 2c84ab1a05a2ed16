"""BuildKit trace messages decoded by reading the protobuf wire format directly, in pure Python.

Gives exactly the events of :mod:`msb_tui.builds.trace` (the protobuf library's C decoder) and is
there for start-up: importing protobuf costs ~20 ms, a quarter of a cached ``msb-tui build``.
``MessageDecoder`` uses this for a build's first messages and switches to the C decoder, ~2.7x
faster per message, when a build sends many (``benchmarks/bench_build_trace.py``). The field
numbers are the ones listed in ``trace.py``; both decoders follow protobuf's rules: unknown fields
and fields of an unexpected wire type are skipped, strings must be UTF-8, entries come out as
vertexes, statuses, logs, then warnings.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable

from msb_tui.builds.events import BuildWarning, EngineEvent, LogChunk, MalformedMessage, StatusUpdate, VertexUpdate

_VARINT, _FIXED64, _LENGTH, _START_GROUP, _END_GROUP, _FIXED32 = 0, 1, 2, 3, 4, 5


class WireError(ValueError):
    """The bytes are not a well-formed message of the expected type."""


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)`` for each field: an int (varint, fixed) or bytes."""
    out = []
    pos, end = 0, len(buf)
    try:
        while pos < end:
            key = buf[pos]
            pos += 1
            if key >= 0x80:
                key, pos = _varint_rest(buf, pos, key)
            number, wire = key >> 3, key & 7
            if number == 0 or number >= 1 << 29:
                raise WireError(f"invalid field number {number}")
            if wire == _LENGTH or wire == _VARINT:
                value = buf[pos]
                pos += 1
                if value >= 0x80:
                    value, pos = _varint_rest(buf, pos, value)
                if wire == _LENGTH:
                    stop = pos + value
                    if stop > end:
                        raise WireError("a field runs past the end of its message")
                    value, pos = buf[pos:stop], stop
            elif wire == _FIXED64 or wire == _FIXED32:
                size = 8 if wire == _FIXED64 else 4
                if pos + size > end:
                    raise WireError("a fixed-size field runs past the end of its message")
                value, pos = int.from_bytes(buf[pos:pos + size], "little"), pos + size
            elif wire == _START_GROUP:  # a deprecated group: skipped whole, like any unknown field
                pos = _skip_group(buf, pos, number)
                continue
            else:
                raise WireError(f"unexpected wire type {wire}")
            out.append((number, wire, value))
    except IndexError:
        raise WireError("message truncated") from None
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    first = buf[pos]
    return (first, pos + 1) if first < 0x80 else _varint_rest(buf, pos + 1, first)


def _skip_group(buf: bytes, pos: int, number: int) -> int:
    """The position after the end of the group ``number`` that starts at ``pos``."""
    while True:
        key, pos = _varint(buf, pos)
        wire = key & 7
        if wire == _END_GROUP:
            if key >> 3 != number:
                raise WireError("a group ends with the wrong field number")
            return pos
        if wire == _VARINT:
            pos = _varint(buf, pos)[1]
        elif wire == _LENGTH:
            length, pos = _varint(buf, pos)
            pos += length
        elif wire == _FIXED64 or wire == _FIXED32:
            pos += 8 if wire == _FIXED64 else 4
        elif wire == _START_GROUP:
            pos = _skip_group(buf, pos, key >> 3)
        else:
            raise WireError(f"unexpected wire type {wire}")
        if pos > len(buf):
            raise WireError("a group runs past the end of its message")


def _varint_rest(buf: bytes, pos: int, first: int) -> tuple[int, int]:
    result, shift = first & 0x7F, 7
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def _int64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _string(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise WireError("a string field is not valid UTF-8") from None


def _time(value: bytes) -> float | None:
    """A google.protobuf.Timestamp as epoch seconds; the zero time (gogo's non-nullable default) -> None."""
    seconds = nanos = 0
    for number, wire, field in _fields(value):
        if wire != _VARINT:
            continue
        if number == 1:
            seconds = _int64(field)
        elif number == 2:
            nanos = _int64(field) & 0xFFFFFFFF
            nanos = nanos - (1 << 32) if nanos >= 1 << 31 else nanos  # int32
    return seconds + nanos / 1e9 if seconds > 0 else None


def _vertex(buf: bytes) -> VertexUpdate:
    digest = name = error = ""
    inputs: list[str] = []
    cached = False
    started = completed = None
    for number, wire, value in _fields(buf):
        if wire == _LENGTH:
            if number == 1:
                digest = _string(value)
            elif number == 2:
                inputs.append(_string(value))
            elif number == 3:
                name = _string(value)
            elif number == 5:
                started = _time(value)
            elif number == 6:
                completed = _time(value)
            elif number == 7:
                error = _string(value)
        elif number == 4 and wire == _VARINT:
            cached = value != 0
    return VertexUpdate(digest, name, tuple(inputs), started, completed, cached, error or None)


def _status(buf: bytes) -> StatusUpdate:
    ident = vertex = name = ""
    current = total = 0
    timestamp = started = completed = None
    for number, wire, value in _fields(buf):
        if wire == _LENGTH:
            if number == 1:
                ident = _string(value)
            elif number == 2:
                vertex = _string(value)
            elif number == 3:
                name = _string(value)
            elif number == 6:
                timestamp = _time(value)
            elif number == 7:
                started = _time(value)
            elif number == 8:
                completed = _time(value)
        elif wire == _VARINT:
            if number == 4:
                current = _int64(value)
            elif number == 5:
                total = _int64(value)
    return StatusUpdate(ident, vertex, name, current, total, timestamp, started, completed)


def _log(buf: bytes) -> LogChunk:
    vertex = ""
    data = b""
    stream = 0
    timestamp = None
    for number, wire, value in _fields(buf):
        if wire == _LENGTH:
            if number == 1:
                vertex = _string(value)
            elif number == 2:
                timestamp = _time(value)
            elif number == 4:
                data = value
        elif number == 3 and wire == _VARINT:
            stream = _int64(value)
    return LogChunk(vertex, data, stream, timestamp)


def _warning(buf: bytes) -> BuildWarning:
    vertex = url = ""
    short = b""
    level = 0
    detail: list[str] = []
    for number, wire, value in _fields(buf):
        if wire == _LENGTH:
            if number == 1:
                vertex = _string(value)
            elif number == 3:
                short = value
            elif number == 4:
                detail.append(value.decode("utf-8", "replace"))
            elif number == 5:
                url = _string(value)
        elif number == 2 and wire == _VARINT:
            level = _int64(value)
    return BuildWarning(vertex, short.decode("utf-8", "replace"), level, tuple(detail), url)


def decode_status_response(data: bytes) -> list[EngineEvent]:
    """Events from one serialized StatusResponse: vertexes, then statuses, logs and warnings."""
    vertexes: list[EngineEvent] = []
    others: tuple[list[EngineEvent], ...] = ([], [], [])
    try:
        for number, wire, value in _fields(data):
            if wire != _LENGTH:
                continue
            if number == 1:
                vertex = _vertex(value)
                if not vertex.digest:
                    return [MalformedMessage("trace has a vertex without a digest", data[:200])]
                vertexes.append(vertex)
            elif number == 2:
                others[0].append(_status(value))
            elif number == 3:
                others[1].append(_log(value))
            elif number == 4:
                others[2].append(_warning(value))
    except WireError as error:
        return [MalformedMessage(f"trace is not a StatusResponse: {error}", data[:200])]
    return vertexes + others[0] + others[1] + others[2]


def decode_base64(aux: str | bytes, decode: Callable[[bytes], list[EngineEvent]]) -> list[EngineEvent]:
    """Events from one ``moby.buildkit.trace`` aux value (base64 text) through ``decode`` (either
    decoder's ``decode_status_response``); a ``MalformedMessage`` if it is not base64."""
    try:
        data = binascii.a2b_base64(aux, strict_mode=True)  # b64decode(validate=True), without importing base64
    except (binascii.Error, ValueError) as error:
        raw = aux.encode("ascii", "replace") if isinstance(aux, str) else aux
        return [MalformedMessage(f"trace is not base64: {error}", raw[:200])]
    return decode(data)


def decode_trace(aux: str | bytes) -> list[EngineEvent]:
    """Events from one ``moby.buildkit.trace`` aux value, decoded here."""
    return decode_base64(aux, decode_status_response)
