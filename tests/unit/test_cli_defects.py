"""Issue 14: what a new user hit with the headless commands, each run as a program."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demo_dockerfiles"
RECORDINGS = ROOT / "tests" / "fixtures" / "recordings"


def run_with_closed_reader(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``msb-tui ARGS`` with its stdout a pipe whose reader has gone away (``| head`` after its lines)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-c", "from msb_tui.cli import entry; entry()", *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
                              env={**os.environ, **(env or {})})
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ["plan", str(DEMOS / "go"), "--format", "json"],
    ["plan", str(DEMOS / "go")],
    ["history"],
    ["--help"],
])
def test_commands_end_quietly_when_their_reader_goes_away(args, tmp_path):
    """Item 5: ``msb-tui plan X --format json | head -1`` and ``msb-tui history | head`` ended in a traceback."""
    (tmp_path / "recordings").mkdir()
    for name in ("go", "seed-example", "parallel"):
        shutil.copy(RECORDINGS / f"{name}.jsonl", tmp_path / "recordings" / f"{name}.jsonl")
    result = run_with_closed_reader(args, env={"MSB_TUI_STATE": str(tmp_path)})
    assert result.stderr == "", result.stderr
    assert result.returncode == 141  # as a program killed by SIGPIPE (docker, git, coreutils) reports it


def test_history_compare_shows_a_cancelled_stage_for_as_long_as_it_ran(capsys):
    """Item 3: history compare showed the Go build stage of a build cancelled 11 s into ``go build`` at 0.5 s."""
    from msb_tui.cli import main

    assert main(["history", "--compare", str(RECORDINGS / "go.jsonl"), str(RECORDINGS / "go-cancelled.jsonl")]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("build "))
    cancelled_time = float(row.split()[2].rstrip("s"))
    assert cancelled_time > 11, row


def test_replay_of_a_missing_stage_failure_names_the_lint_finding(capsys):
    """Item 6 (headless): the summary named only the registry error for ``bulid:latest``."""
    from msb_tui.cli import main

    assert main(["replay", str(RECORDINGS / "missing-stage.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "lint, line 9: --from=bulid names no stage" in out and "did you mean `build`?" in out, out


@pytest.mark.parametrize(("log", "code"), [("broken", 1), ("azure-pipelines-failed", 1), ("seed-example", 0)])
def test_import_log_exits_like_the_build_it_read(log, code, capsys):
    """Item 14: import-log of a failed build exited 0 while build exits 1."""
    from msb_tui.cli import main

    assert main(["import-log", str(ROOT / "tests" / "fixtures" / "plain_logs" / f"{log}.log")]) == code


def test_plan_counts_waves_from_one_as_the_app_does(capsys):
    """Item 11: waves were numbered from 0 in the CLI and from 1 in the app."""
    from msb_tui.cli import main

    main(["plan", str(DEMOS / "parallel")])
    out = capsys.readouterr().out
    assert "  1: backend, frontend, docs" in out and "  2: final" in out, out
    row = next(line for line in out.splitlines() if line.startswith("3  final"))
    assert row.split()[3] == "2", row
