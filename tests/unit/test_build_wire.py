"""``msb_tui.builds.trace_wire`` (pure-Python wire decoding, used for a build's first traces) gives
exactly the events of ``msb_tui.builds.trace`` (protobuf's C decoder), and ``MessageDecoder``
switches from one to the other without a seam."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.builds import messages
from msb_tui.builds.events import MalformedMessage
from msb_tui.builds.trace import StatusResponse
from msb_tui.builds.trace import decode_trace as protobuf_decode_trace
from msb_tui.builds.trace_wire import WireError, _fields, _int64, decode_status_response, decode_trace
from test_build_trace import captured_traces

# Timestamps as the engine sends them, plus the zero time and negative values.
seconds = st.one_of(st.just(0), st.integers(-5, 5), st.integers(1_600_000_000, 1_900_000_000))
nanos = st.integers(-999_999_999, 999_999_999)
text = st.text(max_size=30)
int64 = st.integers(-(1 << 63), (1 << 63) - 1)


@st.composite
def status_responses(draw) -> bytes:
    response = StatusResponse()
    for _ in range(draw(st.integers(0, 3))):
        v = response.vertexes.add(digest=draw(st.text(min_size=1, max_size=20)), name=draw(text),
                                  cached=draw(st.booleans()), error=draw(text))
        v.inputs.extend(draw(st.lists(text, max_size=3)))
        for field in ("started", "completed"):
            if draw(st.booleans()):
                stamp = getattr(v, field)
                stamp.seconds, stamp.nanos = draw(seconds), draw(nanos)
    for _ in range(draw(st.integers(0, 3))):
        s = response.statuses.add(ID=draw(text), vertex=draw(text), name=draw(text), current=draw(int64), total=draw(int64))
        if draw(st.booleans()):
            s.timestamp.seconds = draw(seconds)
    for _ in range(draw(st.integers(0, 4))):
        log = response.logs.add(vertex=draw(text), stream=draw(st.integers(-3, 3)), msg=draw(st.binary(max_size=40)))
        if draw(st.booleans()):
            log.timestamp.seconds, log.timestamp.nanos = draw(seconds), draw(nanos)
    for _ in range(draw(st.integers(0, 2))):
        w = response.warnings.add(vertex=draw(text), level=draw(int64), short=draw(st.binary(max_size=20)), url=draw(text))
        w.detail.extend(draw(st.lists(st.binary(max_size=10), max_size=2)))
    return response.SerializeToString()


@settings(max_examples=300, deadline=None)
@given(status_responses())
def test_random_status_responses_decode_like_protobuf(data):
    aux = base64.b64encode(data).decode()
    assert decode_trace(aux) == protobuf_decode_trace(aux)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_arbitrary_bytes_are_events_or_a_malformed_message_like_protobuf(data):
    aux = base64.b64encode(data).decode()
    ours, theirs = decode_trace(aux), protobuf_decode_trace(aux)
    if any(isinstance(e, MalformedMessage) for e in theirs):
        # Same verdict; the reason's wording is each decoder's own.
        assert [type(e) for e in ours] == [MalformedMessage]
    else:
        assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 3, 4]), st.binary(max_size=60), st.binary(max_size=8))
def test_garbage_inside_an_entry_is_judged_like_protobuf(field, inner, tail):
    """Random bytes as a vertex, status, log or warning (where nested timestamps and strings live)."""
    data = bytes([field << 3 | 2, len(inner)]) + inner + tail
    test_arbitrary_bytes_are_events_or_a_malformed_message_like_protobuf.hypothesis.inner_test(data)


def test_every_captured_trace_decodes_like_protobuf():
    traces = captured_traces()
    assert len(traces) > 50
    for aux in traces:
        assert decode_trace(aux) == protobuf_decode_trace(aux)


def test_varints_and_negative_int64():
    assert _fields(bytes([0x08, 0x96, 0x01])) == [(1, 0, 150)]
    assert _int64((1 << 64) - 1) == -1
    with pytest.raises(WireError):
        _fields(bytes([0x08]) + b"\xff" * 11)
    with pytest.raises(WireError):
        decode_status_response(b"\x0a\x05ab") and _fields(b"\x0a\x05ab")


def test_message_decoder_switches_to_protobuf_after_the_first_traces(monkeypatch):
    """The first WIRE_TRACES traces of a build go through trace_wire, the rest through protobuf;
    the events are the same as protobuf's for the whole build."""
    monkeypatch.setattr(messages, "WIRE_TRACES", 5)
    traces = captured_traces()[:12]
    used = []
    monkeypatch.setattr(messages.trace_wire, "decode_trace", lambda aux: used.append("wire") or decode_trace(aux))
    decoder = messages.MessageDecoder()
    decoder._decode_trace = messages.trace_wire.decode_trace
    events = [e for aux in traces for e in decoder.decode({"id": "moby.buildkit.trace", "aux": aux})]
    assert used == ["wire"] * 5
    assert events == [e for aux in traces for e in protobuf_decode_trace(aux)]


def test_a_short_build_never_imports_protobuf():
    """A cached build's handful of traces must not pay protobuf's import (the point of trace_wire)."""
    import subprocess
    import sys

    traces = captured_traces()[:20]
    code = (
        "import json, sys\n"
        "from msb_tui.builds.messages import MessageDecoder\n"
        "decoder = MessageDecoder()\n"
        "for aux in json.loads(sys.stdin.read()):\n"
        "    decoder.decode({'id': 'moby.buildkit.trace', 'aux': aux})\n"
        "print(any(name.startswith('google.protobuf') for name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], input=json.dumps(traces), capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
