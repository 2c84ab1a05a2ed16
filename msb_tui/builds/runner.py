"""Run a build on the engine through the Engine API (``POST /build``) and stream typed events.

BuildKit (``version=2``) needs no CLI, no buildx and no session: the context goes up as a tar body
and progress comes back as ``moby.buildkit.trace`` messages. ``classic=True`` uses the classic
builder (``version=1``). Iterate a ``BuildStream`` in a worker thread; ``cancel()`` from any thread
shuts the HTTP connection down, which makes the engine stop the solve. The client is a docker-py
``APIClient`` (the TUI) or a :class:`~msb_tui.engine.plain_http.PlainEngine` (``msb-tui build``).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace

from msb_tui.builds.context import ContextError, make_context_tar
from msb_tui.engine.plain_http import PlainEngine, PlainResponse

# Only what sending a build needs is imported above (no dataclasses, typing, protobuf or pathlib;
# paths are strings or os.PathLike until the request is sent): the events, the recorder and the
# decoder are imported once the request is on its way, while the engine works on it.
# ``msb-tui build`` starts ~30 ms sooner for it (benchmarks/bench_build_overhead.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from _typeshed import StrPath

    from msb_tui.builds.events import EngineEvent
    from msb_tui.builds.decode import MessageDecoder
    from msb_tui.builds.recording import Recorder

_READ_SIZE = 1 << 16


class BuildRequest(SimpleNamespace):
    """What to build: the same knobs as ``docker build``.

    ``classic`` builds with the classic builder (``version=1``) instead of BuildKit; ``network`` is
    the RUN steps' network mode ("none", "host", "default"; the engine's default when None);
    ``secret_build_args`` names build args whose values are masked in the recording and the output
    (credential-like names are masked without being named, see ``masking.py``).
    A namespace rather than a dataclass so that sending a build needs no ``dataclasses`` import.
    """

    context: StrPath
    dockerfile: StrPath | None
    target: str | None
    build_args: dict[str, str]
    no_cache: bool
    pull: bool
    platform: str | None
    tags: tuple[str, ...]
    labels: dict[str, str]
    classic: bool
    network: str | None
    secret_build_args: tuple[str, ...]

    def __init__(
        self,
        context: StrPath,
        dockerfile: StrPath | None = None,
        target: str | None = None,
        build_args: dict[str, str] | None = None,
        no_cache: bool = False,
        pull: bool = False,
        platform: str | None = None,
        tags: tuple[str, ...] = (),
        labels: dict[str, str] | None = None,
        classic: bool = False,
        network: str | None = None,
        secret_build_args: tuple[str, ...] = (),
    ):
        super().__init__(
            context=context, dockerfile=dockerfile, target=target, build_args=dict(build_args or {}),
            no_cache=no_cache, pull=pull, platform=platform, tags=tuple(tags), labels=dict(labels or {}),
            classic=classic, network=network, secret_build_args=tuple(secret_build_args),
        )

    def dockerfile_path(self) -> str:
        """CONTEXT/Dockerfile, or ``dockerfile`` (relative to the current folder, as with ``docker build -f``)."""
        if self.dockerfile is None:
            return os.path.join(self.context, "Dockerfile")
        return os.path.join(os.getcwd(), self.dockerfile)


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


_ENGINE_VERSIONS = None  # client -> its engine's version: a WeakKeyDictionary, made on first use


def _engine_version(client) -> dict[str, Any]:
    """The engine's version for the recording header; asked once per client (a request costs ~10 ms
    before every build otherwise). Called once the build is sent, so ``weakref`` is imported then."""
    global _ENGINE_VERSIONS
    if _ENGINE_VERSIONS is None:
        import weakref

        _ENGINE_VERSIONS = weakref.WeakKeyDictionary()
    try:
        return dict(_ENGINE_VERSIONS[client])
    except (KeyError, TypeError):
        pass
    from msb_tui.engine.info import of_client

    info = of_client(client).to_record()
    if not info:
        return {}
    try:
        _ENGINE_VERSIONS[client] = info
    except TypeError:  # not weak-referenceable: ask each time
        pass
    return dict(info)


def default_recording_path(request: BuildRequest, started: float) -> Path:
    from msb_tui.paths import recordings_dir

    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    name = os.path.basename(os.path.realpath(request.context)) or "build"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]
    return recordings_dir() / f"{stamp}-{safe}-{os.getpid()}-{int(started * 1000) % 100000}.jsonl"


class BuildStream:
    """One running build: iterate it (blocking) for events; ``cancel()`` from any thread.

    Iterate once. The stream always ends with a terminal event: ``ImageBuilt`` (success, possibly
    followed by nothing), ``BuildFailed`` or ``BuildCancelled``.
    """

    def __init__(self, client, request: BuildRequest, record: bool | StrPath = True):
        self.client = client
        self.request = request
        self._recording_path: Path | None = None
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
        self._recorder: Recorder | None = None
        self._sent: tuple[Any, EngineEvent | None] | None = None  # (response, None) or (None, the early end)
        self._outcome: tuple[str, str | None, str | None] = ("failed", None, None)  # status, image id, error
        if record is not False:
            self.started = time.time()

    @property
    def recording_path(self) -> Path | None:
        """Where the build is recorded; None when it is not (``record=False``, or the file could not
        be opened). Worked out on first use, so that the build is sent without importing pathlib."""
        if self._recording_path is None and self._record is not False:
            from pathlib import Path

            record = self._record
            self._recording_path = (
                Path(record) if not isinstance(record, bool) else default_recording_path(self.request, self.started)
            )
        return self._recording_path

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
        from msb_tui.builds.masking import masked_args

        request = self.request
        return {
            "context": os.path.realpath(request.context),
            "dockerfile": request.dockerfile_path(),
            "dockerfile_text": dockerfile_text,
            "target": request.target,
            "build_args": masked_args(request.build_args, request.secret_build_args),
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
        try:
            yield from self._events()
        except GeneratorExit:
            # The reader stopped early: the connection is closed below, so the engine cancels.
            if self._outcome[0] != "succeeded":
                self._outcome = ("cancelled", None, "the reader stopped before the build ended")
            raise
        finally:
            if self._recorder is not None:
                outcome, image_id, error = self._outcome
                self._recorder.close(outcome, image_id=image_id, error=error)

    def _open_recorder(self) -> None:
        """Start the recording (once the request is on its way, or when the build ends before that)."""
        if self._record is False or self._recorder is not None:
            return
        from msb_tui.builds.recording import Recorder

        try:
            self._recorder = Recorder(self.recording_path, self._inputs(self._dockerfile_text))
        except OSError:
            self._record, self._recording_path = False, None

    def _early_end(self, kind: str, message: str = "", detail: dict | None = None) -> EngineEvent:
        """The terminal event of a build that ends before its progress stream (failed or cancelled):
        nothing was sent, the upload failed, or the engine refused the request."""
        from msb_tui.builds.events import BuildCancelled, BuildFailed

        self._open_recorder()
        if kind == "cancelled":
            self._outcome = ("cancelled", None, None)
            return BuildCancelled(timestamp=time.time())
        self._outcome = ("failed", None, message)
        return BuildFailed(message, detail or {})

    def send(self) -> None:
        """Tar the context and send the request now, in this thread; iterating then reads the answer.

        Optional: iterating sends first when this was not called. ``msb-tui build`` calls it so
        that the engine starts on the build while the program imports its model and analysis,
        with no second thread. Once sent, iterate the stream (or ``cancel()`` it).
        """
        if self._sent is None:
            self._sent = self._send()

    def _send(self) -> tuple[Any, EngineEvent | None]:
        """(the engine's response, None), or (None, the terminal event) when the build ended before
        the engine answered: nothing to send, a context or upload failure, a cancel, a refusal."""
        request = self.request
        if self.started is None:
            self.started = time.time()
        try:
            tar, dockerfile_name = make_context_tar(request.context, request.dockerfile, self._progress("tar"))
        except _Cancelled:
            return None, self._early_end("cancelled")
        except ContextError as failure:
            return None, self._early_end("failed", str(failure), {"phase": "context"})
        except OSError as failure:
            return None, self._early_end("failed", f"cannot read the build context: {failure}", {"phase": "context"})
        # Read (and recorded) only once the context accepted it: a Dockerfile linking out of the
        # context is refused above and its content never reaches the recording.
        try:
            with open(request.dockerfile_path(), "rb") as dockerfile:
                dockerfile_bytes = dockerfile.read()
            # As BuildKit reads it: no newline translation (a lone \r stays inside its line).
            self._dockerfile_text = dockerfile_bytes.decode("utf-8", errors="replace")
        except OSError:
            dockerfile_bytes = self._dockerfile_text = None
        refused = _refusal(self.client, dockerfile_bytes) if dockerfile_bytes is not None else None
        if refused is not None:
            # e.g. dockerd 20.10 panics (and dies) on a Dockerfile holding only ARG lines: never send one.
            tar.close()
            return None, self._early_end("failed", f"not sent to the engine: {refused}",
                                         {"phase": "validate", "line": refused.line})
        if self._cancel.is_set():
            tar.close()
            return None, self._early_end("cancelled")
        with tar:
            size = tar.seek(0, os.SEEK_END)
            tar.seek(0)
            body = _UploadBody(tar, size, self._cancel, self._progress("upload"))
            client = self.client
            try:
                if isinstance(client, PlainEngine):
                    response = client.post_stream(
                        "/build", build_params(request, dockerfile_name), body, size,
                        {"Content-Type": "application/x-tar"},
                    )
                else:
                    response = client._post(
                        client._url("/build"),
                        params=build_params(request, dockerfile_name),
                        data=body,
                        headers={"Content-Type": "application/x-tar"},
                        stream=True,
                        timeout=None,
                    )
            except _Cancelled:
                return None, self._early_end("cancelled")
            except Exception as failure:  # noqa: BLE001 - requests/urllib3/docker errors alike
                if self._cancel.is_set():
                    return None, self._early_end("cancelled")
                return None, self._early_end("failed", f"cannot send the build to the engine: {failure}", {"phase": "upload"})
        with self._lock:
            self._response = response
            self._socket = response.socket if isinstance(response, PlainResponse) else _raw_socket(response)
        return response, None

    def _events(self) -> Iterator[EngineEvent]:
        if self._sent is None:
            self._sent = self._send()
        response, ended = self._sent
        if ended is not None:
            yield ended
            return
        try:
            if self._cancel.is_set():
                yield self._early_end("cancelled")
                return
            try:
                status = response.status_code  # the engine's answer starts (PlainEngine reads it only now)
            except Exception as failure:  # noqa: BLE001 - as for the upload
                if self._cancel.is_set():
                    yield self._early_end("cancelled")
                else:
                    yield self._early_end("failed", f"cannot send the build to the engine: {failure}", {"phase": "upload"})
                return
            if status >= 400:
                yield self._early_end("failed", _error_text(response), {"status": response.status_code})
                return
            self._open_recorder()
            yield from self._tracked(self._read_stream(response, self._recorder))
        finally:
            try:
                response.close()
            except Exception:  # noqa: BLE001
                pass

    def _tracked(self, events: Iterator[EngineEvent]) -> Iterator[EngineEvent]:
        """``events``, noting how the build ended (for the recording's footer)."""
        from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt

        for event in events:
            if isinstance(event, ImageBuilt):
                self._outcome = ("succeeded", event.image_id, None)
            elif isinstance(event, BuildFailed):
                self._outcome = ("failed", None, event.message)
            elif isinstance(event, BuildCancelled):
                self._outcome = ("cancelled", None, None)
            yield event

    def _read_stream(self, response, recorder: Recorder | None) -> Iterator[EngineEvent]:
        # Imported only now, while the engine works on the build it was just sent (~30 ms in all).
        from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt
        from msb_tui.builds.decode import MessageDecoder

        from msb_tui.builds.masking import Masker

        decoder = MessageDecoder(classic=self.request.classic, dockerfile_text=self._dockerfile_text)
        masker = Masker.for_args(self.request.build_args, self.request.secret_build_args) or None
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
                    if masker is not None:
                        line = masker.line(line)
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
            line = masker.line(buffer.strip()) if masker is not None else buffer.strip()
            for event in _decode_line(decoder, line, time.time(), recorder):
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


def _refusal(client, dockerfile: bytes):
    """Why this Dockerfile must not be sent to this engine (``analysis.safety.engine_safety``), or None.

    Checked first against the most fragile engine known (BuildKit 0.8); only when that refuses is
    the engine asked its version, so that the reason names the engine in use."""
    from msb_tui.analysis.safety import engine_safety

    refused = engine_safety(dockerfile, None)
    if refused is None or not refused.crash:
        return refused
    from msb_tui.analysis.versions import engine_buildkit

    version = _engine_version(client).get("version") or ""
    return engine_safety(dockerfile, engine_buildkit(version))


def _decode_line(decoder: MessageDecoder, line: bytes, now: float, recorder: Recorder | None) -> list[EngineEvent]:
    """The events of one engine message line, recording it first (with a note event when that
    reached the recording's size limit)."""
    from msb_tui.builds.events import StreamText

    if recorder is not None and recorder.limit_reached is False:
        events = _decode_recorded(decoder, line, now, recorder)
        if recorder.limit_reached:
            events.insert(0, StreamText(f"msb-tui: {recorder.limit_note}\n", now))
        return events
    return _decode_recorded(decoder, line, now, recorder)


def _decode_recorded(decoder: MessageDecoder, line: bytes, now: float, recorder: Recorder | None) -> list[EngineEvent]:
    from msb_tui.builds.events import MalformedMessage

    try:
        message = json.loads(line)
    except (ValueError, RecursionError):
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
    except (ValueError, RecursionError):
        return None
    return out or None


def _chunk_reader(response) -> Iterator[bytes]:
    """Bytes as they arrive: one HTTP chunk (or one recv) at a time, never waiting to fill a buffer."""
    if isinstance(response, PlainResponse):
        yield from response.iter_chunks()
        return
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


def start_build(client, request: BuildRequest, *, record: bool | StrPath = True) -> BuildStream:
    """Prepare a build; nothing is sent until the returned stream is iterated (in a worker thread)
    or ``send()`` is called.

    ``record``: True records into ``msb_tui.paths.recordings_dir()``, a Path records there, False not at all.
    """
    return BuildStream(client, request, record)
