"""The glue between build sources and the build view: replay, batching, backpressure, clock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from msb_tui.builds.events import BuildCancelled, LogChunk, VertexUpdate
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import replay
from msb_tui.backends.base import EventListSource
from msb_tui.backends.replay import ReplaySource
from msb_tui.builds.feed import BuildFeed, ChangeBatch, EngineClock

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


def test_replay_source_yields_the_recordings_events():
    path = RECORDINGS / "parallel.jsonl"
    expected = list(replay(path, None))
    got = list(ReplaySource(path, None))
    assert got == expected
    assert any(isinstance(e, VertexUpdate) for e in got)


def test_replay_source_cancel_interrupts_a_long_recorded_wait():
    # At 1/100 of real time the parallel build's 3 s steps would take minutes to replay.
    source = ReplaySource(RECORDINGS / "parallel.jsonl", 0.01)
    events: list = []
    thread = threading.Thread(target=lambda: events.extend(source))
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    source.cancel()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 0.5
    assert isinstance(events[-1], BuildCancelled)


def test_change_batch_coalesces_per_step_and_bounds_log_lines():
    model = BuildModel()
    batch = ChangeBatch()
    batch.add(model.apply(VertexUpdate("d1", "[a 1/1] RUN x", started=1.0)), log_limit=3)
    for n in range(10):
        batch.add(model.apply(LogChunk("d1", f"line {n}\n".encode())), log_limit=3)
    entry = batch.logs["d1"]
    assert list(entry.lines) == ["line 7", "line 8", "line 9"]
    assert entry.count == 10 and entry.truncated
    assert list(batch.steps) == ["d1"]
    assert "a" in batch.stages


def _feed_events(lines: int, chunks: int):
    yield VertexUpdate("d1", "[build 1/1] RUN flood", started=100.0)
    per = lines // chunks
    for chunk in range(chunks):
        data = "".join(f"{chunk * per + i}\n" for i in range(per)).encode()
        yield LogChunk("d1", data, timestamp=100.0 + chunk * 0.001)
    yield VertexUpdate("d1", "[build 1/1] RUN flood", started=100.0, completed=101.0)


def test_feed_never_has_two_batches_outstanding_and_delivers_everything():
    model = BuildModel()
    delivered: list[ChangeBatch] = []
    outstanding = []
    feed: BuildFeed

    def deliver(batch):
        outstanding.append(batch)
        assert len(outstanding) <= 2  # at most the previous (being taken) and the final one
        delivered.append(batch)

    feed = BuildFeed(EventListSource(list(_feed_events(20_000, 200))), model, deliver, interval=0.01)
    thread = threading.Thread(target=feed.run)
    thread.start()
    # A slow UI: takes a batch every 30 ms.
    while thread.is_alive() or outstanding:
        time.sleep(0.03)
        if outstanding:
            outstanding.pop(0)
            feed.taken()
    thread.join()
    assert delivered[-1].ended
    assert sum(entry.count for batch in delivered for entry in batch.logs.values()) == 20_000
    assert model.steps["d1"].state == "done"
    # Coalesced: far fewer batches than events.
    assert len(delivered) < 100


def test_feed_cancel_closes_the_source_and_marks_the_build_cancelled():
    model = BuildModel()
    delivered: list[ChangeBatch] = []
    source = EventListSource([VertexUpdate("d1", "[a 1/1] RUN sleep 60", started=1.0)], hold_open=True)
    feed = BuildFeed(source, model, delivered.append, interval=0.01)
    thread = threading.Thread(target=feed.run)
    thread.start()
    time.sleep(0.1)
    assert feed.running
    feed.cancel()
    thread.join(2)
    assert not thread.is_alive() and not feed.running
    assert model.status == "cancelled"
    assert delivered[-1].ended and delivered[-1].finished == "cancelled"


def test_feed_reports_a_broken_stream_as_a_failed_build():
    class Broken:
        def cancel(self):
            pass

        def __iter__(self):
            yield VertexUpdate("d1", "[a 1/1] RUN x", started=1.0)
            raise ConnectionResetError("engine went away")

    model = BuildModel()
    delivered: list[ChangeBatch] = []
    BuildFeed(Broken(), model, delivered.append).run()
    assert model.status == "failed"
    assert "engine went away" in (model.error or "")
    assert delivered[-1].finished == "failed"


def test_engine_clock_follows_event_times_at_the_replay_speed():
    clock = EngineClock(rate=10.0)
    clock.observe(1000.0)
    time.sleep(0.05)
    now = clock.now()
    assert 1000.3 < now < 1002.0  # ~0.5 s of engine time in 50 ms at 10x
    clock.observe(999.0)  # an older time never moves the clock back
    assert clock.now() >= now


def test_feed_skips_an_event_the_model_cannot_apply_and_closes_a_broken_stream():
    class Model(BuildModel):
        def apply(self, event):
            if isinstance(event, LogChunk) and event.data == b"boom\n":
                raise ValueError("bad chunk")
            return super().apply(event)

    class Broken(EventListSource):
        closed = False

        def cancel(self):
            self.closed = True
            super().cancel()

        def __iter__(self):
            yield from self.events
            raise ConnectionResetError("gone")

    events = [VertexUpdate("d1", "[a 1/1] RUN x", started=1.0), LogChunk("d1", b"boom\n"), LogChunk("d1", b"fine\n")]
    source = Broken(events)
    model = Model()
    feed = BuildFeed(source, model, lambda batch: None)
    feed.run()
    assert feed.apply_errors == 1
    feed_lines = list(model.steps["d1"].log.lines)
    assert feed_lines == ["fine"]
    assert source.closed  # the stream is closed, not left to the engine
    assert model.status == "failed"
