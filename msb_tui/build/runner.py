"""Run a build on the engine through the Engine API (``POST /build``) and stream typed events.

BuildKit (``version=2``) needs no CLI, no buildx and no session: the context goes up as a tar body
and progress comes back as ``moby.buildkit.trace`` messages. ``classic=True`` uses the classic
builder (``version=1``). Iterate a ``BuildStream`` in a worker thread; ``cancel()`` from any thread
shuts the HTTP connection down, which makes the engine stop the solve.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from msb_tui.build.context import ContextError, make_context_tar
from msb_tui.build.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage
from msb_tui.build.messages import MessageDecoder
from msb_tui.build.recording import Recorder

_READ_SIZE = 1 << 16


@dataclass
class BuildRequest:
    """What to build: the same knobs as ``docker build``."""

    context: Path
    dockerfile: Path | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    platform: str | None = None
    tags: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    classic: bool = False  # version=1 (classic builder) instead of BuildKit (version=2)
    network: str | None = None  # RUN steps' network mode ("none", "host", "default"); engine default if None

    def dockerfile_path(self) -> Path:
        if self.dockerfile is None:
            return Path(self.context) / "Dockerfile"
        path = Path(self.dockerfile)
        return path if path.is_absolute() else Path.cwd() / path


def build_params(request: BuildRequest, dockerfile_name: str) -> dict[str, Any]:
    """Query parameters for ``POST /build``."""
    params: dict[str, Any] = {
        "dockerfile": dockerfile_name,
        "version": "1" if request.classic else "2",
        "rm": "1",
    }
    if request.tags:
        params["t"] = list(request.tags)
    if request.target:
        params["target"] = request.target
    if request.build_args:
        params["buildargs"] = json.dumps(request.build_args)
    if request.labels:
        params["labels"] = json.dumps(request.labels)
    if request.no_cache:
        params["nocache"] = "1"
    if request.pull:
        params["pull"] = "1"
    if request.platform:
        params["platform"] = request.platform
    if request.network:
        params["networkmode"] = request.network
    return params


class _Cancelled(Exception):
    """Raised inside the upload when the build is cancelled before the engine answered."""


class _UploadBody:
    """The context tar as a request body that stops uploading as soon as the build is cancelled."""

    def __init__(self, fileobj, size: int, cancelled: threading.Event, progress: Callable[[int, int], None]):
        self._file = fileobj
        self._size = size
        self._cancelled = cancelled
        self._progress = progress
        self._sent = 0

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        if self._cancelled.is_set():
            raise _Cancelled()
        data = self._file.read(amount)
        self._sent += len(data)
        self._progress(self._sent, self._size)
        return data


def _raw_socket(response) -> socket.socket | None:
    """The socket under a streamed ``requests`` response (unix or TCP), if it can be found."""
    try:
        fp = response.raw._fp.fp
    except AttributeError:
        return None
    for path in (("raw", "_sock"), ("raw",), ("_sock",)):
        obj = fp
        for name in path:
            obj = getattr(obj, name, None)
            if obj is None:
                break
        if isinstance(obj, socket.socket):
            return obj
        inner = getattr(obj, "_sock", None) or getattr(obj, "sock", None)
        if isinstance(inner, socket.socket):
            return inner
    return None


_ENGINE_VERSIONS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def _engine_version(client) -> dict[str, Any]:
    """The engine's version for the recording header; asked once per client (a request costs ~10 ms
    before every build otherwise)."""
    try:
        return dict(_ENGINE_VERSIONS[client])
    except (KeyError, TypeError):
        pass
    try:
        version = client.version()
    except Exception:  # noqa: BLE001 - informative only
        return {}
    info = {"version": version.get("Version"), "api_version": version.get("ApiVersion"), "os": version.get("Os")}
    try:
        _ENGINE_VERSIONS[client] = info
    except TypeError:  # not weak-referenceable: ask each time
        pass
    return dict(info)


def default_recording_path(request: BuildRequest, started: float) -> Path:
    from msb_tui.paths import recordings_dir

    stamp = datetime.fromtimestamp(started, timezone.utc).strftime("%Y%m%dT%H%M%S")
    name = Path(request.context).resolve().name or "build"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    return recordings_dir() / f"{stamp}-{safe}-{os.getpid()}-{int(started * 1000) % 100000}.jsonl"


class BuildStream:
    """One running build: iterate it (blocking) for events; ``cancel()`` from any thread.

    Iterate once. The stream always ends with a terminal event: ``ImageBuilt`` (success, possibly
    followed by nothing), ``BuildFailed`` or ``BuildCancelled``.
    """

    def __init__(self, client, request: BuildRequest, record: bool | Path = True):
        self.client = client
        self.request = request
        self.recording_path: Path | None = None
        self.started: float | None = None
        self.context_progress: Callable[[str, int, int], None] | None = None
        """Optional ``callback(phase, done, total)``; phase "tar" (files, bytes) or "upload" (bytes, bytes)."""
        self._record = record
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._response = None
        self._socket: socket.socket | None = None
        self._iterated = False
        self._dockerfile_text: str | None = None
        if record is not False:
            self.started = time.time()
            self.recording_path = (
                Path(record) if not isinstance(record, bool) else default_recording_path(request, self.started)
            )

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop the build: shut the connection down so the engine cancels the solve (thread-safe)."""
        with self._lock:
            self._cancel.set()
            sock, response = self._socket, self._response
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - best effort from a foreign thread
                pass

    def _progress(self, phase: str):
        """The progress hook for a phase: raises ``_Cancelled`` once the build is cancelled (so a
        long tar or upload stops early) and forwards to ``context_progress``."""
        cancelled = self._cancel

        def progress(done: int, total: int) -> None:
            if cancelled.is_set():
                raise _Cancelled()
            callback = self.context_progress
            if callback is not None:
                callback(phase, done, total)

        return progress

    def _inputs(self, dockerfile_text: str | None) -> dict[str, Any]:
        request = self.request
        return {
            "context": str(Path(request.context).resolve()),
            "dockerfile": str(request.dockerfile_path()),
            "dockerfile_text": dockerfile_text,
            "target": request.target,
            "build_args": dict(request.build_args),
            "no_cache": request.no_cache,
            "pull": request.pull,
            "platform": request.platform,
            "tags": list(request.tags),
            "labels": dict(request.labels),
            "classic": request.classic,
            "network": request.network,
            "engine": _engine_version(self.client),
            "started": self.started,
        }

    def __iter__(self) -> Iterator[EngineEvent]:
        if self._iterated:
            raise RuntimeError("a BuildStream can be iterated only once")
        self._iterated = True
        if self.started is None:
            self.started = time.time()
        recorder: Recorder | None = None
        outcome, image_id, error = "failed", None, None
        try:
            try:
                text = self.request.dockerfile_path().read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = None
            self._dockerfile_text = text
            if self.recording_path is not None:
                try:
                    recorder = Recorder(self.recording_path, self._inputs(text))
                except OSError:
                    recorder = None
                    self.recording_path = None
            for event in self._events(recorder):
                if isinstance(event, ImageBuilt):
                    outcome, image_id = "succeeded", event.image_id
                elif isinstance(event, BuildFailed):
                    outcome, error = "failed", event.message
                elif isinstance(event, BuildCancelled):
                    outcome = "cancelled"
                yield event
        except GeneratorExit:
            # The reader stopped early: the connection is closed below, so the engine cancels.
            if outcome != "succeeded":
                outcome, error = "cancelled", "the reader stopped before the build ended"
            raise
        finally:
            if recorder is not None:
                recorder.close(outcome, image_id=image_id, error=error)

    def _events(self, recorder: Recorder | None) -> Iterator[EngineEvent]:
        request = self.request
        try:
            tar, dockerfile_name = make_context_tar(Path(request.context), request.dockerfile, self._progress("tar"))
        except _Cancelled:
            yield BuildCancelled(timestamp=time.time())
            return
        except ContextError as failure:
            yield BuildFailed(str(failure), {"phase": "context"})
            return
        except OSError as failure:
            yield BuildFailed(f"cannot read the build context: {failure}", {"phase": "context"})
            return
        if self._dockerfile_text is not None and not _has_from(self._dockerfile_text):
            # dockerd 20.10 panics (and dies) on a Dockerfile holding only ARG lines: never send one.
            tar.close()
            yield BuildFailed("the Dockerfile has no FROM instruction; nothing to build", {"phase": "validate"})
            return
        if self._cancel.is_set():
            tar.close()
            yield BuildCancelled(timestamp=time.time())
            return
        with tar:
            size = tar.seek(0, os.SEEK_END)
            tar.seek(0)
            body = _UploadBody(tar, size, self._cancel, self._progress("upload"))
            client = self.client
            try:
                response = client._post(
                    client._url("/build"),
                    params=build_params(request, dockerfile_name),
                    data=body,
                    headers={"Content-Type": "application/x-tar"},
                    stream=True,
                    timeout=None,
                )
            except _Cancelled:
                yield BuildCancelled(timestamp=time.time())
                return
            except Exception as failure:  # noqa: BLE001 - requests/urllib3/docker errors alike
                if self._cancel.is_set():
                    yield BuildCancelled(timestamp=time.time())
                else:
                    yield BuildFailed(f"cannot send the build to the engine: {failure}", {"phase": "upload"})
                return
        with self._lock:
            self._response = response
            self._socket = _raw_socket(response)
            cancelled = self._cancel.is_set()
        try:
            if cancelled:
                yield BuildCancelled(timestamp=time.time())
                return
            if response.status_code >= 400:
                yield BuildFailed(_error_text(response), {"status": response.status_code})
                return
            yield from self._read_stream(response, recorder)
        finally:
            try:
                response.close()
            except Exception:  # noqa: BLE001
                pass

    def _read_stream(self, response, recorder: Recorder | None) -> Iterator[EngineEvent]:
        decoder = MessageDecoder(classic=self.request.classic, dockerfile_text=self._dockerfile_text)
        finished = False  # saw an image id or an error: the engine said how it ended
        reader = _chunk_reader(response)
        pending: list[bytes] = []  # chunks of a message still being received (joined once complete)
        buffer = b""
        try:
            for chunk in reader:
                now = time.time()
                if b"\n" not in chunk:
                    pending.append(chunk)
                    continue
                if pending:
                    pending.append(chunk)
                    chunk = b"".join(pending)
                    pending.clear()
                *lines, buffer = chunk.split(b"\n")
                if buffer:
                    pending.append(buffer)
                for line in lines:
                    line = line.strip()
                    if not line:
                        continue
                    for event in _decode_line(decoder, line, now, recorder):
                        if isinstance(event, (ImageBuilt, BuildFailed)):
                            finished = True
                        yield event
        except Exception as failure:  # noqa: BLE001 - a dropped connection shows up as many types
            if not self._cancel.is_set():
                yield from decoder.translate(
                    [BuildFailed(f"lost the connection to the engine: {failure}", {"phase": "stream"}, time.time())]
                )
                yield from decoder.finish()
                return
        buffer = b"".join(pending)
        if buffer.strip() and not self._cancel.is_set():
            for event in _decode_line(decoder, buffer.strip(), time.time(), recorder):
                if isinstance(event, (ImageBuilt, BuildFailed)):
                    finished = True
                yield event
        if self._cancel.is_set():
            yield from decoder.translate([BuildCancelled(timestamp=time.time())])
            yield from decoder.finish()
            return
        for event in decoder.finish():
            if isinstance(event, (ImageBuilt, BuildFailed)):
                finished = True
            yield event
        if not finished:
            yield BuildFailed("the engine closed the stream before the build finished", {"phase": "stream"}, time.time())


