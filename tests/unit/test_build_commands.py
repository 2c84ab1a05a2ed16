"""Headless ``msb-tui build`` / ``msb-tui replay``: output, summary, exit statuses (no engine needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from msb_tui.builds.events import LogChunk, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.builds.report import BufferedWriter, PlainProgress
from msb_tui.cli import main
from msb_tui.builds.inputs import parse_build_args, parse_labels
from msb_tui.commands.replay import replay_into

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


def test_replay_plain_prints_progress_and_summary(capsys):
    assert main(["replay", str(RECORDINGS / "parallel.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "[backend 3/3] RUN" in out
    assert " compiling backend..." in out
    assert "Build summary" in out
    assert "max parallel steps 3" in out
    assert "image: sha256:" in out


def test_replay_failed_build_exits_1_and_shows_the_failing_step(capsys):
    assert main(["replay", str(RECORDINGS / "broken.jsonl")]) == 1
    out = capsys.readouterr().out
    assert "ERROR: executor failed running" in out
    assert "failed step: [build 4/4] RUN" in out and "(Dockerfile line 8)" in out
    assert "| error: undefined reference to 'main'" in out


def test_replay_summary_lists_skipped_stages_with_reasons(capsys):
    assert main(["replay", str(RECORDINGS / "seed-example.jsonl")]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.strip().startswith("test ")]
    assert "skipped" in row and "not needed" in row


def test_replay_json_is_one_object_per_line(capsys):
    assert main(["replay", "--progress", "json", str(RECORDINGS / "parallel.jsonl")]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {o["type"] for o in objects} >= {"step", "stage", "log", "build", "summary"}
    summary = objects[-1]
    assert summary["type"] == "summary" and summary["status"] == "succeeded"
    assert summary["totals"]["max_parallel"] == 3


def test_replay_of_a_corrupt_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nope\n")
    assert main(["replay", str(bad)]) == 1
    assert "line 1" in capsys.readouterr().err


def test_replay_into_joins_the_recorded_dockerfile():
    model, events = replay_into(RECORDINGS / "seed-example.jsonl")
    for event in events:
        model.apply(event)
    assert model.stage("test").state == "skipped"


def test_build_args_as_docker_reads_them(monkeypatch):
    monkeypatch.setenv("FROM_ENV", "yes")
    monkeypatch.setenv("EMPTY_ENV", "")
    monkeypatch.delenv("UNSET_VAR", raising=False)
    assert parse_build_args(["A=1", "B==2", "FROM_ENV", "UNSET_VAR", "EMPTY_ENV", "E="]) == {
        "A": "1", "B": "=2", "FROM_ENV": "yes", "EMPTY_ENV": "", "E": ""}
    assert parse_build_args(["X"], env={"X": "from the given env"}) == {"X": "from the given env"}
    with pytest.raises(ValueError):
        parse_build_args(["=x"])
    assert parse_labels(["k=v", "bare"]) == {"k": "v", "bare": ""}
    with pytest.raises(ValueError):
        parse_labels(["=v"])


def test_build_usage_errors_exit_2(tmp_path, capsys):
    assert main(["build", str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit) as refused:  # argparse's usage error
        main(["build", str(tmp_path), "--build-arg", "=x"])
    assert refused.value.code == 2
    assert main(["build", str(tmp_path)]) == 2  # no Dockerfile
    assert "Dockerfile not found" in capsys.readouterr().err


def test_build_without_an_engine_exits_3(tmp_path, capsys, monkeypatch):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert main(["build", str(tmp_path), "--host", f"unix://{tmp_path}/no-such.sock"]) == 3
    err = capsys.readouterr().err
    assert "no-such.sock" in err


def test_plain_progress_strips_terminal_controls_from_logs():
    out = io.StringIO()
    printer = PlainProgress(BufferedWriter(out))
    model = BuildModel()
    for event in [VertexUpdate("a", "[s 1/1] RUN x\x1b]0;title\x07", started=1.0),
                  LogChunk("a", b"\x1b[2Jcleared \x1b]0;pwned\x07ok\n", 1, 1.5)]:
        printer.handle(event, model.apply(event))
    printer.out.flush()
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "#1 0.500 cleared ok" in text


def test_summary_lists_warnings():
    from msb_tui.builds.events import BuildWarning, ImageBuilt
    from msb_tui.builds.report import summary_json, summary_text

    model = BuildModel()
    for event in [VertexUpdate("a", "[s 1/1] RUN x", started=1.0, completed=2.0),
                  BuildWarning("a", "JSONArgsRecommended: use JSON for CMD", 1), ImageBuilt("sha256:1")]:
        model.apply(event)
    assert "warning: JSONArgsRecommended: use JSON for CMD (stage s)" in summary_text(model)
    assert summary_json(model)["warnings"][0]["short"].startswith("JSONArgsRecommended")
