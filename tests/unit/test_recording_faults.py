"""Recordings under faults (issue 15 items 2, 3, 5, 7): flushed as they go, private, bounded, masked,
and damaged files replayed without tracebacks."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from msb_tui.builds import recording as recording_module
from msb_tui.builds.events import BuildFailed, ImageBuilt, LogChunk, StreamText
from msb_tui.builds.masking import MASK, Masker, masked_args
from msb_tui.builds.recording import EMPTY_TRACE, Recorder, read_footer, replay
from msb_tui.builds.trace import decode_trace


def test_recorder_flushes_within_a_second_without_more_messages(tmp_path):
    path = tmp_path / "r.jsonl"
    recorder = Recorder(path, {})
    assert path.read_bytes().count(b"\n") == 1  # the header is on disk at once
    recorder.message(1.0, b'{"stream": "hello"}')
    deadline = time.monotonic() + 1.0
    while path.read_bytes().count(b"\n") < 2:
        assert time.monotonic() < deadline, "the message was not flushed within a second"
        time.sleep(0.02)
    recorder.close("succeeded")


def test_recording_and_state_folder_are_private_even_when_they_existed(tmp_path, monkeypatch):
    state = tmp_path / "state"
    (state / "recordings").mkdir(parents=True)
    state.chmod(0o755)
    (state / "recordings").chmod(0o777)
    monkeypatch.setenv("MSB_TUI_STATE", str(state))
    from msb_tui.paths import recordings_dir

    folder = recordings_dir()
    old = os.umask(0)
    try:
        recorder = Recorder(folder / "r.jsonl", {})
    finally:
        os.umask(old)
    recorder.close("succeeded")
    assert state.stat().st_mode & 0o777 == 0o700
    assert folder.stat().st_mode & 0o777 == 0o700
    assert (folder / "r.jsonl").stat().st_mode & 0o777 == 0o600


def test_recorder_does_not_follow_a_planted_symlink(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep me")
    (tmp_path / "r.jsonl").symlink_to(target)
    with pytest.raises(OSError):
        Recorder(tmp_path / "r.jsonl", {})
    assert target.read_text() == "keep me"


def test_empty_traces_are_counted_not_recorded(tmp_path):
    path = tmp_path / "r.jsonl"
    recorder = Recorder(path, {})
    for _ in range(10_000):
        recorder.message(1.0, EMPTY_TRACE)
    recorder.message(1.0, b'{"stream": "x"}')
    recorder.close("succeeded")
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3
    assert json.loads(lines[-1])["empty_traces"] == 10_000


def test_size_limit_notes_and_keeps_the_outcome(tmp_path):
    path = tmp_path / "r.jsonl"
    recorder = Recorder(path, {}, limit=2_000)
    notes = [recorder.message(float(i), b'{"stream": "%s"}' % (b"x" * 100)) for i in range(100)]
    recorder.close("succeeded", image_id="sha256:abc")
    [note] = [n for n in notes if n]
    assert "size limit reached" in note
    assert path.stat().st_size < 2_000 + 1_000
    footer = read_footer(path)
    assert footer["not_recorded"] > 80 and footer["messages"] == 100
    events = list(replay(path, None))
    texts = [e.text for e in events if isinstance(e, StreamText)]
    assert [text for text in texts if text.startswith("msb-tui:")] == [f"msb-tui: {note}\n"]
    assert events[-1] == ImageBuilt("sha256:abc")  # the outcome comes from the footer


def test_limit_from_environment(monkeypatch):
    monkeypatch.setenv("MSB_TUI_RECORDING_LIMIT", "3M")
    assert recording_module.recording_limit() == 3 << 20
    monkeypatch.setenv("MSB_TUI_RECORDING_LIMIT", "0")
    assert recording_module.recording_limit() == 0


# --- secrets ------------------------------------------------------------------------------------


def test_secret_like_and_marked_build_args_are_masked():
    args = {"GITHUB_TOKEN": "ghp_abc123", "PASSWORD": "hunter22", "VERSION": "1.2", "MINE": "s3cr3t-value",
            "AWS_SECRET_ACCESS_KEY": "AKIA/x", "NPM_AUTH": "tok", "PLAIN": ""}
    masked = masked_args(args, marked=["MINE"])
    assert masked == {"GITHUB_TOKEN": MASK, "PASSWORD": MASK, "VERSION": "1.2", "MINE": MASK,
                      "AWS_SECRET_ACCESS_KEY": MASK, "NPM_AUTH": MASK, "PLAIN": ""}


def test_masker_masks_values_inside_buildkit_log_records():
    # A real trace with a log record whose data holds the secret: same-length mask keeps it decodable.
    log = b"token is ghp_abc123\n"
    record = b"\x0a\x01v" + b"\x10\x01" + b"\x22" + bytes([len(log)]) + log  # vertex, stream, data
    status = b"\x1a" + bytes([len(record)]) + record
    line = json.dumps({"id": "moby.buildkit.trace", "aux": base64.b64encode(status).decode()}).encode()
    masker = Masker.for_args({"GITHUB_TOKEN": "ghp_abc123"})
    masked = masker.line(line)
    assert b"ghp_abc123" not in base64.b64decode(json.loads(masked)["aux"])
    [chunk] = [e for e in decode_trace(json.loads(masked)["aux"]) if isinstance(e, LogChunk)]
    assert chunk.data == b"token is **********\n"
    assert masker.line(b'{"stream": "ghp_abc123"}') == b'{"stream": "**********"}'
    assert not Masker.for_args({"VERSION": "1.2"})


# --- damaged recordings: no tracebacks, no unbounded reads --------------------------------------


def _header() -> bytes:
    return json.dumps({"kind": "msb-tui-recording", "version": 1, "inputs": {}}).encode() + b"\n"


def test_deep_nesting_and_huge_times_replay_without_tracebacks(tmp_path):
    path = tmp_path / "r.jsonl"
    deep = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(_header() + b'{"t": 1.0, "m": {"stream": "a"}}\n' + b'{"t": 1e300, "m": {"stream": "b"}}\n'
                     + b'{"t": Infinity, "m": {"stream": "c"}}\n' + b'{"t": 2.0, "m": ' + deep + b"}\n")
    waits = []
    events = list(replay(path, 1.0, sleep=waits.append, clock=lambda: 0.0))
    assert [e.text for e in events if isinstance(e, StreamText)] == ["a", "b", "c"]
    assert isinstance(events[-1], BuildFailed) and "nested too deeply" in events[-1].message
    assert max(waits) <= recording_module.MAX_PAUSE


def test_binary_and_endless_lines_are_refused(tmp_path):
    from msb_tui.builds.recording import RecordingError

    with pytest.raises(RecordingError, match="binary"):
        list(replay("/dev/zero", None))
    path = tmp_path / "long.jsonl"
    path.write_bytes(_header() + b"x" * (recording_module.MAX_LINE + 10))
    with pytest.raises(RecordingError, match="longer than"):
        list(replay(path, None))