def _has_from(text: str) -> bool:
    """Whether the Dockerfile has a FROM instruction (BuildKit's own parser; a parse error is left
    for the engine to report)."""
    try:
        import dockerfile

        return any(command.cmd.upper() == "FROM" for command in dockerfile.parse_string(text))
    except Exception as error:  # noqa: BLE001 - unparseable: the engine gives the real error
        return "no instructions" not in str(error)


def _decode_line(decoder: MessageDecoder, line: bytes, now: float, recorder: Recorder | None) -> list[EngineEvent]:
    try:
        message = json.loads(line)
    except ValueError:
        messages = _split_concatenated(line)
        if messages is None:
            if recorder is not None:
                recorder.message(now, line, valid=False)
            return [MalformedMessage("engine message is not valid JSON", line[:200])]
        events: list[EngineEvent] = []
        for raw, message in messages:
            if recorder is not None:
                recorder.message(now, raw)
            events.extend(decoder.decode(message, now))
        return events
    if recorder is not None:
        recorder.message(now, line)
    return decoder.decode(message, now)


def _split_concatenated(line: bytes) -> list[tuple[bytes, Any]] | None:
    """``{...}{...}`` on one line (some proxies strip newlines): split with raw_decode, else None."""
    text = line.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    out = []
    index = 0
    try:
        while index < len(text):
            while index < len(text) and text[index] in " \t\r":
                index += 1
            if index >= len(text):
                break
            message, end = decoder.raw_decode(text, index)
            out.append((text[index:end].encode("utf-8"), message))
            index = end
    except ValueError:
        return None
    return out or None


def _chunk_reader(response) -> Iterator[bytes]:
    """Bytes as they arrive: one HTTP chunk (or one recv) at a time, never waiting to fill a buffer."""
    fp = getattr(getattr(response, "raw", None), "_fp", None)
    read1 = getattr(fp, "read1", None)
    if read1 is not None:
        while True:
            data = read1(_READ_SIZE)
            if not data:
                return
            yield data
    else:  # pragma: no cover - other transports
        yield from response.iter_content(chunk_size=None)


def _error_text(response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    text = (response.text or "").strip()
    return text or f"the engine answered HTTP {response.status_code}"


def start_build(client, request: BuildRequest, *, record: bool | Path = True) -> BuildStream:
    """Prepare a build; nothing is sent until the returned stream is iterated (in a worker thread).

    ``record``: True records into ``msb_tui.paths.recordings_dir()``, a Path records there, False not at all.
    """
    return BuildStream(client, request, record)
