"""Read an image export (``docker save`` / ``GET /images/{name}/get``) as a stream.

The export is a tar holding each layer as a nested tar, plus the image config and a manifest.
Two layouts exist: the legacy one (``<id>/layer.tar``, ``<config>.json``, ``manifest.json``;
Docker before 25) and the OCI one (``blobs/sha256/<hex>``, ``index.json``, and usually a
``manifest.json`` too; Docker 25+). The stream is read once, front to back, never spooled: each
layer tar is analysed as it passes, keyed by its path in the archive, and put in order once the
manifest (which may come last) has been read. Nested layer tars may be gzip/bzip2/xz compressed.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import posixpath
import queue
import threading
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Iterable, Iterator

try:  # ISA-L's gzip reader inflates 2.4x faster than zlib's (0.61 s vs 1.54 s for the 184 MB Go SDK layer)
    from isal.igzip import IGzipFile as GzipFile
except ImportError:  # a platform without isal wheels
    from gzip import GzipFile

from msb_tui.image import tarstream
from msb_tui.image.filetree import DIR, FILE, HARDLINK, OTHER, SYMLINK, LayerFiles, normalize_path
from msb_tui.image.platforms import platform_param, platform_text, require_platform_api

READ_SIZE = 1 << 20  # block size for reading the stream and skipping file data
PREFETCH_CHUNKS = 32  # up to 32 MB read ahead of the parser
MAX_JSON_BLOB = 16 << 20  # OCI blobs smaller than this that start with "{" are read as JSON


class ExportError(Exception):
    """The export could not be understood (not an image archive, missing manifest, ...)."""


@dataclass
class ImageArchive:
    """What an image export holds, layers in the order they stack (bottom first)."""

    layout: str  # "docker" (legacy) or "oci"
    config: dict
    layers: list[LayerFiles]
    diff_ids: list[str]
    archive_bytes: int = 0
    # From the OCI manifest, when there is one: each layer blob's size and whether it is compressed
    # (the containerd image store keeps, and exports, compressed blobs), and the manifest's and
    # config's own sizes: together what the engine counts as the image's content size.
    blob_sizes: list[int] = field(default_factory=list)
    compressed: bool = False
    manifest_bytes: int = 0
    config_bytes: int = 0
    platform: str | None = None  # "linux/amd64" of the manifest read, when the index says
    platforms: list[str] = field(default_factory=list)  # every image platform in the archive

    @property
    def compressed_size(self) -> int | None:
        """Manifest + config + compressed layers (``docker image inspect`` Size on the containerd
        store); None when the layers are not stored compressed."""
        if not self.compressed:
            return None
        return self.manifest_bytes + self.config_bytes + sum(self.blob_sizes)


class ChunkReader(io.RawIOBase):
    """A readable file over an iterable of byte chunks (``APIClient.get_image`` yields chunks).

    A thread pulls chunks from the engine into a bounded queue while the caller parses: the
    engine keeps producing the export instead of waiting on a full socket.
    """

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = memoryview(b"")
        self.total = 0
        self._queue: queue.Queue = queue.Queue(maxsize=PREFETCH_CHUNKS)
        self._stop = threading.Event()
        threading.Thread(target=self._pump, name="image-export-prefetch", daemon=True).start()

    def _pump(self) -> None:
        try:
            for chunk in self._chunks:
                while not self._stop.is_set():
                    try:
                        self._queue.put(chunk, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            self._queue.put(None)
        except BaseException as error:  # noqa: BLE001 - handed to the reading thread
            self._queue.put(error)

    def _next_chunk(self) -> bytes | None:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            chunk = self._next_chunk()
            if chunk is None:
                return 0
            self._buffer = memoryview(chunk)
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        self.total += count
        return count

    def close(self) -> None:
        self._stop.set()
        super().close()


class _Peeked:
    """A file whose first bytes were already read to sniff its type."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._rest.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._rest.read(size - len(data))
            return data
        return self._rest.read(size)

    def seekable(self) -> bool:
        """Asked by the gzip reader's ``seek``, which skipping a large member calls."""
        return False

    def readinto(self, buffer) -> int:
        """For gzip readers that fill their own buffer (ISA-L's)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


_KINDS = {tarstream.REGULAR: FILE, tarstream.DIRECTORY: DIR, tarstream.SYMLINK: SYMLINK, tarstream.HARDLINK: HARDLINK}
# A compressed layer's first bytes -> its reader (None: not supported).
_COMPRESSIONS = {
    b"\x1f\x8b": lambda stream: GzipFile(fileobj=stream, mode="rb"),
    b"BZh": bz2.BZ2File,
    b"\xfd7zXZ\x00": lzma.LZMAFile,
    b"\x28\xb5\x2f\xfd": None,  # zstd
}


def _compression(head: bytes) -> bytes | None:
    return next((magic for magic in _COMPRESSIONS if head.startswith(magic)), None)


def _decompressed(head: bytes, fileobj: BinaryIO) -> BinaryIO | None:
    """A reader of the uncompressed tar (None when the compression is not supported)."""
    stream = _Peeked(head, fileobj)
    magic = _compression(head)
    if magic is None:
        return stream
    opener = _COMPRESSIONS[magic]
    return opener(stream) if opener is not None else None


def read_layer_tar(fileobj: BinaryIO, key: str = "", tar_size: int = 0) -> LayerFiles:
    """Index one layer tar (read as a stream; compression detected by magic bytes)."""
    layer = LayerFiles(key=key, tar_size=tar_size)
    head = fileobj.read(512)
    if not head:
        return layer
    stream = _decompressed(head, fileobj)
    if stream is None:
        layer.error = "zstd-compressed layer: not supported"
        return layer
    try:
        for member in tarstream.iter_members(stream):
            layer.add_member(member.name, _KINDS.get(member.type, OTHER), member.size)
    except (tarstream.TarFormatError, EOFError, OSError, ValueError) as error:
        layer.error = f"unreadable layer tar: {error}"
    return layer


def _looks_like_tar(head: bytes) -> bool:
    if _compression(head) is not None:
        return True
    if len(head) < 512:
        return len(head) == 0
    return tarstream.header_ok(head) or head == b"\0" * 512  # an empty tar is all zero blocks


def read_image_archive(fileobj: BinaryIO, platform: str | None = None) -> ImageArchive:
    """Read a whole image export from a stream (one pass, memory bounded by the file index).

    A multi-platform export holds several image manifests (and attestation manifests, which are
    not images): ``platform`` ("linux/arm64") picks one, else the first image manifest."""
    layers_by_key: dict[str, LayerFiles] = {}
    aliases: dict[str, str] = {}  # legacy exports may link a repeated layer.tar to the first copy
    json_files: dict[str, object] = {}
    try:
        for member in tarstream.iter_members(fileobj):
            name = normalize_path(member.name)
            if member.type in (tarstream.SYMLINK, tarstream.HARDLINK):
                target = member.linkname
                if member.type == tarstream.SYMLINK:
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                aliases[name] = normalize_path(target)
                continue
            if member.type != tarstream.REGULAR:
                continue
            handle = member.data
            if name.endswith("json") or name in ("repositories", "oci-layout"):
                if member.size <= MAX_JSON_BLOB:
                    json_files[name] = _parse_json(handle.read())
                continue
            if name.startswith("blobs/"):
                head = handle.read(512)
                # Tar first: a layer whose first file is named "[x]..." starts with "[" too.
                if _looks_like_tar(head):
                    layers_by_key[name] = read_layer_tar(_Peeked(head, handle), name, member.size)
                elif head[:1] in (b"{", b"[") and member.size <= MAX_JSON_BLOB:
                    json_files[name] = _parse_json(head + handle.read())
                continue
            if name.endswith(".tar"):
                layers_by_key[name] = read_layer_tar(handle, name, member.size)
    except tarstream.TarFormatError as error:
        raise ExportError(f"not an image archive: {error}") from error
    total = getattr(fileobj, "total", 0)
    return _assemble(layers_by_key, aliases, json_files, total, platform)


def _parse_json(data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _blob_path(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _assemble(layers_by_key, aliases, json_files, total, platform: str | None = None) -> ImageArchive:
    manifest = json_files.get("manifest.json")
    legacy = manifest[0] if isinstance(manifest, list) and manifest else None
    legacy = legacy if isinstance(legacy, dict) else None
    index = json_files.get("index.json")
    layout = "oci" if "index.json" in json_files or "oci-layout" in json_files else "docker"
    found = _image_manifests(index, json_files) if isinstance(index, dict) else []
    chosen = _pick(found, platform)
    descriptors: list[dict] = []
    if chosen is not None:  # the OCI index: exact about platforms, attestations and blob sizes
        descriptor, image_manifest = chosen
        config_name = _blob_path(image_manifest["config"]["digest"])
        descriptors = [layer for layer in image_manifest.get("layers", []) if isinstance(layer, dict)]
        layer_keys = [_blob_path(layer.get("digest", "")) for layer in descriptors]
    elif legacy is not None:
        config_name = legacy.get("Config")
        layer_keys = list(legacy.get("Layers") or [])
    elif isinstance(index, dict):
        raise ExportError("index.json names no image manifest found in the archive")
    else:
        raise ExportError("not an image archive: neither manifest.json nor index.json")
    if platform and chosen is None:
        raise ExportError(f"the archive holds no image for platform {platform}")
    config = json_files.get(config_name) if config_name else None
    if not isinstance(config, dict):
        raise ExportError(f"image config {config_name!r} missing from the archive")
    layers = []
    for key in layer_keys:
        resolved = key
        seen = set()
        while resolved not in layers_by_key and resolved in aliases and resolved not in seen:
            seen.add(resolved)
            resolved = aliases[resolved]
        layer = layers_by_key.get(resolved)
        if layer is None:
            layer = LayerFiles(key=key, error="layer missing from the archive")
        elif any(existing is layer for existing in layers):
            # The same layer stacked twice must be applied twice: a copy with its own lists.
            layer = replace(layer, key=key, entries=dict(layer.entries),
                            whiteouts=list(layer.whiteouts), opaque_dirs=list(layer.opaque_dirs))
        layers.append(layer)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    archive = ImageArchive(layout, config, layers, diff_ids, total)
    archive.platforms = [name for d, _ in found if (name := _platform_name(d))]
    if chosen is not None:
        archive.platform = _platform_name(descriptor) or platform_text(
            config.get("os"), config.get("architecture"), config.get("variant"))
        archive.blob_sizes = [int(layer.get("size") or 0) for layer in descriptors]
        media_types = [layer.get("mediaType", "") for layer in descriptors]
        archive.compressed = any("gzip" in kind or "zstd" in kind for kind in media_types)
        archive.manifest_bytes = int(descriptor.get("size") or 0)
        archive.config_bytes = int((image_manifest.get("config") or {}).get("size") or 0)
    return archive


ATTESTATION = "attestation-manifest"


def _platform_name(descriptor: dict) -> str | None:
    platform = descriptor.get("platform")
    if not isinstance(platform, dict):
        return None
    return platform_text(platform.get("os"), platform.get("architecture"), platform.get("variant"))


def _image_manifests(index: dict, json_files: dict, seen: set | None = None) -> list[tuple[dict, dict]]:
    """(descriptor, image manifest) of every image the index reaches whose manifest is in the
    archive, in index order; nested indexes (multi-platform) are followed, attestation manifests
    (``vnd.docker.reference.type: attestation-manifest``, platform unknown/unknown) skipped."""
    seen = set() if seen is None else seen
    found = []
    for descriptor in index.get("manifests", []):
        if not isinstance(descriptor, dict):
            continue
        digest = descriptor.get("digest", "")
        annotations = descriptor.get("annotations") or {}
        if digest in seen or annotations.get("vnd.docker.reference.type") == ATTESTATION:
            continue
        seen.add(digest)
        blob = json_files.get(_blob_path(digest))
        if not isinstance(blob, dict):
            continue
        if "manifests" in blob:
            found += _image_manifests(blob, json_files, seen)
        elif "layers" in blob and "config" in blob:
            platform = descriptor.get("platform") or {}
            if platform.get("os") == "unknown":
                continue  # an attestation manifest without the annotation
            found.append((descriptor, blob))
    return found


def _pick(found: list[tuple[dict, dict]], platform: str | None) -> tuple[dict, dict] | None:
    if not found:
        return None
    if not platform:
        return found[0]
    wanted = platform.strip("/").split("/")
    for descriptor, manifest in found:
        name = _platform_name(descriptor)
        if name and name.split("/")[: len(wanted)] == wanted:
            return descriptor, manifest
    if len(found) == 1 and _platform_name(found[0][0]) is None:
        return found[0]  # a single-platform export whose index says no platform: the engine picked it
    return None


def export_image(client, image: str, platform: str | None = None) -> ImageArchive:
    """Stream ``image`` out of the engine and read it (nothing written to disk). With ``platform``
    the engine exports only that platform of a multi-platform image (API 1.48+)."""
    if platform:
        require_platform_api(client)
        response = client._get(client._url("/images/{0}/get", image), params={"platform": platform_param(platform)}, stream=True)
        client._raise_for_status(response)
        chunks = client._stream_raw_result(response, READ_SIZE, False)
    else:
        chunks = client.get_image(image, chunk_size=READ_SIZE)
    reader = ChunkReader(chunks)
    try:
        archive = read_image_archive(io.BufferedReader(reader, buffer_size=READ_SIZE), platform)
    finally:
        reader.close()
    archive.archive_bytes = reader.total
    return archive
