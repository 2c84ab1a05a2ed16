"""Typed engine events: what a build source (live engine, classic builder, recording, CI log) says happened.

Every source turns its input into these plain objects; ``BuildModel.apply`` is the only consumer
that interprets them. Times are seconds since the epoch (floats) as the engine reported them.
Text fields hold raw engine data: they are untrusted and must never be rendered as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ProgressGroup:
    """BuildKit's progress group (0.10+): vertexes of one group are one row in its own UI, e.g. the
    copy and the merge of a ``COPY --link``. A ``weak`` member alone does not make the group show."""

    id: str
    name: str
    weak: bool = False


@dataclass(frozen=True, slots=True)
class VertexUpdate:
    """A BuildKit vertex (a step) was announced, started, or completed (maybe cached or failed).

    BuildKit sends each vertex first without ``started`` (the plan), then again as it starts and
    when it completes; merge by ``digest``.
    """

    digest: str
    name: str
    inputs: tuple[str, ...] = ()
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    error: str | None = None
    group: ProgressGroup | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Progress of a sub-task of a vertex (e.g. transferring context, extracting a layer)."""

    id: str
    vertex: str
    name: str = ""
    current: int = 0
    total: int = 0
    timestamp: float | None = None
    started: float | None = None
    completed: float | None = None


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Bytes a vertex wrote to stdout (stream 1) or stderr (stream 2)."""

    vertex: str
    data: bytes
    stream: int = 1
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class BuildWarning:
    """A BuildKit warning (BuildKit 0.10+ only), e.g. a build-check finding."""

    vertex: str
    short: str
    level: int = 0
    detail: tuple[str, ...] = ()
    url: str = ""
    line: int | None = None  # the Dockerfile line it is about (its first source range), when given

    @property
    def headline(self) -> str:
        """``line 5: FromAsCasing: 'as' and 'FROM' keywords' casing do not match`` (BuildKit ends
        the text with ``(line 5)``: said once, first)."""
        if not self.line:
            return self.short
        suffix = f" (line {self.line})"
        return f"line {self.line}: {self.short.removesuffix(suffix)}"


@dataclass(frozen=True, slots=True)
class ImageBuilt:
    """The engine reported the resulting image id (``moby.image.id``)."""

    image_id: str


@dataclass(frozen=True, slots=True)
class BuildFailed:
    """The engine (or the stream) reported an error that ends the build."""

    message: str
    detail: dict = field(default_factory=dict)
    timestamp: float | None = field(default=None, compare=False)
    """When the source noticed it (set for failures the runner or a recording reports itself)."""


@dataclass(frozen=True, slots=True)
class BuildCancelled:
    """The user stopped the build; the stream was closed so the engine stops the solve."""

    reason: str = "cancelled by user"
    timestamp: float | None = field(default=None, compare=False)
    """When the build was cancelled (epoch seconds), if the source knows."""


@dataclass(frozen=True, slots=True)
class StreamText:
    """Plain text from the engine outside BuildKit's trace (classic builder ``stream`` lines)."""

    text: str
    timestamp: float | None = None


@dataclass(frozen=True, slots=True)
class MalformedMessage:
    """A message that could not be decoded; counted, never fatal."""

    reason: str
    raw: bytes = b""


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
