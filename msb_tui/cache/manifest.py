"""Checksums of the build context as it is sent to the engine, and what changed between two of them.

A step whose ``COPY``/``ADD`` sources changed runs again; to say *which* files changed, msb-tui keeps
a manifest of the context of each build: per file its size, mode and sha256 (a symlink: the sha256
of its target, which is what the engine copies). The files are the ones the context tar holds
(``ContextFiles.walk``: the same ``.dockerignore`` rules, the same walk), so a manifest describes
the context as it was sent. Folders and special files are left out; a Dockerfile given with ``-f``
from outside the context is not part of it either.

Checksumming must not cost more than sending the context (benchmarks/bench_context_checksum.py):
files are read by a small thread pool (hashlib releases the GIL on large buffers, reads release it
always), and a file whose size, mtime, ctime and inode are those of the previous manifest keeps
its checksum without being read.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from msb_tui.builds.context_files import ContextError, ContextFiles


FORMAT = "msb-tui-context-manifest"
VERSION = 1
_FIELDS = ("size", "mode", "sha256", "mtime_ns", "ctime_ns", "ino")

# A file changed within this long before the previous manifest was taken may have changed again
# in the same timestamp tick (coarse file-system clocks): it is read again instead of trusted.
_RACY_NS = 2_000_000_000
_SMALL = 1 << 20  # files up to this size are read in one call
_BATCH_FILES, _BATCH_BYTES = 256, 16 << 20  # the work one thread takes at a time


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of the context. ``mode`` is ``st_mode`` (type and permission bits); the times and
    the inode only decide whether the next manifest may reuse ``sha256`` (not part of equality)."""

    size: int
    mode: int
    sha256: str
    mtime_ns: int = field(default=0, compare=False)
    ctime_ns: int = field(default=0, compare=False)
    ino: int = field(default=0, compare=False)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"  # content (or a file became a link, or the reverse)
    MODE = "mode"  # same content, other permission bits


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str
    kind: ChangeKind
    old_size: int | None
    new_size: int | None


class ManifestError(ValueError):
    """Text that is not a context manifest msb-tui wrote."""


