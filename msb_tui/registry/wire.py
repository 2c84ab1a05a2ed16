"""Wire sizes: what each layer weighs compressed, as a push uploads it and a pull downloads it.

Where each figure comes from, in the order tried (``WireLayer.how`` says which one a figure is):

- ``measured (registry)``: the blob size a registry stores for the layer. Known for an image the
  engine pushed or pulled (its ``RepoDigests`` name the manifest; the manifest's layers pair with
  the config's diff ids in order), and remembered per diff id afterwards.
- ``measured (engine blob)``: the containerd image store keeps layers compressed, as pushed; the
  image export (OCI layout) carries those blobs and the manifest that lists them.
- ``computed (gzip -6)``: the overlay2 store keeps layers uncompressed and compresses only when it
  pushes. We gzip the layer tar from the export at Go's default level, as ``docker push`` does;
  a different deflate implementation gives a size within a few per cent, never the same digest.
  Computed once per diff id, then remembered.

The memory is a JSON file in the cache folder (diff id -> figure), so a plan after the first one
costs a few HTTP requests instead of an export.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

MEASURED_REGISTRY = "measured (registry)"
MEASURED_ENGINE = "measured (engine blob)"
COMPUTED = "computed (gzip -6)"
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
    def sources(self) -> list[str]:
        return sorted({layer.how for layer in self.layers if layer.how})

    def to_dict(self) -> dict:
        return {"image": self.image, "image_id": self.image_id, "content_bytes": self.content_size,
                "wire_bytes": self.wire_size, "ratio": self.ratio, "sources": self.sources, "notes": self.notes,
                "layers": [asdict(layer) | {"ratio": layer.ratio} for layer in self.layers]}


# --- the memory of figures, per diff id ------------------------------------------------------------

def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "msb-tui" / "wire-layers.json"


def load_cache() -> dict[str, dict]:
    try:
        data = json.loads(cache_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(figures: dict[str, dict]) -> None:
    """Merge ``diff id -> {wire_size, digest, how}``; a measured figure replaces a computed one."""
    if not figures:
        return
    data = load_cache()
    for diff_id, figure in figures.items():
        old = data.get(diff_id)
        if old is None or figure["how"] != COMPUTED or old.get("how") == COMPUTED:
            data[diff_id] = figure
    path = cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=0, sort_keys=True))
    temporary.replace(path)


# --- the three sources -------------------------------------------------------------------------------

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
    from msb_tui.registry.client import Reference, RegistryClient, RegistryError, _is_loopback

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
            if media in ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"):
                continue
            found = registry_figures(manifest, diff_ids, f"{ref.registry}/{ref.repository}")
        except RegistryError:
            continue
        if found:
            return found
    return {}


def scan_export(client, image: str, wanted: set[str] | None, progress: Progress | None = None) -> dict[str, dict]:
    """One pass over the image export: the engine's compressed blobs (containerd store) measured,
    uncompressed layer tars (overlay2) gzipped and counted. ``wanted``: diff ids still unknown."""
    import io

    from msb_tui.image.export import PREFETCH_CHUNKS, READ_SIZE, ChunkReader
    from msb_tui.image.tarstream import REGULAR, header_ok, iter_members

    inspect = client.inspect_image(image)
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    json_files: dict[str, object] = {}
    blobs: dict[str, int] = {}  # path -> size of a compressed blob
    computed: dict[str, tuple[int, int]] = {}  # path -> (tar bytes, gzip bytes)
    reader = ChunkReader(client.get_image(image, chunk_size=READ_SIZE), prefetch=PREFETCH_CHUNKS)
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
                        progress(f"compressing layer {len(computed) + 1} ({member.size / 1e6:.1f} MB) as docker push would")
                    computed[member.name] = _gzip_size(head, member.data)
            elif member.size <= JSON_LIMIT and head.lstrip()[:1] in (b"{", b"["):
                try:
                    json_files[member.name] = json.loads(head + member.data.read())
                except ValueError:
                    pass
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


def _gzip_size(head: bytes, data) -> tuple[int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip wrapper, as Go's compress/gzip writes
    total, out = len(head), len(compressor.compress(head))
    while chunk := data.read(CHUNK):
        total += len(chunk)
        out += len(compressor.compress(chunk))
    return total, out + len(compressor.flush())


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

def wire_sizes(client, image: str, *, compute: bool = True, registry: str | None = None,
               progress: Progress | None = None) -> WireReport:
    """Every layer of ``image`` with its wire size, from the cheapest source that knows it.

    ``compute=False`` never reads the export (figures stay unknown instead). ``registry``: also ask
    this registry about the image's RepoDigests (loopback registries are always asked)."""
    from msb_tui.image.layers import read_layers

    inspect = client.inspect_image(image)
    layers = read_layers(client, image)
    report = WireReport(image=image, image_id=inspect.get("Id", ""))
    report.layers = [WireLayer(diff_id=entry.diff_id, content_size=entry.size, created_by=entry.created_by)
                     for entry in layers.layers if entry.diff_id]
    known = load_cache()
    fresh = figures_from_repo_digests(inspect, only_registry=registry)
    known.update(fresh)
    missing = {layer.diff_id for layer in report.layers if layer.diff_id not in known}
    exported = {}
    if missing and compute:
        exported = {diff_id: figure for diff_id, figure in scan_export(client, image, missing, progress).items()
                    if diff_id in missing}  # a remembered measured figure beats a new computed one
        known.update(exported)
    remember(fresh | exported)
    for layer in report.layers:
        figure = known.get(layer.diff_id)
        if figure:
            layer.wire_size, layer.digest, layer.how = figure["wire_size"], figure.get("digest"), figure["how"]
            layer.source = figure.get("source")
    if not report.complete:
        report.notes.append("some wire sizes are unknown: run without --no-compute to compute them")
    return report
