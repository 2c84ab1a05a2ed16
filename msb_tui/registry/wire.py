"""Wire sizes: what each layer weighs compressed, as a push uploads it and a pull downloads it.

Where each figure comes from, best first (``WireLayer.how`` says which one a figure is):

- ``measured (registry)``: the blob size a registry stores for the layer. Known for an image the
  engine pushed or pulled (its ``RepoDigests`` name the manifest; the manifest's layers pair with
  the config's diff ids in order), for a layer the engine recorded pushing or pulling to a loopback
  or the target registry (its distribution metadata, then a HEAD), and remembered afterwards.
- ``measured (engine blob)``: the containerd image store keeps layers compressed, as pushed; the
  manifest in its content store (or the image export) lists those blobs.
- ``computed (gzip -6)``: the overlay2 store keeps layers uncompressed and compresses only when it
  pushes. The layer tar from the export gzipped at Go's default level, as ``docker push`` does,
  on every core (:mod:`msb_tui.registry.deflate`): within a few per cent, never the same digest.
- ``estimated (gzip -6 of a sample)``: the same, for a share of the layer tar read from the
  layer's files on this machine (:mod:`msb_tui.registry.estimate`), with a margin. Shown as "~".

``mode``: ``estimate`` (the default: an estimate where only compressing would tell), ``exact``
(compute those from the export) or ``known`` (neither). The memory is a JSON file in the cache
folder (diff id -> figure; a better figure replaces a worse one), so a later plan costs a few HTTP
requests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from msb_tui.paths import cache_dir

MEASURED_REGISTRY = "measured (registry)"
MEASURED_ENGINE = "measured (engine blob)"
COMPUTED = "computed (gzip -6)"
ESTIMATED = "estimated (gzip -6 of a sample)"
RANK = {ESTIMATED: 0, COMPUTED: 1, MEASURED_ENGINE: 2, MEASURED_REGISTRY: 2}  # a higher one replaces a lower one
ESTIMATE, EXACT, KNOWN = "estimate", "exact", "known"  # wire_sizes(mode=...)
JSON_LIMIT = 4 << 20
CHUNK = 1 << 20

Progress = Callable[[str], None]


@dataclass(slots=True)
class WireLayer:
    """One layer: its content (history) size and its compressed size on the wire."""

    diff_id: str
    content_size: int
    created_by: str = ""
    wire_size: int | None = None
    digest: str | None = None  # the compressed blob's digest, when a registry or the engine told us
    how: str = ""
    source: str | None = None  # registry/repository that holds ``digest`` (measured figures)
    sample: float | None = None  # estimated figures: the share of the layer tar gzipped
    margin: float | None = None  # estimated figures: relative half-width of the 95 % interval

    @property
    def estimated(self) -> bool:
        return self.how == ESTIMATED

    @property
    def ratio(self) -> float | None:
        return self.wire_size / self.content_size if self.wire_size is not None and self.content_size else None


@dataclass(slots=True)
class WireReport:
    image: str
    image_id: str
    layers: list[WireLayer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def content_size(self) -> int:
        return sum(layer.content_size for layer in self.layers)

    @property
    def wire_size(self) -> int:
        return sum(layer.wire_size or 0 for layer in self.layers)

    @property
    def complete(self) -> bool:
        return all(layer.wire_size is not None for layer in self.layers)

    @property
    def ratio(self) -> float | None:
        return self.wire_size / self.content_size if self.content_size else None

    @property
    def estimated(self) -> bool:
        return any(layer.estimated for layer in self.layers)

    @property
    def sources(self) -> list[str]:
        return sorted({layer.how for layer in self.layers if layer.how})

    def to_dict(self) -> dict:
        return {"image": self.image, "image_id": self.image_id, "content_bytes": self.content_size,
                "wire_bytes": self.wire_size, "estimated": self.estimated, "ratio": self.ratio, "sources": self.sources, "notes": self.notes,
                "layers": [asdict(layer) | {"ratio": layer.ratio, "estimated": layer.estimated} for layer in self.layers]}


# --- the memory of figures, per diff id ------------------------------------------------------------

def load_cache() -> dict[str, dict]:
    try:
        data = json.loads((cache_dir() / "wire-layers.json").read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(figures: dict[str, dict]) -> None:
    """Merge ``diff id -> {wire_size, digest, how, ...}``; a figure replaces one of the same or a lower rank
    (measured > computed > estimated)."""
    if not figures:
        return
    data = load_cache()
    for diff_id, figure in figures.items():
        if _rank(figure) >= _rank(data.get(diff_id)):
            data[diff_id] = figure
    path = cache_dir() / "wire-layers.json"
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=0, sort_keys=True))
    temporary.replace(path)


def _rank(figure: dict | None) -> int:
    return RANK.get((figure or {}).get("how", ""), -1)


# --- the sources -------------------------------------------------------------------------------

def registry_figures(manifest: dict, diff_ids: list[str], source: str | None = None) -> dict[str, dict]:
    """Pair a registry manifest's layers with the config's diff ids (same order, same count);
    ``source``: the registry/repository the manifest came from."""
    layers = manifest.get("layers") or []
    if len(layers) != len(diff_ids):
        return {}
    return {diff_id: {"wire_size": int(layer["size"]), "digest": layer["digest"], "how": MEASURED_REGISTRY, "source": source}
            for diff_id, layer in zip(diff_ids, layers)}


def figures_from_repo_digests(inspect: dict, timeout: float = 3, only_registry: str | None = None) -> dict[str, dict]:
    """Measured figures from the registries that the engine says hold this image (loopback ones, or
    ``only_registry``): a few small requests, no export."""
    from msb_tui.registry.client import (LIST_TYPES, Reference, RegistryClient, RegistryError,
                                         _is_loopback)

    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    for repo_digest in inspect.get("RepoDigests") or []:
        name, _, digest = repo_digest.partition("@")
        try:
            ref = Reference.parse(name)
        except ValueError:
            continue
        if not (_is_loopback(ref.api_host) or ref.registry == only_registry):
            continue
        try:
            client = RegistryClient(ref, timeout=timeout)
            manifest, media, _ = client.manifest(digest)
            if media in LIST_TYPES:
                continue
            found = registry_figures(manifest, diff_ids, f"{ref.registry}/{ref.repository}")
        except RegistryError:
            continue
        if found:
            return found
    return {}


def figures_from_engine(store, inspect: dict, wanted: set[str], registry: str | None = None,
                        timeout: float = 3) -> dict[str, dict]:
    """Measured figures from the engine's own storage on this machine (:mod:`engine_store`): the
    containerd store's manifest, or the digests docker pushed or pulled to a loopback registry or
    ``registry`` with a HEAD there for the size. No export, no compressing."""
    from msb_tui.registry.client import Reference, RegistryClient, RegistryError, _is_loopback

    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    manifest = store.manifest(inspect)
    if manifest is not None:
        layers = manifest["layers"]
        if len(layers) != len(diff_ids):
            return {}
        return {diff_id: {"wire_size": int(layer["size"]), "digest": layer["digest"], "how": MEASURED_ENGINE}
                for diff_id, layer in zip(diff_ids, layers) if diff_id in wanted}
    figures: dict[str, dict] = {}
    clients: dict[str, RegistryClient] = {}
    for diff_id in dict.fromkeys(d for d in diff_ids if d in wanted):
        for digest, repository in sorted(store.pushed_digests(diff_id), key=lambda pair: not pair[1].startswith(f"{registry}/")):
            try:
                ref = Reference.parse(repository)
                if not (_is_loopback(ref.api_host) or ref.registry == registry):
                    continue
                client = clients.setdefault(repository, RegistryClient(ref, timeout=timeout))
                size = client.blob_size(digest)
            except (ValueError, RegistryError):
                continue
            if size is not None:
                figures[diff_id] = {"wire_size": size, "digest": digest, "how": MEASURED_REGISTRY,
                                    "source": f"{ref.registry}/{ref.repository}"}
                break
    return figures


def estimates(store, inspect: dict, wanted: set[str], progress: Progress | None = None) -> dict[str, dict]:
    """Sampled estimates for the ``wanted`` layers, read from their folders on this machine."""
    from msb_tui.registry.estimate import estimate_layer

    folders = store.layer_dirs(inspect)
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    figures: dict[str, dict] = {}
    for number, (diff_id, folder) in enumerate(zip(diff_ids, folders or []), 1):
        if diff_id not in wanted or diff_id in figures:
            continue
        if progress:
            progress(f"estimating layer {number} from a sample of its files")
        try:
            found = estimate_layer(folder)
        except OSError:  # removed meanwhile, or not readable: the export will tell
            continue
        figures[diff_id] = {"wire_size": found.wire_size, "digest": None, "how": ESTIMATED,
                            "sample": round(found.fraction, 4), "margin": round(found.margin, 4)}
    return figures


def scan_export(client, image: str, wanted: set[str] | None, progress: Progress | None = None) -> dict[str, dict]:
    """One pass over the image export: the engine's compressed blobs (containerd store) measured,
    uncompressed layer tars (overlay2) gzipped and counted. ``wanted``: diff ids still unknown."""
    import io

    from msb_tui.image.export import READ_SIZE, ChunkReader
    from msb_tui.image.tarstream import REGULAR, header_ok, iter_members
    from msb_tui.registry.deflate import gzip_size, workers

    inspect = client.inspect_image(image)
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    json_files: dict[str, object] = {}
    blobs: dict[str, int] = {}  # path -> size of a compressed blob
    computed: dict[str, tuple[int, int]] = {}  # path -> (tar bytes, gzip bytes)
    reader = ChunkReader(client.get_image(image, chunk_size=READ_SIZE))
    try:
        for member in iter_members(io.BufferedReader(reader, buffer_size=READ_SIZE)):
            if member.type != REGULAR:
                continue
            head = member.data.read(512)
            if head[:2] == b"\x1f\x8b" or head[:4] == b"\x28\xb5\x2f\xfd":
                blobs[member.name] = member.size
            elif len(head) == 512 and header_ok(head):
                # OCI layouts (Docker 25+) name an uncompressed layer by its diff id: skip known ones.
                # The legacy layout (<id>/layer.tar) names them only in manifest.json, written last.
                named = "sha256:" + member.name[len("blobs/sha256/"):] if member.name.startswith("blobs/sha256/") else None
                if wanted is None or (wanted and (named is None or named in wanted)):
                    if progress:
                        progress(f"compressing layer {len(computed) + 1} ({member.size / 1e6:.1f} MB) as docker push "
                                 f"would, on {workers()} thread(s)")
                    computed[member.name] = gzip_size(_chunks(head, member.data))
            elif member.size <= JSON_LIMIT and head.lstrip()[:1] in (b"{", b"["):
                with suppress(ValueError):
                    json_files[member.name] = json.loads(head + member.data.read())
            member.data.skip()
    finally:
        reader.close()
    paths = _layer_paths(json_files)
    figures = {}
    for diff_id, path in zip(diff_ids, paths):
        if path in blobs:
            figures[diff_id] = {"wire_size": blobs[path], "digest": "sha256:" + path.rsplit("/", 1)[-1], "how": MEASURED_ENGINE}
        elif path in computed:
            figures[diff_id] = {"wire_size": computed[path][1], "digest": None, "how": COMPUTED}
    return figures


def _chunks(head: bytes, data):
    first = head + data.read(CHUNK - len(head))
    yield first
    while chunk := data.read(CHUNK):
        yield chunk


def _layer_paths(json_files: dict[str, object]) -> list[str]:
    """The layers' paths in the export, bottom first (``manifest.json``, else the OCI index)."""
    manifest = json_files.get("manifest.json")
    if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
        return list(manifest[0].get("Layers") or [])
    index = json_files.get("index.json")
    for descriptor in (index or {}).get("manifests", []) if isinstance(index, dict) else []:
        blob = json_files.get("blobs/" + descriptor.get("digest", "").replace(":", "/"))
        if isinstance(blob, dict) and "layers" in blob:
            return ["blobs/" + layer["digest"].replace(":", "/") for layer in blob["layers"]]
    return []


