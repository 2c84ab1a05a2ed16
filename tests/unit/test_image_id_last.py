"""The engine writes the image id before the last step updates; a build ends only after them.

Docker writes ``moby.image.id`` from the goroutine that ran the solve and BuildKit's progress from
another, so the id can come first. The fixture is a real recording of the tour's ``--target test``
build of demo_dockerfiles/seed-example on Docker 20.10: the image id, then the cached ``base``,
``build`` and ``test`` steps (the flaky tests/integration/test_tour_live.py saw that build
"succeeded" with ``build`` and ``test`` still "planned").
"""

from __future__ import annotations

from pathlib import Path

from msb_tui.builds.decode import MessageDecoder
from msb_tui.builds.events import BuildFailed, ImageBuilt, VertexUpdate
from msb_tui.commands.replay import replay_into

from recorded import recorded_messages

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORDING = FIXTURES / "recordings" / "compat" / "seed-example-test.jsonl"
IMAGE = {"id": "moby.image.id", "aux": {"ID": "sha256:1"}}


def test_the_recording_has_step_updates_after_the_image_id():
    ids = [message.get("id") for _, message in recorded_messages(RECORDING)]
    assert "moby.buildkit.trace" in ids[ids.index("moby.image.id") + 1:]


def test_the_image_id_is_the_last_event():
    decoder = MessageDecoder()
    messages = [message for _, message in recorded_messages(RECORDING)]
    events = [event for message in messages for event in decoder.decode(message)] + decoder.finish()
    assert isinstance(events[-1], ImageBuilt)
    assert sum(isinstance(e, ImageBuilt) for e in events) == 1
    tests = [e for e in events if isinstance(e, VertexUpdate) and e.name.startswith("[test 1/1]")]
    assert tests[-1].completed and tests[-1].cached


def test_the_build_succeeds_with_every_stage_it_ran_finished():
    model, events = replay_into(RECORDING)
    for event in events:
        model.apply(event)
        if model.status == "succeeded":
            break
    states = {stage.name: stage.state for stage in model.stages}
    assert states == {"base": "done", "build": "cached", "test": "cached", "final": "skipped"}


def test_an_error_after_the_image_id_still_follows_it():
    """A late error (e.g. tagging failed) still fails a build that made its image."""
    decoder = MessageDecoder()
    assert decoder.decode(IMAGE) == []
    detail = {"message": "tagging failed"}
    events = decoder.decode({"error": "tagging failed", "errorDetail": detail})
    assert events == [ImageBuilt("sha256:1"), BuildFailed("tagging failed", detail)]
    assert decoder.finish() == []
