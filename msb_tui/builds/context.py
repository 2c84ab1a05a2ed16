"""The build context as the engine wants it: a GNU tar of the context folder, spooled to a temp file.

Why not ``docker.utils.create_archive``: it writes float mtimes (PAX headers), which makes
BuildKit read the body as a Dockerfile. Here every member is a GNU header with an integer
mtime, owned by root (as the Docker CLI sends it), ``.dockerignore`` is applied with Docker's
pattern rules, symlinks stay links, and nothing outside the context is read (a Dockerfile in the
context that links out of it is refused); which files go in is ``context_files.ContextFiles.walk``.
A Dockerfile given with ``-f`` outside the context is
added under a unique name that the uploaded ``.dockerignore`` lists, as the docker CLI does, so it
never lands in the image.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import tempfile
import time
from collections.abc import Callable

from msb_tui.builds.context_files import ContextEntry, ContextError, ContextFiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from _typeshed import StrPath

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(files, bytes)`` while the tar is written (throttled)."""

_PROGRESS_EVERY = 0.1  # seconds between progress callbacks
_GNU_MAGIC = b"ustar  \0"
_MAX_SIZE = 8**11 - 1  # what an octal 12-byte field holds; bigger needs tarfile's base-256 form


def _octal(value: int, digits: int) -> bytes:
    return b"%0*o\0" % (digits - 1, value)


def gnu_header(info: tarfile.TarInfo) -> bytes | None:
    """The 512-byte GNU header ``tarfile`` would write for ``info`` (root-owned, no user/group names),
    built directly — ``TarInfo.tobuf`` costs several times more per file. None when the member needs
    tarfile's extensions (a name or link over 100 bytes, a size over 8 GB): call ``tobuf`` then."""
    name = info.name
    if info.type == tarfile.DIRTYPE and not name.endswith("/"):
        name += "/"
    name_bytes = name.encode("utf-8", "surrogateescape")
    link_bytes = info.linkname.encode("utf-8", "surrogateescape")
    if len(name_bytes) > 100 or len(link_bytes) > 100 or info.size > _MAX_SIZE or info.uid or info.gid:
        return None
    if info.uname or info.gname or not 0 <= info.mtime < 8**11:
        return None
    device = info.type in (tarfile.CHRTYPE, tarfile.BLKTYPE)
    header = b"".join((
        name_bytes.ljust(100, b"\0"),
        _octal(info.mode & 0o7777, 8),
        b"0000000\0",  # uid
        b"0000000\0",  # gid
        _octal(info.size, 12),
        _octal(int(info.mtime), 12),
        b"        ",  # checksum, counted as spaces
        info.type,
        link_bytes.ljust(100, b"\0"),
        _GNU_MAGIC,
        b"\0" * 64,  # uname, gname
        _octal(info.devmajor, 8) if device else b"\0" * 8,
        _octal(info.devminor, 8) if device else b"\0" * 8,
        b"\0" * 167,  # prefix (155) and the rest of the block
    ))
    checksum = sum(header)
    return header[:148] + b"%06o\0" % checksum + header[155:]


