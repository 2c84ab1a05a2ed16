"""``msb-tui build`` as a user runs it (the program): progress, the per-stage
summary with the skipped stage, the exit status, and the recording it names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from msb_tui.builds.recording import read_footer
from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine


def test_the_build_program_prints_its_summary_and_names_its_recording(offline_images, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {BUSYBOX_IMAGE} AS base\nRUN echo built > /artifact\n"
        "FROM base AS test\nRUN false\n"  # not needed by the last stage: BuildKit skips it
        f"FROM {BUSYBOX_IMAGE}\nCOPY --from=base /artifact /artifact\n"
    )
    program = Path(sys.executable).with_name("msb-tui")
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"))

    result = subprocess.run([str(program), "build", str(context)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result
    [recording] = (tmp_path / "state" / "recordings").glob("*.jsonl")
    assert f"recording: {recording}" in result.stdout
    assert read_footer(recording)["outcome"] == "succeeded"
    summary = result.stdout.split("Build summary", 1)[1]
    assert "test" in summary and "skipped" in summary
    assert "status: succeeded" in summary

    again = subprocess.run([str(program), "build", str(context), "--no-record"], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again
    assert "recording:" not in again.stdout
    assert len(list((tmp_path / "state" / "recordings").glob("*.jsonl"))) == 1
