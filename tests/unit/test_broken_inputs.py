"""Every broken recording and log in ``broken_inputs`` gives a result or a clear error from
``msb-tui replay`` / ``history`` / ``import-log``: no traceback, no hang (issue 15 items 2 and 7)."""

from __future__ import annotations

import io
import signal
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest

from broken_inputs import LOGS, RECORDINGS
from msb_tui.cli import main
from msb_tui.commands import history

SECONDS = 60  # a case that takes longer is a hang


@pytest.fixture(autouse=True)
def no_hang():
    def timeout(signum, frame):
        raise TimeoutError(f"hung for {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(SECONDS)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name, data", RECORDINGS, ids=[name for name, _ in RECORDINGS])
def test_broken_recording_replays_or_fails_cleanly(name, data, tmp_path, monkeypatch):
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(data)
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)  # --speed 1 paces with the real clock's sleep
    status, out, err = _run(["replay", str(path), "--speed", "1"])
    assert status in (0, 1, 130), (status, err)
    if status == 1 and not out:
        assert err.startswith("msb-tui replay: ") and "\n" == err[-1], err
    else:
        assert "Build summary" in out
    assert all(0 <= wait <= 61 for wait in waits)
    assert "\x1b]" not in out and "\x07" not in out  # no OSC sequence reaches the terminal
    summary = history.summarize(path)
    assert summary.outcome in ("succeeded", "failed", "cancelled", "interrupted", "corrupt", "exploded", "?")
    assert isinstance(summary.date, str)


@pytest.mark.parametrize("name, data", LOGS, ids=[name for name, _ in LOGS])
def test_broken_log_imports_or_fails_cleanly(name, data, tmp_path):
    path = tmp_path / f"{name}.log"
    path.write_bytes(data)
    status, out, err = _run(["import-log", str(path), "--progress", "plain"])
    assert status in (0, 1), (status, err)
    if not out:
        assert err.startswith("msb-tui import-log: "), err
    else:
        assert "Build summary" in out
    assert "\x1b]" not in out and "\x07" not in out


def test_the_data_covers_the_probed_kinds():
    assert len(RECORDINGS) + len(LOGS) >= 87
