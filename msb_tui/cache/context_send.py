"""How long a build context takes to reach the engine, measured by sending it.

What is measured is msb-tui's own way of sending a context, the one ``msb-tui build`` uses: the
Engine API's ``POST /build`` with the context as a tar body. The clock runs from the first file
read into the tar until the engine reports that it holds the context unpacked (BuildKit's
``copy /context /`` step done: it has downloaded the upload, ``[internal] load remote build
context``, and unpacked it). That is the time every build of this context pays before its first
step can start. (BuildKit skips the unpack of a tar it has unpacked before, byte for byte; any edit,
even a touched file, changes the tar, so each send carries a nonce and is unpacked, as after an edit.)

Nothing of the user's Dockerfile runs: the Dockerfile sent is a probe added from outside the context
(as ``-f`` does; the ignore file stays the one of the user's Dockerfile), ``FROM scratch`` and a
``COPY`` of a name that is not there, so the build ends as
soon as the context is in: no image, no tag, no cache entry for the user's steps. (The engine's
build history, where it keeps one, lists a failed probe build.) Like every build of a tar context,
a send leaves the context in the engine's build cache twice (the download and its unpacked copy);
``prune_sent_contexts`` removes the records the sends made, by id.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial

from msb_tui.backends.engine_request import Cancelled, UploadBody
from msb_tui.backends.framing import INVALID, json_lines
from msb_tui.builds.context import make_context_tar
from msb_tui.builds.decode import MessageDecoder
from msb_tui.builds.events import BuildFailed, ImageBuilt, VertexUpdate


PROBE_NAME = ".msb-tui-send-probe-absent"
PROBE_DOCKERFILE = f"FROM scratch\nCOPY {PROBE_NAME} /\n"
_PRUNE_FROM = 1 << 20  # contexts smaller than this are left to BuildKit's own garbage collection
LOAD_STEP = "[internal] load remote build context"
UNPACK_STEP = "copy /context /"

Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``: phase "tar" (files, bytes so far; total 0) or "upload" (bytes)."""


class SendError(RuntimeError):
    """The engine did not take the context (no BuildKit, refused, connection lost)."""


@dataclass(frozen=True)
class SendTiming:
    """One send of a context. Seconds on this machine's clock, except the ``engine_*`` figures,
    which are the engine's own step times (its clock)."""

    files: int  # members of the tar that are not folders
    tar_bytes: int  # bytes sent over the wire
    file_bytes: int  # the files' own bytes (the tar adds headers and padding)
    tar_seconds: float  # reading the files into the tar
    upload_seconds: float  # from the request until the engine took the last byte
    total_seconds: float  # first file read -> the engine holds the context unpacked
    engine_load_seconds: float | None  # BuildKit's "load remote build context" (receiving)
    engine_unpack_seconds: float | None  # BuildKit's "copy /context /" (unpacking)


