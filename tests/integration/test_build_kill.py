"""Killing ``msb-tui build`` (SIGKILL, SIGTERM, SIGHUP, Ctrl+C with --progress json) loses nothing it
received: the recording holds every log line printed before the signal, an interrupted one replays
as interrupted and ``history`` lists it. Real subprocesses, real engine (issue 15 item 2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildFailed, LogChunk
from msb_tui.builds.recording import read_footer, replay
from msb_tui.commands import history
from msb_tui.offline import BUSYBOX_IMAGE

from test_build_engine import _sleep_processes

pytestmark = pytest.mark.engine

LINES = 8


def _start(tmp_path: Path, progress: str = "plain"):
    seconds = 60 + (os.getpid() + time.monotonic_ns()) % 997  # a distinctive sleep to find and to wait for
    marker = f"sleep {seconds}"
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {BUSYBOX_IMAGE}\n"
        f"RUN echo run-{time.time_ns()} && for i in $(seq 1 {LINES}); do echo kill-test-line-$i; done && {marker}\n"
    )
    program = Path(sys.executable).with_name("msb-tui")
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"))
    build = subprocess.Popen([str(program), "build", str(context), "--network", "none", "--progress", progress],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    while not _sleep_processes(marker):
        assert build.poll() is None, build.communicate()
        assert time.monotonic() < deadline, "the sleep step never started"
        time.sleep(0.1)
    # The lines were printed before the sleep started; msb-tui received them well over a second ago
    # once we have waited 1.5 s more.
    time.sleep(1.5)
    return build, marker


def _logged_lines(path: Path) -> list[str]:
    text = b"".join(e.data for e in replay(path, None) if isinstance(e, LogChunk)).decode()
    return [line for line in text.splitlines() if line.startswith("kill-test-line-")]


def _wait_gone(marker: str) -> None:
    for _ in range(100):
        if not _sleep_processes(marker):
            return
        time.sleep(0.1)
    raise AssertionError(f"the engine still runs {marker!r}")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_a_killed_build_keeps_its_recording(docker_api, offline_images, tmp_path, sig):
    build, marker = _start(tmp_path)
    try:
        build.send_signal(sig)
        out, err = build.communicate(timeout=20)
    finally:
        if build.poll() is None:
            build.kill()
    [path] = (tmp_path / "state" / "recordings").glob("*.jsonl")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    assert _logged_lines(path) == [f"kill-test-line-{i}" for i in range(1, LINES + 1)]
    footer = read_footer(path)
    [summary] = history.list_recordings(path.parent)
    if sig == signal.SIGKILL:
        assert build.returncode == -signal.SIGKILL
        assert footer == {}
        last = list(replay(path, None))[-1]
        assert isinstance(last, BuildFailed) and "no end-of-recording footer" in last.message
        assert summary.outcome == "interrupted"
    else:
        # Handled like Ctrl+C: cancelled on the engine, footer written, exit 130.
        assert build.returncode == 130, (out, err)
        assert b"cancelling the build" in err and b"status: cancelled" in out
        assert footer["outcome"] == "cancelled"
        assert summary.outcome == "cancelled"
    _wait_gone(marker)  # the engine stopped the step in every case (the connection closed)


def test_ctrl_c_with_json_progress_exits_130(docker_api, offline_images, tmp_path):
    build, marker = _start(tmp_path, progress="json")
    try:
        build.send_signal(signal.SIGINT)
        out, err = build.communicate(timeout=20)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 130, (out, err)
    summary = json.loads(out.splitlines()[-1])
    assert summary["type"] == "summary" and summary["status"] == "cancelled"
    _wait_gone(marker)


def test_a_reader_that_does_not_read_does_not_stall_the_build(docker_api, offline_images, tmp_path):
    """stdout is a pipe nobody reads while the build prints ~40,000 lines: the build still ends on the
    engine and is recorded whole; the reader later gets a note of what it missed, and the summary."""
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {BUSYBOX_IMAGE}\n"
        f"RUN echo run-{time.time_ns()} && for i in $(seq 1 20); do seq 1 2000 | sed \"s/^/burst-$i-line-/\"; "
        "sleep 0.1; done\n"
    )
    program = Path(sys.executable).with_name("msb-tui")
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"), MSB_TUI_OUTPUT_BUFFER="100000")
    build = subprocess.Popen([str(program), "build", str(context), "--network", "none", "--no-cache"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 90
        footer = None
        while footer is None:
            assert time.monotonic() < deadline, "the build did not end while its output was not read"
            assert build.poll() is None or build.returncode == 0
            time.sleep(0.5)
            for path in (tmp_path / "state" / "recordings").glob("*.jsonl"):
                last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1]
                if b'"kind": "end"' in last:
                    footer = json.loads(last)
        out, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
    assert footer["outcome"] == "succeeded"
    assert build.returncode == 0, err
    text = out.decode()
    assert "line(s) of progress not shown: the output was not read fast enough" in text
    assert "status: succeeded" in text
