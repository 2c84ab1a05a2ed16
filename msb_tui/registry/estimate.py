"""A layer's wire size estimated from a sample of its files, without exporting or gzipping it all.

On the overlay2 store a never-pushed layer has no compressed size until docker gzips it during the
push; computing it exactly costs what the push costs. But deflate looks back only 32 KiB, so any
stretch of the layer tar compresses alone (primed with the 32 KiB before it) to what it adds inside
the whole stream. :class:`LayerTar` lays out the tar the engine would write from the layer's
folder (entries in name order, a 512-byte header each, data padded to 512 bytes) and reads any
stretch of it; :func:`estimate_layer` gzips evenly spaced stretches (a few per cent of the tar) and
scales up. The spread between stretches gives a margin (95 %). It is an estimate, always shown as
one ("~", the sample's share), until a push or the export measures the layer.
"""

from __future__ import annotations

import bisect
import math
import os
import stat
import statistics
import tarfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from msb_tui.registry.deflate import GZIP_FRAME, WINDOW, deflated_size, workers

SAMPLE = 0.02  # share of the tar gzipped: most of the plan's CPU (1.5% saved 16% of it but missed by -2.5% instead of -0.6%)
MIN_SAMPLE = 4 << 20  # but at least this many bytes (a tenth of a second of zlib): smaller layers get a larger share
STRETCH = 16 << 10  # bytes per sampled stretch: many small ones spread the sample (64 KiB: twice the margin)
WHOLE = 8 << 20  # a tar up to this size is gzipped whole


@dataclass(frozen=True, slots=True)
class Estimate:
    wire_size: int
    tar_size: int
    sampled: int  # bytes of the tar gzipped
    margin: float  # relative half-width of the 95 % interval (0 when everything was gzipped)

    @property
    def fraction(self) -> float:
        return min(1.0, self.sampled / self.tar_size) if self.tar_size else 1.0


class _Entry(NamedTuple):  # a tuple: 21,000 of them are made per 600 MB layer, in the plan's time
    offset: int
    header: int  # header bytes before the data
    path: str  # on disk
    name: str  # in the tar
    size: int  # data bytes (0 for all but the first name of a regular file)
    mode: int
    mtime: int
    linkname: str = ""
    kind: bytes = tarfile.REGTYPE


def _ustar_fits(name: str, linkname: str) -> bool:
    """Go's archive/tar writes USTAR when the names are ASCII and fit (a long path split at a '/'
    into a 155-byte prefix and a 100-byte name), else a PAX record block in front."""
    if not (name.isascii() and linkname.isascii()) or len(linkname) > 100:
        return False
    if len(name) <= 100:
        return True
    cut = name.rfind("/", 0, 156)
    return 0 < cut and len(name) - cut - 1 <= 100


def _header_length(name: str, linkname: str) -> int:
    if _ustar_fits(name, linkname):
        return 512
    records = [f"path={name}"] + ([f"linkpath={linkname}"] if linkname else [])
    body = 0
    for record in records:  # "<length> path=...\n", the length counting its own digits
        length = len(record.encode("utf-8", "surrogateescape")) + 2
        body += length + len(str(length + len(str(length))))
    return 512 + math.ceil(body / 512) * 512 + 512


