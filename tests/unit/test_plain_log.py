"""Saved --progress=plain logs (real ones from this engine, CI variants) -> events -> BuildModel."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildFailed, ImageBuilt, LogChunk, StatusUpdate, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.builds.log_file import split_prefix
from msb_tui.builds.plain_log import PlainLogError, import_log
from msb_tui.cli import main

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "plain_logs"
DEMOS = Path(__file__).resolve().parent.parent.parent / "demo_dockerfiles"


def model_of(name: str, **kwargs) -> BuildModel:
    model = BuildModel(kwargs.pop("analysis", None))
    for event in import_log(LOGS / name, **kwargs):
        model.apply(event)
    return model


def events_of(tmp_path: Path, lines: list[str]) -> list:
    path = tmp_path / "build.log"
    path.write_text("".join(f"{line}\n" for line in lines))
    return list(import_log(path))


def steps(model: BuildModel, stage: str):
    return next(s for s in model.stages if s.name == stage).steps


def test_split_prefix_github_azure_acr():
    stamp, rest = split_prefix("2024-01-01T10:00:00.1234567Z #5 DONE 1.2s")
    assert rest == "#5 DONE 1.2s" and stamp == pytest.approx(1704103200.1234567)
    stamp, rest = split_prefix("2024-01-01T12:00:00+02:00 #5 CACHED")
    assert rest == "#5 CACHED" and stamp == pytest.approx(1704103200.0)
    stamp, rest = split_prefix("2024/02/01 09:15:02 Downloading source code...")
    assert rest == "Downloading source code..." and stamp is not None
    assert split_prefix("#5 0.512 2024-01-01T10:00:00Z is a date") == (None, "#5 0.512 2024-01-01T10:00:00Z is a date")


def test_real_seed_example_log():
    model = model_of("seed-example.log")
    assert model.status == "succeeded"
    assert model.image_id and model.image_id.startswith("sha256:")
    assert [s.name for s in model.stages] == ["base", "build", "final"]  # BuildKit skipped `test`
    build = steps(model, "build")
    assert [s.position for s in build] == ["1/2", "2/2"]  # FROM base (a stage) is not a step
    run = build[-1]
    assert list(run.log.lines) == ["built /out/app (60 bytes)"]
    assert run.duration == pytest.approx(0.3, abs=0.01)
    assert any(s.name.startswith("[internal] load build definition") for s in model.internal)


def test_real_cached_log_counts_cache_hits():
    model = model_of("seed-example-cached.log")
    assert model.status == "succeeded"
    assert model.totals().cache_hits >= 5


def test_plan_from_dockerfile_marks_skipped_stage():
    from msb_tui.commands.build import load_analysis

    analysis = load_analysis(DEMOS / "seed-example" / "Dockerfile", None, {}, None)
    if analysis is None:
        pytest.skip("analysis module not available")
    model = model_of("seed-example.log", analysis=analysis)
    test_stage = model.stage("test")
    assert test_stage is not None and test_stage.state == "skipped"


def test_real_parallel_log_rebuilds_overlap_without_timestamps():
    """BuildKit 0.8's printer holds a vertex's lines while another prints; starts are rebuilt."""
    model = model_of("parallel.log")
    assert model.status == "succeeded"
    totals = model.totals()
    assert totals.max_parallel == 3
    starts = {s.name: s.started for s in model.stages}
    t0 = model.started
    for name in ("backend", "frontend", "docs"):
        assert starts[name] - t0 < 0.5, name
    # final copies from all three: it cannot start before backend (3.3 s) finished
    final = steps(model, "final")
    assert final[0].started - t0 >= 3.2
    assert totals.wall == pytest.approx(3.4, abs=0.2)


def test_glued_unterminated_output_is_split(tmp_path):
    lines = [
        "#1 [2/2] RUN printf abc",
        "#1 0.194 abcdef#1 DONE 0.2s",
        "#2 exporting to image",
        "#2 writing image sha256:" + "a" * 64 + " done",
        "#2 DONE 0.0s",
    ]
    events = events_of(tmp_path, lines)
    chunks = [e for e in events if isinstance(e, LogChunk)]
    assert [c.data for c in chunks] == [b"abcdef\n"]
    done = [e for e in events if isinstance(e, VertexUpdate) and e.completed is not None]
    assert done[0].name == "[2/2] RUN printf abc" and done[0].completed - done[0].started == pytest.approx(0.2)
    assert events[-1] == ImageBuilt("sha256:" + "a" * 64)


def test_github_actions_log_uses_real_times_and_held_headers():
    model = model_of("github-actions-parallel.log")
    assert model.status == "succeeded"
    frontend = steps(model, "frontend")[0]
    # header printed at 10:00:05.8 but DONE 3.4s printed at 10:00:06.8: it started at 10:00:03.4
    assert frontend.started == pytest.approx(1704103203.4, abs=0.01)
    assert frontend.completed == pytest.approx(1704103206.8, abs=0.01)
    assert model.totals().max_parallel == 3
    pulled = steps(model, "docs")[0]
    assert pulled.statuses, "layer download progress is kept"
    progress = [s for s in pulled.statuses.values() if s.total]
    assert progress and progress[0].total == 2_220_000


def test_azure_failed_log():
    model = model_of("azure-pipelines-failed.log")
    assert model.status == "failed"
    assert "failed to solve" in model.error
    failed = model.failed_step()
    assert failed is not None and failed.name == "[build 4/4] RUN go build -o /out/server ./cmd/server"
    assert "did not complete successfully" in failed.error
    assert list(failed.log.lines)[-1] == "cmd/server/main.go:12:2: undefined: handler"
    # the error block repeating the log and the Dockerfile excerpt are not log lines or steps
    assert len(failed.log.lines) == 2 and len(model.steps) == 8


def test_real_broken_log_fails_on_the_right_step():
    model = model_of("broken.log")
    assert model.status == "failed"
    assert model.failed_step().name.startswith("[build 4/4] RUN for i in 1 2 3 4 5")
    assert "exit code: 2" in model.error


def test_acr_tasks_log():
    model = model_of("acr-tasks.log")
    assert model.status == "succeeded" and model.image_id.startswith("sha256:65b1")
    assert [s.name for s in model.stages] == ["base", "build"]
    t0 = model.started
    assert steps(model, "build")[0].started >= steps(model, "base")[-1].completed - 1e-6 >= t0


def test_classic_builder_log():
    model = model_of("seed-example-classic.log")
    assert model.status == "succeeded" and model.image_id == "f8fba81ebc39"
    assert [s.name for s in model.stages] == ["base", "build", "test", "final"]  # classic runs `test`
    assert [s.position for s in steps(model, "test")] == ["1/2", "2/2"]
    assert list(steps(model, "test")[1].log.lines) == ["ok 1 - greets by name", "ok 2 - greets the world by default", "2 tests passed"]


def test_status_lines_and_placeholder_vertex(tmp_path):
    events = events_of(tmp_path, ["#3 0.100 output before any header", "#3 DONE 0.5s"])
    assert events[0] == VertexUpdate("plain:3", "#3", started=events[0].started)
    assert isinstance(events[-1], ImageBuilt) and events[-1].image_id == ""  # finished, no image named
    lines = ["#1 [a 1/1] RUN x", "#1 sha256:abc 1.5MB / 3MB 0.5s"]
    events = events_of(tmp_path, lines)
    status = next(e for e in events if isinstance(e, StatusUpdate))
    assert (status.id, status.current, status.total) == ("sha256:abc", 1_500_000, 3_000_000)
    assert isinstance(events[-1], BuildFailed) and "still running" in events[-1].message


def test_control_characters_and_bad_utf8_survive(tmp_path):
    path = tmp_path / "weird.log"
    path.write_bytes(b"#1 [1/1] RUN x\n#1 0.1 \x1b]0;title\x07bad \xff\xfe bytes \x1b[31mred\x1b[0m\n#1 DONE 0.1s\n")
    model = BuildModel()
    for event in import_log(path):
        model.apply(event)
    line = list(model.steps["plain:1"].log.lines)[0]
    assert "bad" in line and "red" in line
    from msb_tui.sanitize import plain

    assert "\x1b" not in plain(line) and "title" not in plain(line)


@pytest.mark.parametrize("content", [b"", b"hello\nworld\n", b"\x00\x01\x02binary", b"Step one: make coffee\n"])
def test_garbage_is_a_clear_error(tmp_path, content):
    path = tmp_path / "input.log"
    path.write_bytes(content)
    with pytest.raises(PlainLogError) as caught:
        list(import_log(path))
    assert "build log" in str(caught.value) or "binary" in str(caught.value)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_import_log_summary_and_exit_codes():
    code, out, _ = run_cli("import-log", str(LOGS / "github-actions-parallel.log"))
    assert code == 0 and "Build summary" in out and "frontend" in out and "status: succeeded" in out
    code, out, _ = run_cli("import-log", str(LOGS / "azure-pipelines-failed.log"))
    assert code == 1 and "status: failed" in out and "undefined: handler" in out
    code, _, err = run_cli("import-log", str(LOGS / "not-a-log.txt"))
    assert code == 1 and "not a build log" in err
    code, _, err = run_cli("import-log", str(LOGS / "missing.log"))
    assert code == 1 and "cannot read" in err


def test_cli_import_log_with_dockerfile_and_progress():
    code, out, _ = run_cli(
        "import-log", str(LOGS / "seed-example.log"), "-f", str(DEMOS / "seed-example" / "Dockerfile"),
        "--progress", "plain",
    )
    assert code == 0
    assert "#1 [internal] load build definition" in out  # progress printed again
    assert "skipped" in out  # the plan says `test` is skipped