# --- one image -----------------------------------------------------------------------------------------

def wire_sizes(client, image: str, *, mode: str = ESTIMATE, registry: str | None = None,
               progress: Progress | None = None) -> WireReport:
    """Every layer of ``image`` with its wire size, from the best source that answers fast.

    ``mode``: ESTIMATE, EXACT or KNOWN (module docstring). ``registry``: also ask this registry
    about the image's RepoDigests and the engine's pushed digests (loopback ones are always asked)."""
    from msb_tui.image.layers import read_layers
    from msb_tui.registry.engine_store import open_store

    if mode not in (ESTIMATE, EXACT, KNOWN):
        raise ValueError(f"mode must be {ESTIMATE}, {EXACT} or {KNOWN}, not {mode!r}")
    inspect = client.inspect_image(image)
    diff_ids = set((inspect.get("RootFS") or {}).get("Layers") or [])
    known = load_cache()
    fresh = figures_from_repo_digests(inspect, only_registry=registry)
    unmeasured = {d for d in diff_ids if d not in fresh and _rank(known.get(d)) < RANK[MEASURED_REGISTRY]}
    with ThreadPoolExecutor(1, thread_name_prefix="wire-history") as pool:  # the history while the engine's store answers
        history = pool.submit(read_layers, client, image, inspect=inspect)
        store = open_store(client) if unmeasured else None
        if store is not None:
            fresh |= figures_from_engine(store, inspect, unmeasured, registry)
        layers = history.result()
    report = WireReport(image=image, image_id=inspect.get("Id", ""))
    report.layers = [WireLayer(diff_id=entry.diff_id, content_size=entry.size, created_by=entry.created_by)
                     for entry in layers.layers if entry.diff_id]
    known.update(fresh)
    wanted = RANK[COMPUTED] if mode == EXACT else RANK[ESTIMATED]
    missing = {d for d in diff_ids if _rank(known.get(d)) < wanted}
    made: dict[str, dict] = {}
    if missing and mode != KNOWN:
        if mode == ESTIMATE and store is not None:
            made = estimates(store, inspect, missing, progress)
        if missing - made.keys():
            made |= {diff_id: figure for diff_id, figure in scan_export(client, image, missing - made.keys(), progress).items()
                     if diff_id in missing}  # a remembered better figure beats a new one
        known.update(made)
    remember(fresh | made)
    for layer in report.layers:
        figure = known.get(layer.diff_id)
        if figure:
            layer.wire_size, layer.digest, layer.how = figure["wire_size"], figure.get("digest"), figure["how"]
            layer.source, layer.sample, layer.margin = figure.get("source"), figure.get("sample"), figure.get("margin")
    if not report.complete:
        report.notes.append("some wire sizes are unknown: run without --no-compute to compute them")
    if report.estimated:
        report.notes.append("~ marks an estimate from a sample of the layer's files, gzipped with zlib at docker's level 6: "
                            "docker's Go gzip makes a few per cent more (4% on the Go SDK layer); --exact computes "
                            "the whole layer, a push measures it")
    return report
