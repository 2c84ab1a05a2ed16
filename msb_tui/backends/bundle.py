"""A ``.dockerbuild`` bundle (``docker buildx history export``, and what CI systems publish as build
records) opened with no engine, like a recording.

The bundle is an OCI layout, gzipped: ``index.json`` names a manifest whose config is BuildKit's
history record (JSON: ref, frontend attributes such as target and build args, times, result or
error) and whose layers hold the progress (``application/vnd.buildkit.status.v0``: StatusResponse
messages, each behind a little-endian uint32 length), the provenance (with the Dockerfile text) and
the image config. Every read is bounded: a truncated or corrupt bundle is a ``BundleError`` naming
what is wrong, never a traceback or a read until memory runs out.
"""

from __future__ import annotations

import gzip
import json
import re
import struct
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from msb_tui.backends.base import Source
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage, VertexUpdate
from msb_tui.builds.provenance import provenance_dockerfile
from msb_tui.builds.trace import decode_status_response
from msb_tui.engine.info import EngineInfo

MAX_BLOB = 256 << 20
"""The largest blob read from a bundle (a progress stream of a huge build is tens of MB)."""

MAX_PAUSE = 60.0
STATUS = "application/vnd.buildkit.status.v0"
HISTORY_RECORD = "application/vnd.buildkit.historyrecord.v0"
TRACE = "application/vnd.buildkit.otlp.json.v0"


class BundleError(Exception):
    """The file is not a readable ``.dockerbuild`` bundle; the message says why."""


def is_bundle(path: Path) -> bool:
    """True for a ``.dockerbuild`` file, or any file that starts as gzip or tar does."""
    path = Path(path)
    if path.suffix == ".dockerbuild":
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar"


@dataclass
class Bundle:
    """What a bundle holds: the history record, the progress messages, and the build's inputs."""

    record: dict[str, Any]
    statuses: list[bytes] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    image_id: str | None = None
    error: str | None = None
    engine: EngineInfo = field(default_factory=EngineInfo)


def engine_of_trace(data: bytes) -> EngineInfo:
    """What a bundle's OpenTelemetry trace says of the engine: the address buildx reached it at and
    the API version of its requests (``.../v1.51/version``); a bundle names no Docker version."""
    text = data.decode("utf-8", "replace")
    host = re.search(r'"Key":\s*"server\.address",\s*"Value":\s*\{\s*"Type":\s*"STRING",\s*"Value":\s*"([^"]+)"', text)
    api = re.search(r'"Key":\s*"url\.full",\s*"Value":\s*\{[^}]*?/v(\d+\.\d+)/', text)
    address = host.group(1) if host else ""
    if address.startswith("/"):
        address = f"unix://{address}"
    return EngineInfo(api_version=api.group(1) if api else "", host=address)


