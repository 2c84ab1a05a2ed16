"""The app's live builds with the cache check around them: predict before the build is sent,
explain once it ended (``msb_tui.cache.check.CacheCheck``, as ``msb-tui build`` does).

The prediction reads the whole context (checksums) and asks the engine for its base images, so it
must not run on the UI thread: ``CacheCheckedSource`` does it in the worker that iterates the
source, just before the build is sent. A failure there never stops the build; the build view then
says why it has no explanation. A recorded build keeps its explanation next to the recording
(``X.cache.json``), which is what a replay shows.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from msb_tui.builds.events import EngineEvent
from msb_tui.cache.explain import CacheExplanation


class CacheCheckedSource:
    """A live build's source (``backend.start(inputs)``) with the cache check around it; everything
    else a viewer asks of a source (its Dockerfile, clock, engine, recording) is the inner one's."""

    def __init__(self, backend: Any, inputs: Any, analysis: Any) -> None:
        self.backend, self.inputs, self.analysis = backend, inputs, analysis
        self.inner = backend.start(inputs)
        self.check = None
        self.problem: str | None = None  # why there is no explanation
        self._cancelled = threading.Event()

    def __getattr__(self, name: str) -> Any:
        if name == "inner":  # backend.start failed in __init__
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def context_progress(self):
        return self.inner.context_progress

    @context_progress.setter
    def context_progress(self, callback) -> None:
        self.inner.context_progress = callback

    def __iter__(self) -> Iterator[EngineEvent]:
        if not self._cancelled.is_set():
            from msb_tui.cache.check import CacheCheck

            try:
                self.check = CacheCheck.prepare(self.inputs, self.backend, self.analysis)
                self.check.attach(self.inner.recording_path)
            except Exception as error:  # noqa: BLE001 - the explanation is extra: the build goes on
                self.problem = f"the cache check could not run: {error}"
        yield from self.inner

    def cancel(self) -> None:
        self._cancelled.set()
        self.inner.cancel()

    def explain(self, model: Any) -> CacheExplanation | None:
        """The explanation of the ended build (kept next to its recording), or None."""
        return self.check.finish(model) if self.check is not None else None


def explain_checked(model: Any, source: Any) -> CacheExplanation | None:
    """``BuildRun.explain`` for live builds started through ``CacheCheckedSource``."""
    return source.explain(model) if isinstance(source, CacheCheckedSource) else None


def explain_recorded(model: Any, source: Any) -> CacheExplanation | None:
    """``BuildRun.explain`` for replays: the explanation kept with the recording, if any."""
    from msb_tui.cache import record as records

    path = getattr(source, "recording_path", None) or getattr(source, "path", None)
    kept = records.load(Path(path)) if path else None
    data = getattr(kept, "explanation", None)
    return CacheExplanation.from_json(data) if data else None


def context_files_of(source: Any) -> Collection[str] | None:
    """The paths in the build's context (its manifest), for advice that names only files that exist."""
    check = getattr(source, "check", None)
    manifest = getattr(check, "manifest", None)
    if manifest is None:
        from msb_tui.cache import record as records

        path = getattr(source, "recording_path", None) or getattr(source, "path", None)
        manifest = records.load_manifest(path) if path else None
    return manifest.files.keys() if manifest is not None else None
