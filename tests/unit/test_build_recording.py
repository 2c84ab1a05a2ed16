"""Recordings: round trip, pacing, truncated and corrupt files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt, MalformedMessage, StreamText, VertexUpdate
from msb_tui.builds.decode import MessageDecoder
from msb_tui.builds.recording import Recorder, RecordingError, read_footer, read_inputs, replay

from recorded import recorded_messages

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


def _write(path: Path, messages: list[tuple[float, dict]], outcome: str | None = "succeeded") -> Path:
    recorder = Recorder(path, {"context": "ctx", "dockerfile_text": "FROM scratch\n", "classic": False})
    for t, message in messages:
        recorder.message(t, json.dumps(message).encode())
    if outcome is not None:
        recorder.close(outcome, image_id="sha256:1")
    else:
        recorder._file.close()  # the recorder died: no footer
    return path


MESSAGES = [
    (100.0, {"stream": "hello\n"}),
    (100.5, {"stream": "world\n"}),
    (102.0, {"id": "moby.image.id", "aux": {"ID": "sha256:1"}}),
]


def test_round_trip(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES)
    assert read_inputs(path) == {"context": "ctx", "dockerfile_text": "FROM scratch\n", "classic": False}
    assert recorded_messages(path) == MESSAGES
    assert read_footer(path)["outcome"] == "succeeded" and read_footer(path)["messages"] == 3
    assert list(replay(path, None)) == [StreamText("hello\n", 100.0), StreamText("world\n", 100.5), ImageBuilt("sha256:1")]


def test_replay_of_a_real_recording_equals_decoding_its_messages():
    decoder = MessageDecoder()
    messages = recorded_messages(RECORDINGS / "parallel.jsonl")
    expected = [e for t, m in messages for e in decoder.decode(m, t)] + decoder.finish()
    assert list(replay(RECORDINGS / "parallel.jsonl", None)) == expected
    assert any(isinstance(e, VertexUpdate) for e in expected)


def test_pacing_divides_the_recorded_gaps_by_speed(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES)
    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    list(replay(path, 2.0, sleep=sleep, clock=lambda: now[0]))
    # 0.5 s then 1.5 s recorded gaps, halved.
    assert waits == pytest.approx([0.25, 0.75])
    with pytest.raises(ValueError):
        list(replay(path, 0))


def test_no_pacing_when_speed_is_none(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES)
    waits = []
    list(replay(path, None, sleep=waits.append))
    assert waits == []


def test_truncated_last_line_replays_what_came_before(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES)
    data = path.read_bytes()
    lines = data.split(b"\n")
    cut = b"\n".join(lines[:3]) + b"\n" + lines[3][:20]  # header, 2 messages, half of the third
    path.write_bytes(cut)
    assert read_footer(path) == {}
    events = list(replay(path, None))
    assert events[:2] == [StreamText("hello\n", 100.0), StreamText("world\n", 100.5)] and len(events) == 3
    assert events[-1].message == "recording interrupted at line 4: the last line is cut off"


def test_missing_footer_is_truncation(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES[:2], outcome=None)
    last = list(replay(path, None))[-1]
    assert isinstance(last, BuildFailed) and "no end-of-recording footer" in last.message


def test_corrupt_line_in_the_middle_is_an_error_with_its_number(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES)
    lines = path.read_text().split("\n")
    lines[2] = '{"t": 100.5, "m": {oops'
    path.write_text("\n".join(lines))
    with pytest.raises(RecordingError, match="line 3"):
        list(replay(path, None))


@pytest.mark.parametrize("content, match", [(b"", "empty"), (b"not json\n", "line 1"), (b'{"kind": "other"}\n', "not an msb-tui")])
def test_bad_header(tmp_path, content, match):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=match):
        list(replay(path, None))


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="cannot open"):
        read_inputs(tmp_path / "nope.jsonl")


def test_cancelled_outcome_replays_as_cancelled(tmp_path):
    path = _write(tmp_path / "r.jsonl", MESSAGES[:1], outcome="cancelled")
    assert list(replay(path, None))[-1] == BuildCancelled()


def test_runner_side_failure_replays_from_the_footer(tmp_path):
    recorder = Recorder(tmp_path / "r.jsonl", {})
    recorder.message(1.0, b'{"stream": "x"}')
    recorder.close("failed", error="lost the connection to the engine: reset")
    events = list(replay(tmp_path / "r.jsonl", None))
    assert events[-1] == BuildFailed("lost the connection to the engine: reset", {"recording": "footer"})


def test_invalid_engine_message_is_kept_and_replayed_as_malformed(tmp_path):
    recorder = Recorder(tmp_path / "r.jsonl", {})
    recorder.message(1.0, b"{not json", valid=False)
    recorder.close("failed", error="x")
    events = list(replay(tmp_path / "r.jsonl", None))
    assert isinstance(events[0], MalformedMessage)


def test_fixtures_are_small_and_complete():
    for path in RECORDINGS.glob("*.jsonl"):
        assert path.stat().st_size < 200_000, path.name
        assert read_footer(path), path.name
        ended = list(replay(path, None))[-1]
        assert not isinstance(ended, BuildFailed) or ended.detail.get("recording") != "interrupted", path.name


def test_copy_of_fixture_can_be_replayed_with_pacing(tmp_path):
    path = tmp_path / "broken.jsonl"
    shutil.copy(RECORDINGS / "broken.jsonl", path)
    waits = []
    events = list(replay(path, 1000.0, sleep=waits.append))
    assert isinstance(events[-1], BuildFailed)
    assert sum(waits) < 0.01


def test_classic_decoder_holds_intermediate_image_ids():
    decoder = MessageDecoder(classic=True)
    assert decoder.decode({"aux": {"ID": "sha256:stage1"}}) == []
    assert decoder.decode({"aux": {"ID": "sha256:final"}}) == []
    assert decoder.finish()[-1] == ImageBuilt("sha256:final")
    failed = MessageDecoder(classic=True)
    failed.decode({"aux": {"ID": "sha256:stage1"}})
    failed.decode({"error": "boom", "errorDetail": {"message": "boom"}})
    assert not any(isinstance(e, ImageBuilt) for e in failed.finish())
