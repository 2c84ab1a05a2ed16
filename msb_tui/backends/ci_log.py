"""A saved ``--progress=plain`` build log (CI or local) as a build source (parsing: :mod:`msb_tui.builds.plain_log`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from msb_tui.backends.base import Source
from msb_tui.builds.events import BuildFailed, EngineEvent
from msb_tui.builds.inputs import BuildInputs
from msb_tui.engine.info import EngineInfo


class CiLogBackend:
    """Reads ``path``; ``dockerfile_text`` (the Dockerfile that was built) names the steps' lines."""

    name: ClassVar[str] = "ci-log"
    live: ClassVar[bool] = False

    def __init__(self, path: str | Path, dockerfile_text: str | None = None):
        self.path = Path(path)
        self.dockerfile_text = dockerfile_text

    def engine(self) -> EngineInfo:
        """Nothing: a plain log does not say which engine wrote it."""
        return EngineInfo()

    def start(self, inputs: BuildInputs | None = None) -> CiLogSource:
        return CiLogSource(self.path, self.dockerfile_text)


class CiLogSource(Source):
    """The log's events; a log that is not a build log ends as ``BuildFailed`` saying why."""

    def __init__(self, path: Path, dockerfile_text: str | None):
        super().__init__()
        self.path = path
        self.dockerfile_text = dockerfile_text

    def __iter__(self) -> Iterator[EngineEvent]:
        from msb_tui.builds.plain_log import PlainLogError, import_log

        try:
            events = import_log(self.path, dockerfile_text=self.dockerfile_text)
        except PlainLogError as error:
            yield BuildFailed(str(error), {"phase": "import"})
            return
        yield from self.until_cancelled(events)
