"""Typed engine events: what a build source (live engine, classic builder, recording, CI log) says happened.

Every source turns its input into these plain objects; ``BuildModel.apply`` is the only consumer
that interprets them. Times are seconds since the epoch (floats) as the engine reported them.
Text fields hold raw engine data: they are untrusted and must never be rendered as markup.

They are written-out classes rather than dataclasses: ``msb-tui build`` imports this module while
the engine works on a build it has just sent, and dataclasses (with the ``inspect`` import they
bring) would add ~10 ms of CPU there; :class:`~msb_tui.records.Record` gives them value semantics.
"""

from __future__ import annotations

from msb_tui.records import Record


class VertexUpdate(Record):
    """A BuildKit vertex (a step) was announced, started, or completed (maybe cached or failed).

    BuildKit sends each vertex first without ``started`` (the plan), then again as it starts and
    when it completes; merge by ``digest``.
    """

    __slots__ = ("digest", "name", "inputs", "started", "completed", "cached", "error")

    def __init__(self, digest: str, name: str, inputs: tuple[str, ...] = (), started: float | None = None,
                 completed: float | None = None, cached: bool = False, error: str | None = None):
        self.digest = digest
        self.name = name
        self.inputs = inputs
        self.started = started
        self.completed = completed
        self.cached = cached
        self.error = error


class StatusUpdate(Record):
    """Progress of a sub-task of a vertex (e.g. transferring context, extracting a layer)."""

    __slots__ = ("id", "vertex", "name", "current", "total", "timestamp", "started", "completed")

    def __init__(self, id: str, vertex: str, name: str = "", current: int = 0, total: int = 0,  # noqa: A002 - BuildKit's name
                 timestamp: float | None = None, started: float | None = None, completed: float | None = None):
        self.id = id
        self.vertex = vertex
        self.name = name
        self.current = current
        self.total = total
        self.timestamp = timestamp
        self.started = started
        self.completed = completed


class LogChunk(Record):
    """Bytes a vertex wrote to stdout (stream 1) or stderr (stream 2)."""

    __slots__ = ("vertex", "data", "stream", "timestamp")

    def __init__(self, vertex: str, data: bytes, stream: int = 1, timestamp: float | None = None):
        self.vertex = vertex
        self.data = data
        self.stream = stream
        self.timestamp = timestamp


class BuildWarning(Record):
    """A BuildKit warning (BuildKit 0.10+ only), e.g. a build-check finding."""

    __slots__ = ("vertex", "short", "level", "detail", "url")

    def __init__(self, vertex: str, short: str, level: int = 0, detail: tuple[str, ...] = (), url: str = ""):
        self.vertex = vertex
        self.short = short
        self.level = level
        self.detail = detail
        self.url = url


class ImageBuilt(Record):
    """The engine reported the resulting image id (``moby.image.id``)."""

    __slots__ = ("image_id",)

    def __init__(self, image_id: str):
        self.image_id = image_id


class BuildFailed(Record):
    """The engine (or the stream) reported an error that ends the build.

    ``timestamp``: when the source noticed it (set for failures the runner or a recording reports
    itself); not compared.
    """

    __slots__ = ("message", "detail", "timestamp")
    _not_compared = ("timestamp",)

    def __init__(self, message: str, detail: dict | None = None, timestamp: float | None = None):
        self.message = message
        self.detail = {} if detail is None else detail
        self.timestamp = timestamp


class BuildCancelled(Record):
    """The user stopped the build; the stream was closed so the engine stops the solve.

    ``timestamp``: when the build was cancelled (epoch seconds), if the source knows; not compared.
    """

    __slots__ = ("reason", "timestamp")
    _not_compared = ("timestamp",)

    def __init__(self, reason: str = "cancelled by user", timestamp: float | None = None):
        self.reason = reason
        self.timestamp = timestamp


class StreamText(Record):
    """Plain text from the engine outside BuildKit's trace (classic builder ``stream`` lines)."""

    __slots__ = ("text", "timestamp")

    def __init__(self, text: str, timestamp: float | None = None):
        self.text = text
        self.timestamp = timestamp


class MalformedMessage(Record):
    """A message that could not be decoded; counted, never fatal."""

    __slots__ = ("reason", "raw")

    def __init__(self, reason: str, raw: bytes = b""):
        self.reason = reason
        self.raw = raw


CLASSIC_DIGEST_PREFIX = "classic:"
"""Digests of the steps the classic builder reports (it has none of its own; ``classic.py`` makes them)."""

EngineEvent = (
    VertexUpdate
    | StatusUpdate
    | LogChunk
    | BuildWarning
    | ImageBuilt
    | BuildFailed
    | BuildCancelled
    | StreamText
    | MalformedMessage
)
