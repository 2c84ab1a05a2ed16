"""A recorded build (``.jsonl`` from :mod:`msb_tui.builds.recording`) played back as a build source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from msb_tui.backends.base import Source
from msb_tui.builds.events import EngineEvent
from msb_tui.builds.inputs import BuildInputs
from msb_tui.engine.info import EngineInfo


class ReplayBackend:
    """Replays ``path`` at ``speed`` (1.0 = real time, None = as fast as possible)."""

    name: ClassVar[str] = "replay"
    live: ClassVar[bool] = False

    def __init__(self, path: str | Path, speed: float | None = 1.0):
        self.path = Path(path)
        self.speed = speed

    def engine(self) -> EngineInfo:
        """The engine the recording was made on, as its header says."""
        return EngineInfo.from_record(ReplaySource(self.path).inputs().get("engine"))

    def start(self, inputs: BuildInputs | None = None) -> ReplaySource:
        """The recorded build (its own inputs are in its header; ``inputs`` is not used)."""
        return ReplaySource(self.path, self.speed)


class ReplaySource(Source):
    """A recorded build as a source. The recording's pacing waits on an ``Event``, so ``cancel()``
    takes effect at once even in a long recorded step; a cancelled replay ends with ``BuildCancelled``."""

    recorded = True

    def __init__(self, path: str | Path, speed: float | None = 1.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.speed = speed
        self.clock_rate = speed or 1.0
        self._inputs: dict[str, Any] | None = None

    def inputs(self) -> dict[str, Any]:
        """The recording's header (context, Dockerfile text, target, build args, classic...);
        raises ``RecordingError`` when it is unreadable."""
        if self._inputs is None:
            from msb_tui.builds.recording import read_inputs

            self._inputs = read_inputs(self.path)
        return self._inputs

    def _header(self, key: str) -> Any:
        try:
            return self.inputs().get(key)
        except Exception:  # noqa: BLE001 - a damaged header: the replay itself says why
            return None

    @property
    def dockerfile_text(self) -> str | None:  # type: ignore[override]
        text = self._header("dockerfile_text")
        return text if isinstance(text, str) else None

    @property
    def classic(self) -> bool:  # type: ignore[override]
        return bool(self._header("classic"))

    def engine_info(self) -> EngineInfo | None:
        """The engine the recording was made on, as its header says (None in older recordings)."""
        info = EngineInfo.from_record(self._header("engine"))
        return info if info.version or info.buildkit_version else None

    def __iter__(self) -> Iterator[EngineEvent]:
        from msb_tui.builds.recording import replay

        events = replay(self.path, self.speed, sleep=self._cancelled.wait)
        try:
            yield from self.until_cancelled(events)
        finally:
            events.close()