def send_context(
    client,
    context_dir: str | os.PathLike[str],
    dockerfile: str | os.PathLike[str] | None = None,
    *,
    extra_ignore: str = "",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SendTiming:
    """Send the context of a build of ``dockerfile`` (default ``CONTEXT/Dockerfile``: it picks the
    ignore file) with ``extra_ignore`` added to its ignore rules, to the engine of ``client`` (a
    ``docker.APIClient``), and time it. ``cancel``: set it from any thread to stop
    (``Cancelled`` is raised). ``SendError`` when the engine does not take it."""
    cancel = cancel or threading.Event()
    counts = {"files": 0, "bytes": 0}

    def tar_progress(files: int, size: int) -> None:
        if cancel.is_set():
            raise Cancelled()
        counts["files"], counts["bytes"] = files, size
        if progress is not None:
            progress("tar", files, size)

    uploaded = {"at": None}

    def upload_progress(done: int, total: int) -> None:
        if done >= total and uploaded["at"] is None:
            uploaded["at"] = time.monotonic()
        if progress is not None:
            progress("upload", done, total)

    # A tar BuildKit has unpacked before is not unpacked again (its copy is cached by content): a
    # nonce in the probe makes every send a context the engine has not seen, as after any edit.
    probe = f"{PROBE_DOCKERFILE}# send {time.time_ns()}-{os.getpid()}\n".encode()
    started = time.monotonic()
    tar, dockerfile_name = make_context_tar(context_dir, dockerfile, tar_progress, extra_ignore, send_dockerfile=probe)
    with tar:
        tarred = time.monotonic()
        size = tar.seek(0, os.SEEK_END)
        tar.seek(0)
        body = UploadBody(tar, size, cancel, upload_progress)
        try:
            response = client.post(
                f"{client.base_url}/v{client.api_version}/build",
                params={"dockerfile": dockerfile_name, "version": "2", "rm": "1"},
                data=body,
                headers={"Content-Type": "application/x-tar"},
                stream=True,
                timeout=None,
            )
        except Cancelled:
            raise
        except Exception as failure:  # noqa: BLE001 - requests/urllib3/docker errors alike
            if cancel.is_set():
                raise Cancelled() from None
            raise SendError(f"cannot send the context to the engine: {failure}") from failure
    with response:
        if response.status_code >= 400:
            raise SendError(f"the engine refused the context: HTTP {response.status_code} {response.text[:300]}")
        steps, held = _read_until_unpacked(response, cancel)
    if held is None:
        raise SendError("the engine did not report receiving the context (no BuildKit on this engine?)")
    upload_done = uploaded["at"] or held
    return SendTiming(
        files=max(0, counts["files"] - 1),  # not the probe Dockerfile
        tar_bytes=size,
        file_bytes=counts["bytes"],
        tar_seconds=tarred - started,
        upload_seconds=upload_done - tarred,
        total_seconds=held - started,
        engine_load_seconds=steps.get(LOAD_STEP),
        engine_unpack_seconds=steps.get(UNPACK_STEP),
    )


def _read_until_unpacked(response, cancel: threading.Event) -> tuple[dict[str, float], float | None]:
    """Read the engine's progress until the context is unpacked: (engine seconds per context step,
    when it was seen here). Stops reading then (closing the response ends the probe build)."""
    decoder = MessageDecoder()
    spans: dict[str, tuple[float, float]] = {}
    for _raw, message in json_lines(response.iter_content(chunk_size=None)):
        if cancel.is_set():
            raise Cancelled()
        if message is INVALID:
            continue
        for event in decoder.decode(message, time.time()):
            if isinstance(event, VertexUpdate) and event.name in (LOAD_STEP, UNPACK_STEP) and event.started:
                first, last = spans.get(event.name, (event.started, event.started))
                spans[event.name] = (min(first, event.started), max(last, event.completed or event.started))
                if event.name == UNPACK_STEP and event.completed:
                    return {name: end - start for name, (start, end) in spans.items()}, time.monotonic()
            elif isinstance(event, BuildFailed):
                if PROBE_NAME in event.message:
                    break  # the probe ended the build; the unpack step was not reported
                raise SendError(f"the engine failed while taking the context: {event.message}")
            elif isinstance(event, ImageBuilt):
                break
    if UNPACK_STEP in spans:
        return {name: end - start for name, (start, end) in spans.items()}, time.monotonic()
    return spans, None


def measure_sends(
    client,
    context_dir: str | os.PathLike[str],
    dockerfile: str | os.PathLike[str] | None,
    variants: dict[str, str],
    rounds: int = 3,
    *,
    progress: Callable[[str, int, str, int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, list[SendTiming]]:
    """Send the context once per variant (name -> extra ``.dockerignore`` lines) per round, the
    order rotated each round so that neither variant always goes first (a warm page cache or a busy
    engine favours no one). ``progress(variant, round, phase, done, total)``."""
    names = list(variants)
    timings: dict[str, list[SendTiming]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            report = partial(progress, name, round_index) if progress is not None else None
            timings[name].append(send_context(client, context_dir, dockerfile, extra_ignore=variants[name],
                                              progress=report, cancel=cancel))
    return timings


def prune_sent_contexts(client, since: datetime, timings: list[SendTiming]) -> int:
    """Remove the build-cache records the sends left, by id; return how many (contexts under 1 MiB
    are left to BuildKit's garbage collection: not worth a prune). Ours are the context
    records (BuildKit's descriptions ``http url http://build-context-...``, the download, and
    ``copy /context /``, its unpacked copy) created since ``since`` (a minute of clock skew allowed)
    whose size is that of a sent tar (the download) or of its files (the copy, within 0.1%)."""
    sent = [timing for timing in timings if timing.tar_bytes >= _PRUNE_FROM]
    if not sent:
        return 0
    tar_sizes = {timing.tar_bytes for timing in sent}
    file_sizes = {timing.file_bytes for timing in sent}
    since = since - timedelta(minutes=1)
    pruned = 0
    for record in _build_cache(client):
        description, size = record.get("Description", ""), record.get("Size") or 0
        if record.get("InUse") or not _created_since(record.get("CreatedAt", ""), since):
            continue
        if description.startswith("http url http://build-context-"):
            ours = size in tar_sizes
        elif description == "copy /context /":
            ours = any(abs(files - size) <= files * 0.001 + 65536 for files in file_sizes)
        else:
            ours = False
        if ours:
            try:
                client.prune_builds(filters={"id": [record["ID"]]})
            except Exception:  # noqa: BLE001 - best effort: BuildKit's garbage collection remains
                continue
            pruned += 1
    return pruned


def _build_cache(client) -> list[dict]:
    """The engine's build-cache records (``GET /system/df?type=build-cache``, which skips the image
    and container sizes). Empty when the engine cannot say: the containerd image store sometimes
    answers 404 for a snapshot another build removed meanwhile; pruning is best effort."""
    for _attempt in range(2):
        try:
            response = client._get(client._url("/system/df"), params={"type": "build-cache"})
            return client._result(response, True).get("BuildCache") or []
        except Exception:  # noqa: BLE001 - see above
            continue
    return []


def _created_since(stamp: str, since: datetime) -> bool:
    try:  # "2026-12-01T16:05:08.144722344Z": Python 3.11 reads it (to the microsecond)
        return datetime.fromisoformat(stamp) >= since
    except ValueError:
        return False


def now() -> datetime:
    return datetime.now(timezone.utc)