@dataclass
class ContextManifest:
    """The files of a build context as sent: ``{slash path in the context: FileEntry}``."""

    files: dict[str, FileEntry]
    context: str = ""  # the context folder, as given
    dockerfile: str = ""  # the Dockerfile's path in the context ("" when it came from outside)
    taken_ns: int = 0  # when the walk started (time.time_ns())

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.files.values())

    def to_json(self) -> str:
        """Compact JSON (one array per file, in ``fields`` order): 100,000 files take ~12 MB."""
        return json.dumps({
            "format": FORMAT,
            "version": VERSION,
            "context": self.context,
            "dockerfile": self.dockerfile,
            "taken_ns": self.taken_ns,
            "total_bytes": self.total_bytes,
            "fields": list(_FIELDS),
            "files": {path: [getattr(entry, name) for name in _FIELDS] for path, entry in self.files.items()},
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> ContextManifest:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ManifestError(f"not a context manifest: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ManifestError("not a context manifest (no msb-tui manifest header)")
        if data.get("version") != VERSION:
            raise ManifestError(f"context manifest version {data.get('version')!r} is not {VERSION}")
        fields = data.get("fields")
        raw = data.get("files")
        if not isinstance(fields, list) or not isinstance(raw, dict) or not {"size", "mode", "sha256"} <= set(fields):
            raise ManifestError("context manifest without its file list")
        files: dict[str, FileEntry] = {}
        try:
            for path, values in raw.items():
                item = dict(zip(fields, values, strict=True))
                files[str(path)] = FileEntry(**{name: item[name] for name in _FIELDS if name in item})
        except (TypeError, ValueError) as error:
            raise ManifestError(f"context manifest: bad entry {path!r}: {error}") from None
        return cls(files, str(data.get("context", "")), str(data.get("dockerfile", "")), int(data.get("taken_ns", 0)))


def make_manifest(
    context_dir: str | os.PathLike[str],
    dockerfile: str | os.PathLike[str] | None = None,
    *,
    previous: ContextManifest | None = None,
    workers: int | None = None,
) -> ContextManifest:
    """The manifest of the context as ``make_context_tar`` would send it (``ContextError`` as there:
    a missing context or Dockerfile, an unreadable file). ``previous``: reuse its checksums of
    unchanged files. ``workers``: reading threads (default: 2 per core, at most 8)."""
    taken_ns = time.time_ns()
    context = ContextFiles(context_dir, dockerfile)
    reusable = _reusable(previous)
    files: dict[str, FileEntry] = {}
    to_read: list[tuple[str, str, os.stat_result]] = []
    links: dict[tuple[int, int], list[str]] = {}  # hard links: read once, every name gets the sum
    for entry in context.walk():
        st = entry.stat
        if stat.S_ISLNK(st.st_mode):
            target = os.fsencode(os.readlink(entry.path))
            files[entry.rel] = _entry(st, hashlib.sha256(target).hexdigest(), size=len(target))
        elif stat.S_ISREG(st.st_mode):
            known = reusable.get(entry.rel)
            if known is not None and _same_file(known, st):
                files[entry.rel] = _entry(st, known.sha256)
                continue
            if st.st_nlink > 1:
                names = links.setdefault((st.st_dev, st.st_ino), [])
                names.append(entry.rel)
                if len(names) > 1:
                    continue
            to_read.append((entry.rel, entry.path, st))
    for (rel, _path, st), digest in zip(to_read, _digests(to_read, workers), strict=True):
        files[rel] = _entry(st, digest)
        for other in links.get((st.st_dev, st.st_ino), ())[1:]:
            files[other] = files[rel]
    ordered = dict(sorted(files.items()))
    return ContextManifest(ordered, os.fspath(context_dir), context.dockerfile_rel or "", taken_ns)


def diff(old: ContextManifest, new: ContextManifest) -> list[FileChange]:
    """What changed from ``old`` to ``new``, sorted by path."""
    changes = []
    for path in sorted(old.files.keys() | new.files.keys()):
        before, after = old.files.get(path), new.files.get(path)
        if before is None:
            changes.append(FileChange(path, ChangeKind.ADDED, None, after.size))
        elif after is None:
            changes.append(FileChange(path, ChangeKind.REMOVED, before.size, None))
        elif before.sha256 != after.sha256 or stat.S_IFMT(before.mode) != stat.S_IFMT(after.mode):
            changes.append(FileChange(path, ChangeKind.MODIFIED, before.size, after.size))
        elif stat.S_IMODE(before.mode) != stat.S_IMODE(after.mode):
            changes.append(FileChange(path, ChangeKind.MODE, before.size, after.size))
    return changes


def _entry(st: os.stat_result, digest: str, size: int | None = None) -> FileEntry:
    return FileEntry(st.st_size if size is None else size, st.st_mode, digest, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _reusable(previous: ContextManifest | None) -> dict[str, FileEntry]:
    """The previous manifest's files whose checksum can be trusted when their stat is unchanged."""
    if previous is None or not previous.taken_ns:
        return {}
    limit = previous.taken_ns - _RACY_NS
    return {path: entry for path, entry in previous.files.items()
            if entry.ino and entry.mtime_ns < limit and entry.ctime_ns < limit and not entry.is_link}


def _same_file(known: FileEntry, st: os.stat_result) -> bool:
    return (known.size == st.st_size and known.mtime_ns == st.st_mtime_ns
            and known.ctime_ns == st.st_ctime_ns and known.ino == st.st_ino)


def _digests(to_read: list[tuple[str, str, os.stat_result]], workers: int | None) -> list[str]:
    if not to_read:
        return []
    if workers is None:
        workers = min(8, 2 * (os.cpu_count() or 1))
    if workers <= 1 or len(to_read) == 1:
        return [_digest(item) for item in to_read]
    # Batches of about _BATCH_BYTES or _BATCH_FILES: a future per file costs more than a small file's sum.
    batches: list[list[tuple[str, str, os.stat_result]]] = [[]]
    size = 0
    for item in to_read:
        if len(batches[-1]) >= _BATCH_FILES or size >= _BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item[2].st_size
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="msb-tui-checksum") as pool:
        return [digest for batch in pool.map(_digest_batch, batches) for digest in batch]


def _digest_batch(items: list[tuple[str, str, os.stat_result]]) -> list[str]:
    return [_digest(item) for item in items]


def _digest(item: tuple[str, str, os.stat_result]) -> str:
    rel, path, st = item
    try:
        with open(path, "rb", buffering=0) as handle:
            if st.st_size <= _SMALL:
                return hashlib.sha256(handle.read()).hexdigest()
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as error:
        # Like the context tar: a file the engine cannot be sent is an error, not a gap.
        raise ContextError(f"cannot read {rel} in the build context: {error.strerror or error}") from error
