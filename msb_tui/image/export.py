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
import gzip
import io
import json
import lzma
import queue
import threading
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

from msb_tui.image import tarstream
from msb_tui.image.filetree import DIR, FILE, HARDLINK, OTHER, SYMLINK, LayerFiles, normalize_path

READ_SIZE = 1 << 20  # block size for reading the stream and skipping file data
PREFETCH_CHUNKS = 32  # up to 32 MB read ahead of the parser
MAX_JSON_BLOB = 16 << 20  # OCI blobs smaller than this that start with "{" are read as JSON
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ExportError(Exception):
    """The export could not be understood (not an image archive, missing manifest, ...)."""


@dataclass
class ImageArchive:
    """What an image export holds, layers in the order they stack (bottom first)."""

    layout: str  # "docker" (legacy) or "oci"
    config: dict
    layers: list[LayerFiles]
    diff_ids: list[str]
    repo_tags: list[str] = field(default_factory=list)
    archive_bytes: int = 0


class ChunkReader(io.RawIOBase):
    """A readable file over an iterable of byte chunks (``APIClient.get_image`` yields chunks).

    With ``prefetch`` a thread pulls chunks from the engine into a bounded queue while the
    caller parses: the engine keeps producing the export instead of waiting on a full socket.
    """

    def __init__(self, chunks: Iterable[bytes], prefetch: int = 0):
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = memoryview(b"")
        self.total = 0
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        if prefetch:
            self._queue = queue.Queue(maxsize=prefetch)
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
        if self._queue is None:
            return next(self._chunks, None)
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


_KINDS = {tarstream.REGULAR: FILE, tarstream.DIRECTORY: DIR, tarstream.SYMLINK: SYMLINK, tarstream.HARDLINK: HARDLINK}


def _decompressed(head: bytes, fileobj: BinaryIO) -> BinaryIO | None:
    """A reader of the uncompressed tar (None when the compression is not supported)."""
    stream = _Peeked(head, fileobj)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if head[:3] == b"BZh":
        return bz2.BZ2File(stream)
    if head[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(stream)
    if head.startswith(_ZSTD_MAGIC):
        return None
    return stream


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
    add = layer.add_member
    kinds = _KINDS
    try:
        for member in tarstream.iter_members(stream):
            add(member.name, kinds.get(member.type, OTHER), member.size)
    except (tarstream.TarFormatError, EOFError, OSError, ValueError) as error:
        layer.error = f"unreadable layer tar: {error}"
    return layer


def _looks_like_tar(head: bytes) -> bool:
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00" or head[:4] == _ZSTD_MAGIC:
        return True
    if len(head) < 512:
        return len(head) == 0
    return tarstream.header_ok(head) or head == b"\0" * 512  # an empty tar is all zero blocks


def read_image_archive(fileobj: BinaryIO) -> ImageArchive:
    """Read a whole image export from a stream (one pass, memory bounded by the file index)."""
    layers_by_key: dict[str, LayerFiles] = {}
    aliases: dict[str, str] = {}  # legacy exports may link a repeated layer.tar to the first copy
    json_files: dict[str, object] = {}
    try:
        for member in tarstream.iter_members(fileobj):
            name = normalize_path(member.name)
            if member.type in (tarstream.SYMLINK, tarstream.HARDLINK):
                target = member.linkname
                if member.type == tarstream.SYMLINK:
                    base = name.rsplit("/", 1)[0] if "/" in name else ""
                    target = _join(base, target)
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
    return _assemble(layers_by_key, aliases, json_files, total)


def _join(base: str, target: str) -> str:
    parts = [p for p in (base.split("/") if base else [])]
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _parse_json(data: bytes) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _blob_path(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _assemble(layers_by_key, aliases, json_files, total) -> ImageArchive:
    manifest = json_files.get("manifest.json")
    layout = "oci" if "index.json" in json_files or "oci-layout" in json_files else "docker"
    config_name: str | None = None
    layer_keys: list[str] = []
    repo_tags: list[str] = []
    if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
        entry = manifest[0]
        config_name = entry.get("Config")
        layer_keys = list(entry.get("Layers") or [])
        repo_tags = list(entry.get("RepoTags") or [])
    else:
        index = json_files.get("index.json")
        if not isinstance(index, dict):
            raise ExportError("not an image archive: neither manifest.json nor index.json")
        image_manifest = _find_image_manifest(index, json_files)
        if image_manifest is None:
            raise ExportError("index.json names no image manifest found in the archive")
        config_name = _blob_path(image_manifest["config"]["digest"])
        layer_keys = [_blob_path(layer["digest"]) for layer in image_manifest.get("layers", [])]
        for descriptor in index.get("manifests", []):
            tag = (descriptor.get("annotations") or {}).get("io.containerd.image.name")
            if tag:
                repo_tags.append(tag)
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
            layer = _copy_layer(layer, key)  # the same layer stacked twice must be applied twice
        layers.append(layer)
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    return ImageArchive(layout, config, layers, diff_ids, repo_tags, total)


def _copy_layer(layer: LayerFiles, key: str) -> LayerFiles:
    return LayerFiles(
        key=key,
        tar_size=layer.tar_size,
        entries=dict(layer.entries),
        whiteouts=list(layer.whiteouts),
        opaque_dirs=list(layer.opaque_dirs),
        error=layer.error,
    )


def _find_image_manifest(index: dict, json_files: dict) -> dict | None:
    for descriptor in index.get("manifests", []):
        blob = json_files.get(_blob_path(descriptor.get("digest", "")))
        if not isinstance(blob, dict):
            continue
        if "layers" in blob and "config" in blob:
            return blob
        if "manifests" in blob:  # a nested index (multi-platform): take the first image manifest
            found = _find_image_manifest(blob, json_files)
            if found is not None:
                return found
    return None


def export_image(client, image: str, chunk_size: int = READ_SIZE) -> ImageArchive:
    """Stream ``image`` out of the engine and read it (nothing written to disk)."""
    reader = ChunkReader(client.get_image(image, chunk_size=chunk_size), prefetch=PREFETCH_CHUNKS)
    try:
        archive = read_image_archive(io.BufferedReader(reader, buffer_size=READ_SIZE))
    finally:
        reader.close()
    archive.archive_bytes = reader.total
    return archive
