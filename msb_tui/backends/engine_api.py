"""Builds on the engine's own BuildKit through the Engine API: ``POST /build?version=2``.

No CLI, no buildx and no session: the context goes up as a tar body and progress comes back as
``moby.buildkit.trace`` messages on the same response. Closing that response makes the engine stop
the solve, which is how ``cancel()`` works.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar

from msb_tui.analysis.safety import engine_safety
from msb_tui.analysis.versions import engine_buildkit
from msb_tui.backends.base import Source
from msb_tui.backends.engine_request import Cancelled, UploadBody, build_params
from msb_tui.backends.framing import INVALID, json_lines
from msb_tui.builds.context import ContextError, make_context_tar
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage, StreamText
from msb_tui.builds.inputs import BuildInputs
from msb_tui.builds.masking import Masker
from msb_tui.builds.decode import MessageDecoder
from msb_tui.builds.recording import Recorder
from msb_tui.engine.info import EngineInfo, gather

Record = bool | str | os.PathLike
"""True: record into ``msb_tui.paths.recordings_dir()``; a path: record there; False: do not record."""


class EngineApiBackend:
    """Builds with BuildKit on a Docker engine. ``client`` is a connected ``docker.APIClient``
    (made with :func:`msb_tui.engine.connection.connect` when only ``host`` is given)."""

    name: ClassVar[str] = "engine"
    live: ClassVar[bool] = True
    classic: ClassVar[bool] = False

    def __init__(self, client=None, *, host: str | None = None, record: Record = True,
                 on_wait: Callable[[float], None] | None = None):
        if client is None:
            from msb_tui.engine.connection import connect

            client = connect(host, on_wait=on_wait)
        self.client = client
        self.record = record

    def engine(self) -> EngineInfo:
        return engine_info(self.client)

    def start(self, inputs: BuildInputs | None = None) -> BuildStream:
        if inputs is None:
            raise ValueError(f"the {self.name} backend needs build inputs")
        return BuildStream(self.client, inputs, classic=self.classic, record=self.record)


_ENGINE_INFO: weakref.WeakKeyDictionary[Any, EngineInfo] = weakref.WeakKeyDictionary()


def engine_info(client) -> EngineInfo:
    """The engine's facts, asked once per client (two requests every build would otherwise pay);
    empty when the engine does not say (they are informative: a build does not depend on them)."""
    if client in _ENGINE_INFO:
        return _ENGINE_INFO[client]
    try:
        info = gather(client)
    except Exception:  # noqa: BLE001 - informative only
        return EngineInfo()
    _ENGINE_INFO[client] = info
    return info


def recording_path(record: Record, inputs: BuildInputs, started: float) -> Path | None:
    """Where a build started at ``started`` is recorded: nowhere (False), the given path, or (True)
    a new file in the state folder named after the context and the time."""
    if record is not True:
        return Path(record) if record else None
    from msb_tui.paths import recordings_dir

    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    name = inputs.context.resolve().name or "build"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    return recordings_dir() / f"{stamp}-{safe}-{os.getpid()}-{int(started * 1000) % 100000}.jsonl"


def start_recording(source, engine: EngineInfo, **header: Any) -> Recorder | None:
    """The recorder of a live build (its header: the inputs, the Dockerfile, ``header``, the
    engine), or None when the build is not recorded or the file cannot be made."""
    if source.recording_path is None:
        return None
    header = {**source.inputs.describe(), "dockerfile_text": source.dockerfile_text, **header,
              "engine": engine.to_record(), "started": source.started}
    try:
        return Recorder(source.recording_path, header)
    except OSError:
        source.recording_path = None
        return None


class BuildStream(Source):
    """One running build: iterate it (blocking) for events; ``cancel()`` from any thread.

    Iterating sends the build. The stream always ends with a terminal event: ``ImageBuilt``,
    ``BuildFailed`` or ``BuildCancelled``.
    """

    def engine_info(self) -> EngineInfo | None:
        """The engine this build runs on (asked once per client)."""
        info = engine_info(self.client)
        return info if info.version else None

    def __init__(self, client, inputs: BuildInputs, *, classic: bool = False, record: Record = True):
        super().__init__()
        self.client = client
        self.inputs = inputs
        self.classic = classic
        self.started = time.time()
        self.recording_path = recording_path(record, inputs, self.started)
        self._lock = threading.Lock()
        self._response = None
        self._iterated = False
        self._recorder: Recorder | None = None
        self._outcome: tuple[str, str | None, str | None] = ("failed", None, None)  # status, image id, error

    def cancel(self) -> None:
        """Stop the build (thread-safe): the upload stops, or the response is shut down and closed,
        which wakes the reader and makes the engine cancel the solve."""
        with self._lock:
            self._cancelled.set()
            response = self._response
        if response is None:
            return
        with suppress(Exception):  # already closed, or a transport without shutdown
            response.raw.shutdown()  # a reader blocked on the socket returns at once
        with suppress(Exception):  # best effort from a foreign thread
            response.close()

    def _progress(self, phase: str) -> Callable[[int, int], None]:
        """The progress hook of the tar or the upload: raises ``Cancelled`` once the build is
        cancelled (so a long tar or upload stops early) and tells ``context_progress``."""

        def progress(done: int, total: int) -> None:
            if self.cancelled:
                raise Cancelled()
            if self.context_progress is not None:
                self.context_progress(phase, done, total)

        return progress

    def __iter__(self) -> Iterator[EngineEvent]:
        if self._iterated:
            raise RuntimeError("a BuildStream can be iterated only once")
        self._iterated = True
        try:
            for event in self._events():
                if isinstance(event, ImageBuilt):
                    self._outcome = ("succeeded", event.image_id, None)
                elif isinstance(event, BuildFailed):
                    self._outcome = ("failed", None, event.message)
                elif isinstance(event, BuildCancelled) and self._outcome[0] != "succeeded":
                    # (a cancel that comes after the image id is too late: the build succeeded)
                    self._outcome = ("cancelled", None, None)
                yield event
        except GeneratorExit:
            # The reader stopped early: the connection is closed below, so the engine cancels.
            if self._outcome[0] != "succeeded":
                self._outcome = ("cancelled", None, "the reader stopped before the build ended")
            raise
        finally:
            self._close_response()
            if self._recorder is None:
                self._recorder = start_recording(self, engine_info(self.client),
                                                 classic=self.classic)
            if self._recorder is not None:
                outcome, image_id, error = self._outcome
                self._recorder.close(outcome, image_id=image_id, error=error)

    def _close_response(self) -> None:
        with self._lock:
            response, self._response = self._response, None
        if response is not None:
            with suppress(Exception):
                response.close()

    def _events(self) -> Iterator[EngineEvent]:
        response, ended = self._send()
        if ended is not None:
            yield ended
            return
        if response.status_code >= 400:
            message = _error_text(response)
            if "," in (self.inputs.platform or ""):
                message += (" (the Engine API builds one platform at a time: build several through docker buildx,"
                            " e.g. msb-tui build --builder default --platform ..., on the containerd image store)")
            yield BuildFailed(message, {"status": response.status_code})
            return
        self._recorder = start_recording(self, engine_info(self.client), classic=self.classic)
        yield from self._read(response)

    def _send(self) -> tuple[Any, EngineEvent | None]:
        """(the engine's response, None), or (None, the terminal event) when the build ended before
        the engine answered: nothing to send, a context or upload failure, a cancel."""
        inputs = self.inputs
        try:
            tar, dockerfile_name = make_context_tar(inputs.context, inputs.dockerfile, self._progress("tar"))
        except Cancelled:
            return None, BuildCancelled(timestamp=time.time())
        except ContextError as failure:
            return None, BuildFailed(str(failure), {"phase": "context"})
        except OSError as failure:
            return None, BuildFailed(f"cannot read the build context: {failure}", {"phase": "context"})
        # Read (and recorded) only once the context accepted it: a Dockerfile linking out of the
        # context is refused above and its content never reaches the recording.
        dockerfile = inputs.read_dockerfile()
        if dockerfile is not None:
            # As BuildKit reads it: no newline translation (a lone \r stays inside its line).
            self.dockerfile_text = dockerfile.decode("utf-8", errors="replace")
        with tar:
            refused = _refusal(self.client, dockerfile, inputs) if dockerfile is not None else None
            if refused is not None:
                # e.g. dockerd 20.10 panics (and dies) on a Dockerfile holding only ARG lines: never send one.
                return None, BuildFailed(f"not sent to the engine: {refused}", {"phase": "validate", "line": refused.line})
            size = tar.seek(0, os.SEEK_END)
            tar.seek(0)
            body = UploadBody(tar, size, self._cancelled, self._progress("upload"))
            client = self.client
            try:
                if self.cancelled:
                    raise Cancelled()
                response = client.post(
                    f"{client.base_url}/v{client.api_version}/build",
                    params=build_params(inputs, dockerfile_name, classic=self.classic),
                    data=body,
                    headers={"Content-Type": "application/x-tar"},
                    stream=True,
                    timeout=None,
                )
            except Exception as failure:  # noqa: BLE001 - requests/urllib3/docker errors alike
                if self.cancelled or isinstance(failure, Cancelled):
                    return None, BuildCancelled(timestamp=time.time())
                return None, BuildFailed(f"cannot send the build to the engine: {failure}", {"phase": "upload"})
        with self._lock:
            self._response = response
        if self.cancelled:  # cancelled while the request was on its way
            self.cancel()
        return response, None

    def _read(self, response) -> Iterator[EngineEvent]:
        decoder = MessageDecoder(classic=self.classic, dockerfile_text=self.dockerfile_text)
        recorder = self._recorder
        masker = Masker.for_args(self.inputs.build_args, self.inputs.secret_build_args) or None
        lines = json_lines(response.iter_content(chunk_size=None), masker.line if masker else None)
        finished = False  # saw an image id or an error: the engine said how it ended
        try:
            for raw, message in lines:
                now = time.time()
                if recorder is not None:
                    note = recorder.message(now, raw, valid=message is not INVALID)
                    if note:  # the recording reached its size limit
                        yield StreamText(f"msb-tui: {note}\n", now)
                if message is INVALID:
                    yield MalformedMessage("engine message is not valid JSON", raw[:200])
                    continue
                for event in decoder.decode(message, now):
                    finished = finished or isinstance(event, (ImageBuilt, BuildFailed))
                    yield event
        except Exception as failure:  # noqa: BLE001 - a dropped connection shows up as many types
            if not self.cancelled:
                yield from decoder.translate(
                    [BuildFailed(f"lost the connection to the engine: {failure}", {"phase": "stream"}, time.time())]
                )
                yield from decoder.finish()
                return
        if self.cancelled:
            yield from decoder.translate([BuildCancelled(timestamp=time.time())])
            yield from decoder.finish()
            return
        for event in decoder.finish():
            finished = finished or isinstance(event, (ImageBuilt, BuildFailed))
            yield event
        if not finished:
            yield BuildFailed("the engine closed the stream before the build finished", {"phase": "stream"}, time.time())


def _refusal(client, dockerfile: bytes, inputs: BuildInputs):
    """Why this Dockerfile must not be sent to this engine (``analysis.safety.engine_safety``), or None.

    Checked first against the most fragile engine known (BuildKit 0.8); only when that refuses is
    the engine asked its version, so that the reason names the engine in use."""
    refused = engine_safety(dockerfile, None, inputs.target, inputs.build_args)
    if refused is None or not refused.crash:
        return refused
    version = engine_buildkit(engine_info(client).version)
    return engine_safety(dockerfile, version, inputs.target, inputs.build_args)


def _error_text(response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    text = (response.text or "").strip()
    return text or f"the engine answered HTTP {response.status_code}"
