"""The backend registry and the sources behind it: one interface for every way to get a build."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.backends import BACKENDS, backend_class, open_backend
from msb_tui.backends.base import Source
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt
from msb_tui.builds.recording import replay

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("name", list(BACKENDS))
def test_every_registered_backend_has_the_interface(name):
    cls = backend_class(name)
    assert cls.name == name
    assert isinstance(cls.live, bool)
    assert callable(cls.engine) and callable(cls.start)


def test_an_unknown_backend_names_the_known_ones():
    with pytest.raises(KeyError) as caught:
        open_backend("nope")
    assert "engine" in str(caught.value) and "ci-log" in str(caught.value)


def test_replay_backend_plays_the_recording_and_says_its_engine():
    path = FIXTURES / "recordings" / "parallel.jsonl"
    backend = open_backend("replay", path=path, speed=None)
    source = backend.start()
    assert isinstance(source, Source) and source.dockerfile_text and source.classic is False
    assert list(source) == list(replay(path, None))
    assert backend.engine().version  # from the recording's header


def test_ci_log_backend_reads_a_log_and_refuses_what_is_not_one(tmp_path):
    log = next((FIXTURES / "plain_logs").glob("*.log"))
    events: list[EngineEvent] = list(open_backend("ci-log", path=log).start())
    assert events and isinstance(events[-1], (ImageBuilt, BuildFailed))
    (tmp_path / "binary").write_bytes(b"\0" * 100)
    events = list(open_backend("ci-log", path=tmp_path / "binary").start())
    assert len(events) == 1 and isinstance(events[0], BuildFailed) and "binary" in events[0].message


def test_a_cancelled_ci_log_source_ends_cancelled():
    log = next((FIXTURES / "plain_logs").glob("*.log"))
    source = open_backend("ci-log", path=log).start()
    events = iter(source)
    next(events)
    source.cancel()
    assert list(events)[-1] == BuildCancelled()
