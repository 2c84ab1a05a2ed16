"""The tour's steps (headless): every caption's facts come from the analysis and real recordings."""

from __future__ import annotations

import pytest

from msb_tui import tour
from msb_tui.analysis import analyze
from msb_tui.commands.replay import replayed_model as replayed


def _analysis(step: tour.Step):
    return analyze(tour.recorded_dockerfile(step.recording or tour.demo_recording(step.demo)), target=step.target)


def test_the_story_in_order():
    assert [s.key for s in tour.STEPS] == ["graph", "plan", "parallel", "classic", "target-test", "layers",
                                           "failure", "shell"]


def test_one_key_forward_and_back_never_past_the_ends():
    t = tour.Tour()
    assert not t.back() and t.index == 0 and t.position() == "1/8"
    while t.next():
        pass
    assert t.index == len(tour.STEPS) - 1 and not t.next()
    assert t.back() and t.step.key == "failure"


@pytest.mark.parametrize("step", tour.STEPS, ids=lambda s: s.key)
def test_every_caption_is_filled_in(step):
    text = tour.caption(step, _analysis(step))
    assert "?" not in text and "{" not in text, text


@pytest.mark.parametrize("step", [s for s in tour.STEPS if s.recording], ids=lambda s: s.key)
def test_bundled_recordings_are_inside_the_package(step):
    for name in (step.recording, step.compare_recording):
        if name:
            path = tour.recording(name)
            assert path.is_file() and path.parent.parent.name == "tour" and path.parent.parent.parent.name == "msb_tui"


def test_plan_caption_says_why_test_is_skipped():
    step = next(s for s in tour.STEPS if s.key == "plan")
    text = tour.caption(step, _analysis(step))
    assert "`final`" in text and "skips `test`: test is not needed by target final" in text


def test_recordings_show_what_the_captions_say():
    """Measured on the recordings, not asserted: overlap, every stage on classic, test on --target test."""
    parallel = replayed(tour.recording("parallel.jsonl"))
    runs = [s for s in parallel.stages if s.name in ("backend", "frontend", "docs")]
    assert len(runs) == 3 and min(s.completed for s in runs) > max(s.started for s in runs)
    classic = replayed(tour.recording("seed-example-classic.jsonl"))
    assert classic.status == "succeeded" and {s.name for s in classic.stages if s.state == "done"} == {
        "base", "build", "test", "final"}
    buildkit = replayed(tour.recording("seed-example.jsonl"))
    assert {s.name: s.state for s in buildkit.stages}["test"] == "skipped"
    test = replayed(tour.recording("seed-example-test.jsonl"))
    assert test.status == "succeeded" and {s.name: s.state for s in test.stages}["test"] == "done"
    assert replayed(tour.recording("broken.jsonl")).status == "failed"


def test_sizes_were_measured_and_the_ratio_follows():
    facts = tour.measured()
    sdk, final = facts["sizes"]["sdk"], facts["sizes"]["final"]
    assert sdk > 50 * final > 0
    step = next(s for s in tour.STEPS if s.key == "layers")
    assert f"{sdk / final:.0f}x smaller" in tour.caption(step, _analysis(step))
    assert "hello, tour" in facts["shell"]["output"]
