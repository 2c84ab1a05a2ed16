"""A step whose work BuildKit shared with another build is one row, and ends as the work did.

BuildKit does identical work once across concurrent builds (the same cache key) and reports it on
either build's vertex: the other build's vertex (the same step under its own digest, never in our
plan) then reports into our stream too. Seen live as "4/6 RUN go mod download" twice in one stage
pane. Two real recordings on Docker 28.5.2:

- ``parallel-merged.jsonl``: demo_dockerfiles/parallel while another build of it ran: our steps
  came from the cache; the other build's ``[backend 3/3]``, ``[frontend 3/3]`` and ``[docs 1/3]``
  to ``[docs 3/3]`` started, and its RUNs ended "context canceled" when it was cancelled.
- ``merged-progress.jsonl``: two builds of one Dockerfile at once, FROM one image under two tags
  (so every vertex digest differs): our RUN steps never started; the other build's ran them, and
  its vertices carried the progress and the log.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from msb_tui.builds.events import VertexUpdate
from msb_tui.builds.recording import replay
from msb_tui.cache.explain import reported_states
from msb_tui.commands.replay import replay_into

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings" / "current"


def replayed(name: str):
    model, events = replay_into(RECORDINGS / name)
    for event in events:
        model.apply(event)
    return model


def twice_named(name: str) -> list[str]:
    """Step names that come under more than one digest in the recording."""
    digests = defaultdict(set)
    for event in replay(RECORDINGS / name, None):
        named = isinstance(event, VertexUpdate) and event.name.startswith("[")
        if named and not event.name.startswith("[internal]"):
            digests[event.name].add(event.digest)
    return sorted(name.split("]")[0] + "]" for name, found in digests.items() if len(found) > 1)


def rows(model) -> dict[str, list[str]]:
    return {stage.name: [step.position for step in stage.steps] for stage in model.stages}


def test_the_recordings_have_steps_under_two_digests():
    assert twice_named("parallel-merged.jsonl") == [
        "[backend 3/3]", "[docs 1/3]", "[docs 2/3]", "[docs 3/3]", "[frontend 3/3]"]
    assert twice_named("merged-progress.jsonl") == ["[build 2/3]", "[build 3/3]", "[final 1/1]"]


def test_a_step_the_other_build_cancelled_is_ours_from_the_cache():
    model = replayed("parallel-merged.jsonl")
    assert rows(model) == {"backend": ["3/3"], "frontend": ["3/3"], "docs": ["1/3", "2/3", "3/3"],
                           "final": ["2/4", "3/4", "4/4"]}
    assert model.status == "succeeded"
    states = {stage.name: stage.state for stage in model.stages}
    assert states == {"backend": "cached", "frontend": "cached", "docs": "done", "final": "cached"}
    assert not model.running_steps() and model.failed_step() is None
    # why each step ran: the RUNs came from the cache (the other build's run is not ours)
    ran, _ = reported_states(model)
    assert (ran["backend:3"], ran["frontend:3"], ran["docs:3"]) == (False, False, False)


def test_a_step_the_other_build_ran_shows_its_progress_and_log():
    model = replayed("merged-progress.jsonl")
    build = model.stage("build")
    run = build.steps[-1]
    assert run.position == "3/3" and [s.position for s in build.steps].count("3/3") == 1
    assert run.state == "done" and run.started is not None and run.duration > 3
    assert any("twin-" in line for line in run.log.lines)
    assert {stage.name: stage.state for stage in model.stages} == {"build": "done", "final": "done"}
