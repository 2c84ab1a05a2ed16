"""Textual messages the live build view posts, named for what happened.

The feed worker posts ``BuildProgressed`` batches (at most one pending at a time) to the build
column that owns it; the column turns them into the semantic messages below, which bubble through
the screen to the app (the app offers the Layers view on ``BuildFinished``, for example).
Messages carry model objects (``StageRun``/``StepRun``/``BuildModel``); read them on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover - typing only
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.runs import StageRun, StepRun


class BuildProgressed(Message, bubble=False):
    """The feed applied a batch of engine events to the model (changes coalesced, logs per step)."""

    def __init__(self, batch: Any, feed: Any) -> None:
        super().__init__()
        self.batch = batch  # msb_tui.builds.feed.ChangeBatch
        self.feed = feed  # the BuildFeed that produced it (batches of a replaced feed are dropped)


class BuildStarted(Message):
    """A build (live or replayed) started feeding the build view."""

    def __init__(self, model: "BuildModel", title: str) -> None:
        super().__init__()
        self.model = model
        self.title = title


class StageStarted(Message):
    """A stage's first step started running."""

    def __init__(self, stage: "StageRun") -> None:
        super().__init__()
        self.stage = stage


class StageFinished(Message):
    """A stage ended: done, cached, failed or cancelled (``stage.state`` says which)."""

    def __init__(self, stage: "StageRun") -> None:
        super().__init__()
        self.stage = stage


class StepFailed(Message):
    """A step failed; ``step.error`` holds the engine's (untrusted) message."""

    def __init__(self, step: "StepRun") -> None:
        super().__init__()
        self.step = step


class BuildFinished(Message):
    """The build ended (succeeded or failed); ``model.image_id`` is set on success."""

    def __init__(self, model: "BuildModel") -> None:
        super().__init__()
        self.model = model


class BuildStopped(Message):
    """The build was stopped before its end (key, rebuild, leaving the screen, quitting)."""

    def __init__(self, model: "BuildModel") -> None:
        super().__init__()
        self.model = model


class StepSelected(Message):
    """The user picked a step in a stage pane (enter) to read its full log."""

    def __init__(self, digest: str) -> None:
        super().__init__()
        self.digest = digest


class LayersRequested(Message):
    """The user asked for the Layers view (key ``l``) of the built image; the app opens it."""

    def __init__(self, image_id: str | None, model: "BuildModel | None" = None) -> None:
        super().__init__()
        self.image_id = image_id
        self.model = model