class _TarWriter:
    """Writes GNU tar members straight into the spool: integer mtimes, root owner, no user/group
    name lookups, hard links inside the context kept as links, and no member list kept in memory
    (``tarfile.TarFile`` would hold one TarInfo per file)."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self._inodes: dict[tuple[int, int], str] = {}

    def info(self, entry: ContextEntry) -> tarfile.TarInfo | None:
        """The member for a walked entry (a link is the link itself); None for sockets and the like."""
        st, arcname = entry.stat, entry.rel
        mode = st.st_mode
        info = tarfile.TarInfo(arcname)
        info.mode, info.mtime = stat.S_IMODE(mode), int(st.st_mtime)
        if stat.S_ISREG(mode):
            key = (st.st_dev, st.st_ino)
            first = self._inodes.get(key) if st.st_nlink > 1 else None
            if first is not None:
                info.type = tarfile.LNKTYPE
                info.linkname = first
            else:
                if st.st_nlink > 1:
                    self._inodes[key] = arcname
                info.size = st.st_size
        elif stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
        elif stat.S_ISLNK(mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.readlink(entry.path)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        else:
            return None
        return info

    def add(self, info: tarfile.TarInfo, data: BinaryIO | None = None) -> None:
        """Write the header and exactly ``info.size`` bytes of ``data`` (a file that shrank while being
        read is padded with zeros, one that grew is cut: the header already holds the size)."""
        out = self.out
        out.write(gnu_header(info) or info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape"))
        if info.type not in (tarfile.REGTYPE, tarfile.AREGTYPE) or info.size == 0:
            return
        remaining = info.size
        while remaining:
            chunk = data.read(min(remaining, 1 << 20)) if data is not None else b""
            if not chunk:
                out.write(b"\0" * remaining)
                break
            out.write(chunk)
            remaining -= len(chunk)
        padding = -info.size % tarfile.BLOCKSIZE
        if padding:
            out.write(b"\0" * padding)

    def close(self) -> None:
        """Two zero blocks end the archive; pad to a whole record like tar(1)."""
        self.out.write(b"\0" * (2 * tarfile.BLOCKSIZE))
        position = self.out.tell()
        padding = -position % tarfile.RECORDSIZE
        if padding:
            self.out.write(b"\0" * padding)


def make_context_tar(
    context_dir: StrPath, dockerfile: StrPath | None = None, progress: ProgressCallback | None = None,
    extra_ignore: str = "", *, send_dockerfile: bytes | None = None,
) -> tuple[BinaryIO, str]:
    """Tar the build context into a seekable temp file; return it (at offset 0) and the Dockerfile's
    name inside the tar (relative path, or a unique ``.msb-tui-dockerfile-*`` name when ``-f`` points
    outside the context). ``extra_ignore``: ``.dockerignore`` lines added to the context's own.
    ``send_dockerfile``: build this text instead (added like a Dockerfile from outside), with the
    context exactly as a build of ``dockerfile`` sends it (its ignore file, the Dockerfile itself)."""
    files = ContextFiles(context_dir, dockerfile, extra_ignore)
    # In memory up to _IN_MEMORY bytes (most contexts), then a temporary file holding everything.
    spool = tempfile.SpooledTemporaryFile(_IN_MEMORY, prefix="msb-tui-context-", suffix=".tar")
    try:
        dockerfile_rel = _write_tar(spool, files, progress, send_dockerfile)
    except BaseException:
        spool.close()  # a failed or cancelled tar (progress may raise to stop it) leaves nothing behind
        raise
    spool.flush()
    spool.seek(0)
    return spool, dockerfile_rel


_IN_MEMORY = 32 << 20
_BIG_FILE = 8 << 20  # files above this report progress while they are copied


class _ReportingReader:
    """A file wrapper that reports bytes read (about every 4 MB), so a huge file shows progress and a
    progress callback can stop the tar by raising."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]):
        self._handle = handle
        self._report = report
        self._read = 0
        self._next = 4 << 20

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._read += len(data)
        if self._read >= self._next:
            self._next = self._read + (4 << 20)
            self._report(self._read)
        return data


def _write_tar(spool: BinaryIO, context: ContextFiles, progress: ProgressCallback | None,
               send_dockerfile: bytes | None = None) -> str:
    """Write the context into ``spool``; return the Dockerfile's name in the tar."""
    files = 0
    size = 0
    last_report = time.monotonic()
    dockerfile_rel = context.dockerfile_rel
    # A Dockerfile from outside (or another text to build) is added under its own name at the end.
    outside = dockerfile_rel is None or send_dockerfile is not None
    tar = _TarWriter(spool)
    for entry in context.walk():
        if outside and entry.rel == ".dockerignore":
            continue  # written at the end, naming the added Dockerfile
        info = tar.info(entry)
        if info is None:
            continue
        if info.type == tarfile.DIRTYPE:
            tar.add(info)
            continue
        if info.type == tarfile.REGTYPE:
            try:
                handle = open(entry.path, "rb")
            except OSError as error:
                # Like the Docker CLI: an unreadable file in the context is an error, not a gap.
                raise ContextError(f"cannot read {entry.rel} in the build context: {error.strerror or error}") from error
            with handle:
                if progress is not None and info.size > _BIG_FILE:
                    tar.add(info, _ReportingReader(handle, lambda n: progress(files, size + n)))
                else:
                    tar.add(info, handle)
            size += info.size
        else:
            tar.add(info)
        files += 1
        if progress is not None and time.monotonic() - last_report >= _PROGRESS_EVERY:
            last_report = time.monotonic()
            progress(files, size)
    if outside:
        if send_dockerfile is not None:
            data = send_dockerfile
        else:
            with open(context.dockerfile_path, "rb") as handle:
                data = handle.read()
        digest = hashlib.sha256(os.fsencode(os.path.abspath(context.dockerfile_path)) + data).hexdigest()[:12]
        dockerfile_rel = f".msb-tui-dockerfile-{digest}"
        now = int(time.time())
        tar.add(_member(dockerfile_rel, len(data), now), io.BytesIO(data))
        # Like the docker CLI: the added Dockerfile (and .dockerignore) are listed in the uploaded
        # .dockerignore, so the engine reads the Dockerfile but `COPY . /app` does not copy it.
        ignore_text = context.matcher.text
        ignore = (ignore_text.rstrip("\n") + f"\n.dockerignore\n{dockerfile_rel}\n").lstrip("\n").encode("utf-8")
        tar.add(_member(".dockerignore", len(ignore), now), io.BytesIO(ignore))
        files += 2
        size += len(data) + len(ignore)
    tar.close()
    if progress is not None:
        progress(files, size)
    return dockerfile_rel


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = size, mtime
    return info
