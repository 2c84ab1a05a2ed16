"""Glue between a build source (:mod:`msb_tui.backends`) and a view of it (the TUI's build screen).

``BuildFeed.run`` iterates the source in a thread worker and applies every event to a
``BuildModel`` under a lock; a small flusher thread hands the UI one coalesced ``ChangeBatch`` at
most every ``interval`` seconds, and never a second one before the UI took the first (so a log
flood cannot pile up messages: lines coalesce per step, bounded). The UI never parses engine
output: it reads the model (under ``feed.lock``) and the batch.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from msb_tui.builds.changes import BuildEnded, LogAppended, PlanMismatch, StageChanged, StepChanged
from msb_tui.builds.events import BuildCancelled, BuildFailed
from msb_tui.builds.model import BuildModel

if TYPE_CHECKING:
    from msb_tui.backends.base import BuildSource

BATCH_INTERVAL = 0.05
"""Seconds between two batches handed to the UI (the UI repaints at most this often)."""
YIELD_WAIT = 0.005
"""Longest the reader pauses after an event while the UI is still busy with the previous batch."""


class EngineClock:
    """"Now" on the clock of the build being shown: the engine's timestamps, not this machine's.

    A replay's events carry the times they were recorded at, and a remote engine's clock may be
    skewed; timers and the live timeline must agree with the event times. The clock is anchored on
    the latest engine time seen and runs at ``rate`` (a replay's speed) in between; it never goes back.
    """

    def __init__(self, rate: float = 1.0) -> None:
        self.rate = rate
        self._engine: float | None = None
        self._wall = 0.0

    def observe(self, engine_time: float | None) -> None:
        if engine_time is None:
            return
        if self._engine is None or engine_time > self.now():
            self._engine, self._wall = engine_time, time.monotonic()

    def now(self) -> float:
        if self._engine is None:
            return time.time()
        return self._engine + (time.monotonic() - self._wall) * self.rate


@dataclass
class StepLines:
    """New log lines of one step since the last batch (only the newest ``limit`` are kept)."""

    step: object  # StepRun
    lines: deque[str]
    count: int = 0  # lines received, including those dropped from ``lines``

    @property
    def truncated(self) -> bool:
        return self.count > len(self.lines)


@dataclass
class ChangeBatch:
    """What changed since the previous batch, coalesced: latest object per stage/step, logs per step."""

    stages: dict[str, object] = field(default_factory=dict)  # stage run key (name, or "platform name") -> StageRun
    steps: dict[str, object] = field(default_factory=dict)  # digest -> StepRun
    logs: dict[str, StepLines] = field(default_factory=dict)  # digest -> new lines
    mismatches: list[str] = field(default_factory=list)
    finished: str | None = None  # the model's final status, when the build ended in this batch
    ended: bool = False  # the source is exhausted (last batch of this feed)
    events: int = 0

    def __bool__(self) -> bool:
        return bool(self.stages or self.steps or self.logs or self.mismatches or self.finished or self.ended)

    def add(self, changes: list, log_limit: int) -> None:
        for change in changes:
            if isinstance(change, LogAppended):
                digest = change.step.digest
                entry = self.logs.get(digest)
                if entry is None:
                    entry = self.logs[digest] = StepLines(change.step, deque(maxlen=log_limit))
                entry.lines.extend(change.lines)
                entry.count += len(change.lines)
            elif isinstance(change, StepChanged):
                self.steps[change.step.digest] = change.step
            elif isinstance(change, StageChanged):
                self.stages[change.stage.key] = change.stage
            elif isinstance(change, BuildEnded):
                self.finished = change.status
            elif isinstance(change, PlanMismatch):
                self.mismatches.append(change.message)


class BuildFeed:
    """Runs one source into one model; hands the UI coalesced batches through ``deliver``.

    ``deliver(batch)`` is called from a non-UI thread (post a message there); the UI calls
    ``taken()`` once it handled a batch so the next one may go. Read the model under ``lock``.
    """

    yield_to_ui = True
    """Pause the reader while the UI is busy (set False only to measure what it buys: benchmarks)."""

    def __init__(
        self,
        source: BuildSource,
        model: BuildModel,
        deliver: Callable[[ChangeBatch], None],
        *,
        interval: float = BATCH_INTERVAL,
        log_limit: int = 5000,
    ) -> None:
        self.source = source
        self.model = model
        self.deliver = deliver
        self.interval = interval
        self.log_limit = log_limit
        self.lock = threading.RLock()
        self._pending = ChangeBatch()
        self._ready = threading.Event()  # the UI took the previous batch
        self._ready.set()
        self._done = threading.Event()
        self._cancel_requested = False
        self.events = 0
        self.apply_errors = 0  # events the model could not apply (skipped; first one in ``error``)
        self.error: str | None = None

    # -- UI side -------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the build: closes the stream (the engine stops the solve); thread-safe, idempotent."""
        self._cancel_requested = True
        self.cancel_source()

    def cancel_source(self) -> None:
        try:
            self.source.cancel()
        except Exception:  # noqa: BLE001 - a source failing to close must not break the UI
            pass

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def taken(self) -> None:
        """The UI handled a batch; the next may be delivered."""
        self._ready.set()

    # -- worker side ---------------------------------------------------------------------
    def run(self) -> None:
        """Iterate the source (blocking) in the calling thread until it ends or is cancelled."""
        flusher = threading.Thread(target=self._flush_loop, name="msb-build-flush", daemon=True)
        flusher.start()
        try:
            ready = self._ready
            yielding = self.yield_to_ui
            for event in self.source:
                with self.lock:
                    try:
                        changes = self.model.apply(event)
                    except Exception as error:  # noqa: BLE001 - one bad event must not end the view
                        self.apply_errors += 1
                        self.error = self.error or f"{type(error).__name__} applying {type(event).__name__}: {error}"
                        continue
                    self._pending.add(changes, self.log_limit)
                    self._pending.events += 1
                    self.events += 1
                if not yielding:
                    continue
                if not ready.is_set():
                    # The UI is handling (and painting) a batch: step aside (this wait releases the
                    # GIL) so a log flood cannot starve the event loop; the engine's output waits
                    # in the socket meanwhile.
                    ready.wait(YIELD_WAIT)
                else:
                    time.sleep(0)  # hand the GIL to the UI thread if it is waiting for it
        except Exception as error:  # noqa: BLE001 - a broken stream ends the build, visibly
            self.error = f"{type(error).__name__}: {error}"
            self.cancel_source()
            with self.lock:
                if self.model.status in ("pending", "running"):
                    event = BuildCancelled() if self._cancel_requested else BuildFailed(message=f"build stream broke: {self.error}")
                    self._pending.add(self.model.apply(event), self.log_limit)
        finally:
            self._done.set()
            flusher.join()
            with self.lock:
                if self._cancel_requested and self.model.status in ("pending", "running"):
                    self._pending.add(self.model.apply(BuildCancelled()), self.log_limit)
                batch, self._pending = self._pending, ChangeBatch()
                batch.ended = True
            self._ready.clear()
            self.deliver(batch)

    def _flush_loop(self) -> None:
        while not self._done.wait(self.interval):
            if not self._ready.is_set():
                continue
            with self.lock:
                if not self._pending:
                    continue
                batch, self._pending = self._pending, ChangeBatch()
                self._ready.clear()
            if self._done.is_set():  # the reader ended meanwhile: it sends the rest after us
                self.deliver(batch)
                return
            self.deliver(batch)
