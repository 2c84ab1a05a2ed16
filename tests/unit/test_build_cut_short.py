"""Issue 14 item 3: a build cut short (cancel, engine gone) keeps each step's and stage's real time.

``go-cancelled.jsonl`` is a real build of demo_dockerfiles/go with ``--no-cache``, cancelled in the
app 11 s into ``RUN go build`` (the engine reported no end for that step).
"""

from __future__ import annotations

from pathlib import Path

from msb_tui.analysis import analyze
from msb_tui.builds.events import BuildCancelled, BuildFailed
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.builds.report import summary_text

RECORDING = Path(__file__).resolve().parent.parent / "fixtures" / "recordings" / "go-cancelled.jsonl"


def _model_and_events():
    inputs = read_inputs(RECORDING)
    analysis = analyze(inputs["dockerfile_text"], target=inputs["target"], build_args=inputs["build_args"])
    return BuildModel(analysis), list(replay(RECORDING, None))


def test_a_cancelled_stage_lasts_as_long_as_its_steps_ran():
    model, events = _model_and_events()
    for event in events:
        model.apply(event)
    assert model.status == "cancelled"
    build = model.stage("build")
    go_build = build.steps[-1]
    assert go_build.state == "cancelled" and go_build.completed is None
    assert go_build.duration is not None and go_build.duration > 10, go_build.duration
    assert build.state == "cancelled"
    assert build.duration is not None and build.duration >= go_build.duration
    totals = model.totals()
    summed = sum(s.duration or 0 for stage in model.stages for s in stage.steps)
    assert abs(totals.step_time_sum - summed) < 0.01


def test_a_step_cut_off_by_the_engine_going_away_is_interrupted_not_cancelled():
    model, events = _model_and_events()
    for event in events:
        if isinstance(event, BuildCancelled):
            model.apply(BuildFailed("lost the connection to the engine: EOF", {"phase": "stream"}, event.timestamp))
            break
        model.apply(event)
    assert model.status == "failed"
    build = model.stage("build")
    go_build = build.steps[-1]
    assert go_build.state == "interrupted"
    assert go_build.duration is not None and go_build.duration > 10
    assert build.state == "interrupted" and build.duration >= go_build.duration
    assert model.failed_step() is None  # no step failed: the engine went away


def test_the_summary_shows_the_stage_duration_of_a_cancelled_build():
    model, events = _model_and_events()
    for event in events:
        model.apply(event)
    summary = summary_text(model)
    row = next(line for line in summary.splitlines() if line.strip().startswith("build "))
    assert "cancelled" in row and " 11." in row, summary
