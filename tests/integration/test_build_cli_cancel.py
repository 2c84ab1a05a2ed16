"""Ctrl+C on a headless ``msb-tui build``: the program (as a user runs it)
closes the stream, the engine stops the step, the output says so and the exit status is 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from msb_tui.builds.recording import read_footer
from msb_tui.offline import BUSYBOX_IMAGE

from test_build_engine import _sleep_processes

pytestmark = pytest.mark.engine


def test_ctrl_c_cancels_the_build_on_the_engine(docker_api, offline_images, tmp_path):
    # A process name of its own to find in the process table (other sessions run this test too).
    marker = f"msb-sleep-{uuid.uuid4().hex[:12]}"
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text(
        f"FROM {BUSYBOX_IMAGE}\nRUN echo started-{time.time()} && sh -c 'sleep 45; true' {marker}\n")
    program = Path(sys.executable).with_name("msb-tui")
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"))
    build = subprocess.Popen([str(program), "build", str(tmp_path / "ctx"), "--network", "none"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not _sleep_processes(marker):
            assert build.poll() is None, build.communicate()
            assert time.monotonic() < deadline, "the sleep step never started"
            time.sleep(0.1)
        interrupted = time.monotonic()
        build.send_signal(signal.SIGINT)
        out, err = build.communicate(timeout=15)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 130, (out, err)
    assert time.monotonic() - interrupted < 10
    assert "cancelling the build" in err
    assert "status: cancelled" in out
    for _ in range(50):
        if not _sleep_processes(marker):
            break
        time.sleep(0.1)
    assert _sleep_processes(marker) == []
    [recording] = (tmp_path / "state" / "recordings").glob("*.jsonl")
    assert read_footer(recording)["outcome"] == "cancelled"
