"""The seam between the ways to get a build and everything that shows one.

A **backend** starts a build from :class:`~msb_tui.builds.inputs.BuildInputs` and returns a
**source**: an iterable of :mod:`msb_tui.builds.events` with a thread-safe ``cancel()``. The CLI,
the app and the tests only see these two interfaces; how the events are obtained (the Engine API,
the classic builder, a recording, a CI log) stays inside one module per backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from msb_tui.builds.events import BuildCancelled, EngineEvent
from msb_tui.engine.info import EngineInfo

if TYPE_CHECKING:
    from msb_tui.builds.inputs import BuildInputs

ContextProgress = Callable[[str, int, int], None]
"""``callback(phase, done, total)``: phase "tar" (bytes read) or "upload" (bytes sent)."""


class BuildSource(Protocol):
    """One build's events, in order, ending with a terminal event (``ImageBuilt``, ``BuildFailed``
    or ``BuildCancelled``). Iterate it once, in a worker thread; ``cancel()`` from any thread stops
    the build (on the engine, for a live one)."""

    dockerfile_text: str | None
    """The Dockerfile being built, when known (for the failure view's context)."""
    classic: bool
    """True for the classic builder, which runs every stage in order."""
    clock_rate: float
    """Build seconds per wall second: 1 live, the speed of a paced replay."""
    context_progress: ContextProgress | None
    """Set by a viewer that wants to show the context's tar and upload (sources without one ignore it)."""
    recording_path: Path | None
    """Where this build is being recorded, if it is."""
    recorded: bool
    """The build ran before (replay, bundle, history): ``engine_info()`` is the engine it ran on,
    not necessarily one that answers now."""

    def engine_info(self) -> EngineInfo | None:
        """The engine the build runs or ran on, when the source can tell; it may read a file or ask
        the engine: call it from a worker."""

    def __iter__(self) -> Iterator[EngineEvent]: ...

    def cancel(self) -> None: ...


class Source:
    """Defaults of the :class:`BuildSource` attributes for sources to inherit, and a ``cancel()``
    that ends the events at the next one (:meth:`until_cancelled`)."""

    dockerfile_text: str | None = None
    classic: bool = False
    clock_rate: float = 1.0
    context_progress: ContextProgress | None = None
    recording_path: Path | None = None
    recorded: bool = False

    def engine_info(self) -> EngineInfo | None:
        return None

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    def until_cancelled(self, events: Iterable[EngineEvent]) -> Iterator[EngineEvent]:
        """``events`` until ``cancel()``; then (or at their end, if cancelled) ``BuildCancelled``."""
        for event in events:
            if self.cancelled:
                break
            yield event
        if self.cancelled:
            yield BuildCancelled()


class Backend(Protocol):
    """A way to get builds. ``start`` must not block on the build: the work happens while the
    source is iterated."""

    name: ClassVar[str]
    live: ClassVar[bool]
    """True when it runs builds from inputs; False when it plays back builds that ran elsewhere."""

    def engine(self) -> EngineInfo:
        """What it knows of the engine: version, BuildKit version, image store (empty when unknown)."""

    def start(self, inputs: BuildInputs | None = None) -> BuildSource: ...


class EventListSource(Source):
    """Events from memory (tests, already-parsed logs); optionally blocks after them until cancelled."""

    def __init__(self, events: Iterable[EngineEvent], *, hold_open: bool = False,
                 dockerfile_text: str | None = None) -> None:
        super().__init__()
        self.events = list(events)
        self.hold_open = hold_open
        self.dockerfile_text = dockerfile_text

    def __iter__(self) -> Iterator[EngineEvent]:
        yield from self.until_cancelled(self._held_open() if self.hold_open else self.events)

    def _held_open(self) -> Iterator[EngineEvent]:
        yield from self.events
        self._cancelled.wait()