class LayerTar:
    """The layer tar of a folder, laid out without reading a file, readable at any offset."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.entries: list[_Entry] = []
        self._names: dict[tuple[int, int], str] = {}  # (device, inode) -> first name of a hard-linked file
        self.size = 0
        self._walk(str(folder), "")
        self.size += 1024  # two zero blocks end the archive
        self._offsets = [entry.offset for entry in self.entries]

    def _walk(self, directory: str, prefix: str) -> None:
        with os.scandir(directory) as listing:
            found = sorted(listing, key=lambda item: item.name)
        for item in found:
            info = item.stat(follow_symlinks=False)
            name = prefix + item.name
            size, linkname, kind = 0, "", tarfile.REGTYPE
            is_dir = stat.S_ISDIR(info.st_mode)
            if stat.S_ISREG(info.st_mode):
                key = (info.st_dev, info.st_ino)
                if info.st_nlink > 1 and key in self._names:  # a second name of a file: a link entry, no data
                    linkname, kind = self._names[key], tarfile.LNKTYPE
                else:
                    size = info.st_size
                    if info.st_nlink > 1:
                        self._names[key] = name
            elif stat.S_ISLNK(info.st_mode):
                linkname, kind = os.readlink(item.path), tarfile.SYMTYPE
            elif is_dir:
                kind = tarfile.DIRTYPE
            tar_name = name + "/" if is_dir else name
            header = 512 if len(tar_name) <= 100 and not linkname and tar_name.isascii() else _header_length(tar_name, linkname)
            self.entries.append(_Entry(self.size, header, item.path, tar_name, size, info.st_mode, int(info.st_mtime),
                                       linkname, kind))
            self.size += header + (size + 511) // 512 * 512
            if is_dir:
                self._walk(item.path, name + "/")

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes of the tar from ``offset`` (headers made up as tarfile writes them)."""
        out = bytearray()
        index = bisect.bisect_right(self._offsets, offset) - 1
        while length > 0 and 0 <= index < len(self.entries):
            entry = self.entries[index]
            position = offset - entry.offset
            if position < entry.header:
                piece = self._header(entry)[position:position + length]
            else:
                position -= entry.header
                padded = math.ceil(entry.size / 512) * 512
                if position >= padded:
                    index += 1
                    continue
                piece = self._data(entry, position, min(length, padded - position))
            out += piece
            offset += len(piece)
            length -= len(piece)
        if length > 0:
            out += bytes(min(length, max(0, self.size - offset)))  # the end-of-archive blocks
        return bytes(out)

    @staticmethod
    def _header(entry: _Entry) -> bytes:
        info = tarfile.TarInfo(entry.name)
        info.mode, info.mtime, info.size = stat.S_IMODE(entry.mode), entry.mtime, entry.size
        info.type, info.linkname = entry.kind, entry.linkname
        form = tarfile.USTAR_FORMAT if _ustar_fits(entry.name, entry.linkname) else tarfile.PAX_FORMAT
        raw = info.tobuf(form, "utf-8", "surrogateescape")
        return raw[:entry.header].ljust(entry.header, b"\0")

    @staticmethod
    def _data(entry: _Entry, position: int, length: int) -> bytes:
        data = b""
        if position < entry.size:
            descriptor = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                data = os.pread(descriptor, min(length, entry.size - position), position)
            finally:
                os.close(descriptor)
        return data + bytes(length - len(data))  # padding (or a file that shrank meanwhile)


def estimate_layer(folder: Path, fraction: float = SAMPLE, stretch: int = STRETCH) -> Estimate:
    """The gzip -6 size of ``folder``'s layer tar, from evenly spaced stretches (all of a small one)."""
    tar = LayerTar(folder)
    if tar.size <= WHOLE:
        stretch, count = WHOLE, 1
    else:
        count = math.ceil(max(tar.size * fraction, min(MIN_SAMPLE, tar.size / 2)) / stretch)
    step = tar.size / count
    starts = [int(step * (index + 0.5) - stretch / 2) if count > 1 else 0 for index in range(count)]

    def gzip_stretch(start: int) -> tuple[int, int]:
        primed = min(start, WINDOW)  # the 32 KiB before the stretch and the stretch, in one read
        block = tar.read(start - primed, primed + stretch)
        return len(block) - primed, deflated_size(block[primed:], block[:primed])

    with ThreadPoolExecutor(workers(), thread_name_prefix="wire-estimate") as pool:
        pieces = [piece for piece in pool.map(gzip_stretch, starts) if piece[0]]
    read = sum(raw for raw, _ in pieces)
    ratio = sum(packed for _, packed in pieces) / read if read else 1.0
    margin = 0.0
    if count > 1 and len(pieces) > 1 and ratio:
        spread = statistics.stdev(packed / raw for raw, packed in pieces) / math.sqrt(len(pieces))
        margin = 1.96 * spread * math.sqrt(max(0.0, 1 - read / tar.size)) / ratio
    return Estimate(wire_size=round(ratio * tar.size) + GZIP_FRAME, tar_size=tar.size, sampled=read, margin=margin)
