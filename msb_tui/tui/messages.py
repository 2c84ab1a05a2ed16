"""Textual messages the live build view posts, named for what happened.

The feed worker posts ``BuildProgressed`` batches (at most one pending at a time) to the build
column that owns it; the column turns them into the semantic messages below, which bubble through
the screen to the app (the app offers the Layers view on ``BuildFinished``, for example).
Messages carry model objects (``StageRun``/``StepRun``/``BuildModel``); read them on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover - typing only
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.runs import StageRun, StepRun


@dataclass(eq=False)
class BuildProgressed(Message, bubble=False):
    """The feed applied a batch of engine events to the model (changes coalesced, logs per step)."""

    batch: Any  # msb_tui.builds.feed.ChangeBatch
    feed: Any  # the BuildFeed that produced it (batches of a replaced feed are dropped)


@dataclass(eq=False)
class BuildStarted(Message):
    """A build (live or replayed) started feeding the build view."""

    model: BuildModel
    title: str


@dataclass(eq=False)
class StageStarted(Message):
    """A stage's first step started running."""

    stage: StageRun


@dataclass(eq=False)
class StepFailed(Message):
    """A step failed; ``step.error`` holds the engine's (untrusted) message."""

    step: StepRun


@dataclass(eq=False)
class _AboutBuild(Message):
    model: BuildModel


class BuildFinished(_AboutBuild):
    """The build ended (succeeded or failed); ``model.image_id`` is set on success."""


class BuildStopped(_AboutBuild):
    """The build was stopped before its end (key, rebuild, leaving the screen, quitting)."""


@dataclass(eq=False)
class StepSelected(Message):
    """The user picked a step in a stage pane (enter) to read its full log."""

    digest: str


@dataclass(eq=False)
class CheckSelected(Message):
    """The user picked one of BuildKit's build checks in a pane (enter): show it on its Dockerfile line."""

    text: str
    line: int | None


@dataclass(eq=False)
class StepExplainRequested(Message):
    """The user asked why a step ran instead of coming from the cache (key ``w`` in a stage pane)."""

    digest: str


@dataclass(eq=False)
class LayersRequested(Message):
    """The user asked for the Layers view (key ``l``) of the built image; the app opens it."""

    image_id: str | None
    model: BuildModel | None = None