def _blobs(path: Path) -> dict[str, bytes]:
    """Every blob of the layout by digest, plus ``index.json``."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r|") as tar:
            blobs: dict[str, bytes] = {}
            for member in tar:
                if not member.isfile():
                    continue
                if member.size > MAX_BLOB:
                    raise BundleError(f"{member.name} is {member.size} bytes (more than {MAX_BLOB >> 20} MiB)")
                data = tar.extractfile(member).read()
                name = member.name.lstrip("./")
                if name == "index.json":
                    blobs["index.json"] = data
                elif name.startswith("blobs/sha256/"):
                    blobs["sha256:" + name.rsplit("/", 1)[-1]] = data
            return blobs
    except BundleError:
        raise
    except (OSError, EOFError, tarfile.TarError, zlib.error, gzip.BadGzipFile) as error:
        raise BundleError(f"not a readable .dockerbuild bundle (truncated or corrupt): {error}") from None


def _json(blobs: dict[str, bytes], key: str, what: str) -> Any:
    if key not in blobs:
        raise BundleError(f"the bundle has no {what} ({key})")
    try:
        return json.loads(blobs[key])
    except (ValueError, RecursionError) as error:
        raise BundleError(f"the bundle's {what} is not JSON: {error}") from None


def _status_messages(data: bytes) -> list[bytes]:
    """The length-prefixed StatusResponse messages of a status blob (a cut-off tail is dropped)."""
    messages, offset = [], 0
    while offset + 4 <= len(data):
        (size,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if offset + size > len(data):
            break  # truncated: keep what is whole
        messages.append(data[offset:offset + size])
        offset += size
    return messages


def load_bundle(path: Path | str) -> Bundle:
    blobs = _blobs(Path(path))
    index = _json(blobs, "index.json", "index")
    try:
        manifest_digest = index["manifests"][0]["digest"]
    except (KeyError, IndexError, TypeError):
        raise BundleError("the bundle's index names no manifest") from None
    manifest = _json(blobs, manifest_digest, "manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise BundleError("the bundle's manifest has no config")
    if manifest["config"].get("mediaType") != HISTORY_RECORD:
        raise BundleError(f"not a build record (its config is {manifest['config'].get('mediaType')!r})")
    record = _json(blobs, manifest["config"].get("digest"), "build record")
    if not isinstance(record, dict):
        raise BundleError("the build record is not a JSON object")
    layers = [layer for layer in manifest.get("layers") or [] if isinstance(layer, dict)]
    bundle = Bundle(record)
    for layer in layers:
        data = blobs.get(layer.get("digest"))
        if data is None:
            continue
        if layer.get("mediaType") == STATUS:
            bundle.statuses = _status_messages(data)
        elif layer.get("mediaType") == TRACE:
            bundle.engine = engine_of_trace(data)
        elif "provenance" in json.dumps(layer.get("annotations") or {}):
            with suppress(ValueError, RecursionError):
                bundle.inputs["dockerfile_text"] = provenance_dockerfile(json.loads(data))
    attrs = record.get("FrontendAttrs") if isinstance(record.get("FrontendAttrs"), dict) else {}
    bundle.inputs.update({
        "name": attrs.get("build-arg:BUILDKIT_BUILD_NAME") or record.get("Ref"),
        "dockerfile": attrs.get("filename"), "target": attrs.get("target") or None,
        "build_args": {k.removeprefix("build-arg:"): v for k, v in attrs.items() if k.startswith("build-arg:")},
        "platform": attrs.get("platform"), "backend": "bundle", "ref": record.get("Ref"),
    })
    result = record.get("Result") if isinstance(record.get("Result"), dict) else {}
    deprecated = result.get("ResultDeprecated") if isinstance(result.get("ResultDeprecated"), dict) else {}
    bundle.image_id = deprecated.get("digest") if isinstance(deprecated.get("digest"), str) else None
    error = record.get("error") or record.get("Error")
    if isinstance(error, dict):
        bundle.error = str(error.get("message") or error.get("Message") or "the build failed")
    elif isinstance(error, str) and error:
        bundle.error = error
    return bundle


class BundleBackend:
    """Plays a ``.dockerbuild`` bundle back at ``speed`` (None: as fast as possible)."""

    name: ClassVar[str] = "bundle"
    live: ClassVar[bool] = False

    def __init__(self, path: str | Path, speed: float | None = None, **_: Any):
        self.path = Path(path)
        self.speed = speed

    def engine(self) -> EngineInfo:
        """What the bundle's trace says (its address and API version; never a Docker version)."""
        try:
            return load_bundle(self.path).engine
        except BundleError:
            return EngineInfo()

    def start(self, inputs=None) -> BundleSource:
        return BundleSource(self.path, self.speed)


class BundleSource(Source):
    recorded = True

    def engine_info(self) -> EngineInfo | None:
        try:
            info = self.bundle().engine
        except BundleError:
            return None
        return info if info.host or info.api_version else None

    def __init__(self, path: Path, speed: float | None = None) -> None:
        super().__init__()
        self.path = path
        self.speed = speed
        self.clock_rate = speed or 1.0
        self._bundle: Bundle | None = None

    def bundle(self) -> Bundle:
        if self._bundle is None:
            self._bundle = load_bundle(self.path)
        return self._bundle

    def inputs(self) -> dict[str, Any]:
        """The build's inputs in a recording header's form; ``BundleError`` for a damaged bundle."""
        return self.bundle().inputs

    @property
    def dockerfile_text(self) -> str | None:  # type: ignore[override]
        try:
            text = self.inputs().get("dockerfile_text")
        except BundleError:
            return None
        return text if isinstance(text, str) else None

    def __iter__(self) -> Iterator[EngineEvent]:
        try:
            bundle = self.bundle()
        except BundleError as error:
            yield BuildFailed(str(error), {"phase": "bundle"})
            return
        previous: float | None = None
        for data in bundle.statuses:
            if self._cancelled.is_set():
                yield BuildCancelled()
                return
            events = decode_status_response(data)
            stamps = [t for e in events if isinstance(e, VertexUpdate) for t in (e.started, e.completed) if t]
            if self.speed and stamps:
                now = max(stamps)
                if previous is not None and now > previous:
                    self._cancelled.wait(min(MAX_PAUSE, (now - previous) / self.speed))
                previous = now if previous is None else max(previous, now)
            yield from events
        if not bundle.statuses:
            yield MalformedMessage("the bundle holds no progress", b"")
        if bundle.error:
            yield BuildFailed(bundle.error, {"phase": "bundle"})
        else:
            yield ImageBuilt(bundle.image_id or "")
