"""An independent, hand-written protobuf wire decoder for BuildKit's StatusResponse, used to
cross-check ``msb_tui.build.trace`` (which parses with the protobuf library) on bytes captured from
the real engine, and as the baseline of ``benchmarks/bench_build_trace.py``.

Field numbers from moby/buildkit api/services/control/control.proto (see msb_tui/build/trace.py).
"""

from __future__ import annotations

import base64
import binascii

import pytest

from msb_tui.build.events import (
    BuildWarning,
    EngineEvent,
    LogChunk,
    MalformedMessage,
    StatusUpdate,
    VertexUpdate,
)


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    b = buf[pos]
    pos += 1
    if b < 0x80:
        return b, pos
    result = b & 0x7F
    shift = 7
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def _fields(buf: bytes):
    """Yield ``(field_number, wire_type, value)``; value is an int (varint/fixed) or bytes (length-delimited)."""
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number = key >> 3
        wire = key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == 2:
            length, pos = _varint(buf, pos)
            stop = pos + length
            if stop > end:
                raise WireError("length-delimited field runs past the end")
            yield number, 2, buf[pos:stop]
            pos = stop
        elif wire == 0:
            value, pos = _varint(buf, pos)
            yield number, 0, value
        elif wire == 1:
            if pos + 8 > end:
                raise WireError("fixed64 runs past the end")
            yield number, 1, int.from_bytes(buf[pos : pos + 8], "little")
            pos += 8
        elif wire == 5:
            if pos + 4 > end:
                raise WireError("fixed32 runs past the end")
            yield number, 5, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        else:
            raise WireError(f"unsupported wire type {wire}")
    if pos != end:
        raise WireError("message runs past the end")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _text(value) -> str:
    if not isinstance(value, bytes):
        raise WireError("expected a length-delimited string")
    return value.decode("utf-8", "replace")


def _timestamp(value) -> float | None:
    """A google.protobuf.Timestamp as epoch seconds; the zero time (unset in gogo) becomes None."""
    if not isinstance(value, bytes):
        raise WireError("expected a Timestamp message")
    seconds = nanos = 0
    for number, wire, field in _fields(value):
        if wire != 0:
            continue
        if number == 1:
            seconds = _signed(field)
        elif number == 2:
            nanos = _signed(field)
    if seconds <= 0 and nanos == 0:
        return None
    return seconds + nanos / 1e9


def _vertex(buf: bytes) -> VertexUpdate:
    digest = name = ""
    error = None
    inputs: list[str] = []
    cached = False
    started = completed = None
    for number, wire, value in _fields(buf):
        if number == 1:
            digest = _text(value)
        elif number == 2:
            inputs.append(_text(value))
        elif number == 3:
            name = _text(value)
        elif number == 4 and wire == 0:
            cached = bool(value)
        elif number == 5:
            started = _timestamp(value)
        elif number == 6:
            completed = _timestamp(value)
        elif number == 7:
            error = _text(value) or None
    if not digest:
        raise WireError("vertex without a digest")
    return VertexUpdate(digest, name, tuple(inputs), started, completed, cached, error)


def _status(buf: bytes) -> StatusUpdate:
    ident = vertex = name = ""
    current = total = 0
    timestamp = started = completed = None
    for number, wire, value in _fields(buf):
        if number == 1:
            ident = _text(value)
        elif number == 2:
            vertex = _text(value)
        elif number == 3:
            name = _text(value)
        elif number == 4 and wire == 0:
            current = _signed(value)
        elif number == 5 and wire == 0:
            total = _signed(value)
        elif number == 6:
            timestamp = _timestamp(value)
        elif number == 7:
            started = _timestamp(value)
        elif number == 8:
            completed = _timestamp(value)
    return StatusUpdate(ident, vertex, name, current, total, timestamp, started, completed)


def _log(buf: bytes) -> LogChunk:
    vertex = ""
    data = b""
    stream = 1
    timestamp = None
    for number, wire, value in _fields(buf):
        if number == 1:
            vertex = _text(value)
        elif number == 2:
            timestamp = _timestamp(value)
        elif number == 3 and wire == 0:
            stream = _signed(value)
        elif number == 4:
            if not isinstance(value, bytes):
                raise WireError("log msg is not bytes")
            data = value
    return LogChunk(vertex, data, stream, timestamp)


def _warning(buf: bytes) -> BuildWarning:
    vertex = short = url = ""
    level = 0
    detail: list[str] = []
    for number, wire, value in _fields(buf):
        if number == 1:
            vertex = _text(value)
        elif number == 2 and wire == 0:
            level = _signed(value)
        elif number == 3:
            short = _text(value)
        elif number == 4:
            detail.append(_text(value))
        elif number == 5:
            url = _text(value)
    return BuildWarning(vertex, short, level, tuple(detail), url)


_DECODERS = {1: _vertex, 2: _status, 3: _log, 4: _warning}


def decode_status_response(data: bytes) -> list[EngineEvent]:
    """Events from one serialized StatusResponse, in the order its entries appear."""
    events: list[EngineEvent] = []
    for number, wire, value in _fields(data):
        decoder = _DECODERS.get(number)
        if decoder is None:
            continue
        if wire != 2:
            raise WireError(f"field {number} is not a message")
        events.append(decoder(value))
    return events


def decode_trace(aux: str | bytes) -> list[EngineEvent]:  # noqa: D401
    """Events from one ``moby.buildkit.trace`` aux value (base64 text); a ``MalformedMessage`` if it
    cannot be decoded."""
    raw = aux.encode("ascii", "replace") if isinstance(aux, str) else aux
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as error:
        return [MalformedMessage(f"trace is not base64: {error}", raw[:200])]
    try:
        return decode_status_response(data)
    except (WireError, IndexError) as error:
        reason = str(error) if isinstance(error, WireError) else "message truncated"
        return [MalformedMessage(f"trace is not a StatusResponse: {reason}", data[:200])]


# -- tests of the reference itself ------------------------------------------------------------


def test_varints_and_negative_int64():
    assert _varint(bytes([0x96, 0x01]), 0) == (150, 2)
    assert _signed((1 << 64) - 1) == -1


def test_wire_reference_rejects_truncated_input():
    with pytest.raises((WireError, IndexError)):
        decode_status_response(b"\x0a\x05ab")
