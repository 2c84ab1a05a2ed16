"""Push an image through the engine (as ``docker push`` does) with progress per layer, then measure.

The engine does the push: it compresses (overlay2) or sends its blobs (containerd store), mounts
and skips what the registry has, and puts the manifest last, so an interrupted push leaves no tag
in the registry; the next push re-uploads what did not finish (Distribution keeps no partial
upload a new push could resume from a different session). Credentials: the ``docker`` package
reads the user's docker config for the engine's ``X-Registry-Auth`` header, as the CLI does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from msb_tui.registry.client import RegistryClient, Reference
from msb_tui.registry.wire import WireReport, registry_figures, remember


class PushFailed(Exception):
    """The engine reported an error; the message is the engine's, credentials never in it."""


class PushCancelled(Exception):
    """The caller stopped the push (the engine's push is cancelled with the connection)."""


@dataclass(slots=True)
class LayerProgress:
    id: str  # the engine's short id for the layer (12 hex digits)
    status: str  # Preparing, Waiting, Pushing, Pushed, Layer already exists, Mounted from ...
    current: int = 0
    total: int = 0


@dataclass(slots=True)
class PushResult:
    target: Reference
    digest: str = ""
    seconds: float = 0.0
    layers: dict[str, LayerProgress] = field(default_factory=dict)
    measured: WireReport | None = None  # the same figures, read back from the registry

    @property
    def uploaded(self) -> list[str]:
        return [short for short, layer in self.layers.items() if layer.status == "Pushed"]

    @property
    def skipped(self) -> list[str]:
        return [short for short, layer in self.layers.items()
                if layer.status == "Layer already exists" or layer.status.startswith("Mounted from")]


_DIGEST_LINE = re.compile(r"\S+: digest: (sha256:[0-9a-f]{64}) size: \d+")
OnProgress = Callable[[LayerProgress], None]


def push_image(client, image: str, target: Reference, *, on_progress: OnProgress | None = None,
               should_stop: Callable[[], bool] | None = None) -> PushResult:
    """Tag ``image`` as ``target`` and push it; progress per layer; measured figures afterwards."""
    repository = target.repository if target.registry == "docker.io" else f"{target.registry}/{target.repository}"
    client.tag(image, repository, target.tag)
    result = PushResult(target=target)
    started = time.monotonic()
    stream = client.push(repository, tag=target.tag, stream=True, decode=True)
    try:
        for message in stream:
            if should_stop and should_stop():
                raise PushCancelled(f"push of {target} stopped")
            if message.get("error"):
                raise PushFailed(str(message["error"]))
            aux = message.get("aux") or {}
            if aux.get("Digest"):
                result.digest = aux["Digest"]
            elif match := _DIGEST_LINE.match(message.get("status", "")):  # the containerd store sends no aux
                result.digest = match.group(1)
            short = message.get("id")
            if not short or short == target.tag:
                continue
            detail = message.get("progressDetail") or {}
            layer = result.layers.setdefault(short, LayerProgress(short, ""))
            layer.status = message.get("status", layer.status)
            if detail.get("total"):
                layer.current, layer.total = int(detail.get("current", 0)), int(detail["total"])
            if on_progress:
                on_progress(layer)
    finally:
        with suppress(Exception):  # already closed
            stream.close()  # ends the engine's push (the API cancels it with the connection)
    result.seconds = time.monotonic() - started
    if not result.digest:
        raise PushFailed(f"the engine ended the push of {target} without a manifest digest")
    result.measured = measure(client, image, target)
    return result


def measure(client, image: str, target: Reference, registry: RegistryClient | None = None,
            platform: str | None = None) -> WireReport:
    """The wire sizes the registry now stores for ``target``, tied to the image's layers."""
    from msb_tui.image.layers import read_layers
    from msb_tui.registry.wire import WireLayer

    registry = registry or RegistryClient(target)
    manifest, _ = registry.image_manifest(target.tag, platform or engine_platform(client))
    config = registry.blob_json(manifest["config"]["digest"])
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    figures = registry_figures(manifest, diff_ids, f"{target.registry}/{target.repository}")
    remember(figures)
    layers = read_layers(client, image)
    report = WireReport(image=image, image_id=client.inspect_image(image).get("Id", ""))
    for entry in layers.layers:
        figure = figures.get(entry.diff_id, {})
        report.layers.append(WireLayer(entry.diff_id, entry.size, entry.created_by, figure.get("wire_size"),
                                       figure.get("digest"), figure.get("how", ""), figure.get("source")))
    return report


@dataclass(slots=True)
class MeasuredPull:
    bytes: int
    seconds: float
    blobs: int


def measure_pull(target: Reference, registry: RegistryClient | None = None, platform: str | None = None) -> MeasuredPull:
    """Download every layer blob of ``target`` from the registry and time it (no unpacking)."""
    registry = registry or RegistryClient(target)
    manifest, _ = registry.image_manifest(target.tag, platform)
    started = time.monotonic()
    received = sum(registry.download(layer["digest"]) for layer in manifest.get("layers") or [])
    return MeasuredPull(received, time.monotonic() - started, len(manifest.get("layers") or []))


def engine_platform(client) -> str | None:
    """``os/arch`` of the engine: the platform a push of a local image is for."""
    try:
        version = client.version()
        return f"{version['Os']}/{version['Arch']}"
    except Exception:  # noqa: BLE001 - unknown: a multi-platform manifest then asks
        return None
