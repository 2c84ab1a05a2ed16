"""The push plan: which of an image's layers a registry already has, and what a push would upload.

A registry keys blobs by their compressed digest, so a layer is "present" when a HEAD on its known
digest answers in the target repository (base image layers, layers shared with an earlier tag).
A layer whose digest nobody has told us (an overlay2 layer never pushed: its digest exists only
once docker compresses it) is planned as an upload, as ``docker push`` will upload it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from msb_tui.registry.client import RegistryClient, Reference
from msb_tui.registry.wire import WireLayer, WireReport

PRESENT, MOUNT, UPLOAD = "present", "mount", "upload"


@dataclass(slots=True)
class PlannedLayer:
    layer: WireLayer
    action: str  # PRESENT, MOUNT (cross-repository mount in the same registry: no bytes) or UPLOAD
    why: str


@dataclass(slots=True)
class PushPlan:
    target: Reference
    wire: WireReport
    layers: list[PlannedLayer] = field(default_factory=list)
    config_present: bool = False

    @property
    def upload(self) -> list[PlannedLayer]:
        return [planned for planned in self.layers if planned.action == UPLOAD]

    @property
    def upload_bytes(self) -> int:
        return sum(planned.layer.wire_size or 0 for planned in self.upload)

    @property
    def present_bytes(self) -> int:
        return sum(planned.layer.wire_size or 0 for planned in self.layers if planned.action != UPLOAD)

    def to_dict(self) -> dict:
        return {"target": str(self.target), "upload_bytes": self.upload_bytes,
                "upload_estimated": any(planned.layer.estimated for planned in self.upload), "present_bytes": self.present_bytes,
                "upload_layers": len(self.upload), "present_layers": len(self.layers) - len(self.upload),
                "config_present": self.config_present,
                "layers": [asdict(planned.layer) | {"estimated": planned.layer.estimated, "action": planned.action,
                                                    "why": planned.why} for planned in self.layers]}


def push_plan(wire: WireReport, target: Reference, registry: RegistryClient | None = None) -> PushPlan:
    """HEAD every known layer digest (and the config) in ``target``'s repository."""
    registry = registry or RegistryClient(target)
    registry.ping()
    plan = PushPlan(target=target, wire=wire)
    seen: set[str] = set()
    for layer in wire.layers:
        if layer.diff_id in seen:  # the same layer twice in one image is uploaded once
            continue
        seen.add(layer.diff_id)
        if layer.digest is None:
            plan.layers.append(PlannedLayer(layer, UPLOAD, "digest unknown until docker compresses it: never pushed from here"))
        elif registry.blob_size(layer.digest) is not None:
            plan.layers.append(PlannedLayer(layer, PRESENT, f"{target.registry}/{target.repository} has {layer.digest[:19]}"))
        elif (source := _mount_source(layer, target, registry)) is not None:
            plan.layers.append(PlannedLayer(layer, MOUNT, f"mounted from {source} (same registry, no upload)"))
        else:
            plan.layers.append(PlannedLayer(layer, UPLOAD, f"{target.repository} lacks {layer.digest[:19]}"))
    plan.config_present = bool(wire.image_id.startswith("sha256:") and registry.blob_size(wire.image_id) is not None)
    return plan


def _mount_source(layer: WireLayer, target: Reference, registry: RegistryClient) -> str | None:
    """The repository of the same registry that holds the layer's blob, as docker finds it to mount
    (it remembers where it pushed or pulled each layer): None when there is none."""
    if not layer.source or not layer.source.startswith(target.registry + "/"):
        return None
    repository = layer.source[len(target.registry) + 1:]
    if repository == target.repository:
        return None
    other = RegistryClient(Reference(target.registry, repository, "latest"), timeout=registry.timeout)
    return repository if other.blob_size(layer.digest or "") is not None else None


# --- pull estimates --------------------------------------------------------------------------------

DEFAULT_BANDWIDTH = 100e6 / 8  # 100 Mbit/s in bytes per second: a common cloud-VM-to-registry link


def parse_bandwidth(text: str) -> float:
    """``100Mbit``, ``1Gbit``, ``12.5MB`` (per second) -> bytes per second."""
    import re

    match = re.fullmatch(r"\s*([\d.]+)\s*([kmgKMG]?)(bit|b|B|bps|Bps)?(?:/s)?\s*", text)
    if not match:
        raise ValueError(f"not a bandwidth: {text!r} (try 100Mbit or 12.5MB)")
    number, prefix, unit = float(match.group(1)), match.group(2).lower(), match.group(3) or "bit"
    scale = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[prefix]
    per_second = number * scale / (8 if unit[0] == "b" else 1)  # lower-case b: bits; B: bytes
    if per_second <= 0:
        raise ValueError("bandwidth must be above 0")
    return per_second


def describe_bandwidth(per_second: float) -> str:
    return f"{per_second * 8 / 1e6:g} Mbit/s"


@dataclass(slots=True)
class PullEstimate:
    image: str
    bandwidth: float  # bytes per second
    cold_bytes: int
    delta_bytes: int | None = None  # only the layers not in the previous tag
    previous: str | None = None
    estimated: bool = False  # some wire sizes are estimates

    @property
    def cold_seconds(self) -> float:
        return self.cold_bytes / self.bandwidth

    @property
    def delta_seconds(self) -> float | None:
        return None if self.delta_bytes is None else self.delta_bytes / self.bandwidth


def pull_estimate(wire: WireReport, bandwidth: float, previous_diff_ids: list[str] | None = None,
                  previous: str | None = None) -> PullEstimate:
    estimate = PullEstimate(wire.image, bandwidth, wire.wire_size, previous=previous, estimated=wire.estimated)
    if previous_diff_ids is not None:
        had = set(previous_diff_ids)
        estimate.delta_bytes = sum(layer.wire_size or 0 for layer in wire.layers if layer.diff_id not in had)
    return estimate
