"""The forward-only tar reader agrees with ``tarfile`` on the formats image exports use."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.image import tarstream
from msb_tui.image.export import read_layer_tar
from msb_tui.image.filetree import DIR, FILE, HARDLINK, SYMLINK

LONG = "deep/" * 30 + "name-" * 10 + "end.txt"  # > 100 chars: needs GNU longname, pax or ustar prefix


def _tar(entries, fmt) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, kind, data, link in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            info.type = kind
            info.linkname = link
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


ENTRIES = [
    ("dir", tarfile.DIRTYPE, b"", ""),
    ("dir/file", tarfile.REGTYPE, b"x" * 1234, ""),
    (LONG, tarfile.REGTYPE, b"y" * 513, ""),
    ("dir/link", tarfile.SYMTYPE, b"", "../" + LONG),
    ("dir/hard", tarfile.LNKTYPE, b"", "dir/file"),
    ("empty", tarfile.REGTYPE, b"", ""),
    ("fifo", tarfile.FIFOTYPE, b"", ""),
]


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT])
def test_members_match_tarfile(fmt):
    entries = ENTRIES if fmt != tarfile.USTAR_FORMAT else [e for e in ENTRIES if e[3] != "../" + LONG]
    data = _tar(entries, fmt)
    got = [(m.name.rstrip("/"), m.type, m.size, m.linkname) for m in tarstream.iter_members(io.BytesIO(data))]
    expected = [(m.name, m.type, m.size, m.linkname) for m in tarfile.open(fileobj=io.BytesIO(data))]
    assert [g[0] for g in got] == [e[0] for e in expected]
    assert [(g[2], g[3]) for g in got] == [(e[2] if e[1] == tarfile.REGTYPE else 0, e[3]) for e in expected]
    kinds = ["dir", "file", "file", "symlink", "hardlink", "file", "other"]
    if fmt == tarfile.USTAR_FORMAT:
        kinds.remove("symlink")
    assert [g[1] for g in got] == kinds


def test_data_can_be_read_or_skipped():
    data = _tar(ENTRIES, tarfile.GNU_FORMAT)
    seen = {}
    for member in tarstream.iter_members(io.BytesIO(data)):
        if member.name == "dir/file":
            seen[member.name] = member.data.read(10) + member.data.read()
        elif member.name == LONG:
            member.data.skip(100)
            seen[member.name] = member.data.read()
    assert seen == {"dir/file": b"x" * 1234, LONG: b"y" * 413}


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress])
def test_compressed_layers(compress):
    layer = read_layer_tar(io.BytesIO(compress(_tar(ENTRIES, tarfile.GNU_FORMAT))))
    assert layer.error is None
    assert layer.entries["dir/file"][:2] == (FILE, 1234)
    assert layer.entries["dir"][0] == DIR and layer.entries["dir/link"][0] == SYMLINK and layer.entries["dir/hard"][0] == HARDLINK


def test_a_gzip_layer_skips_a_large_file():
    # Skipping more than tarstream.SKIP_SIZE asks the gzip reader to seek (as the containerd store's
    # compressed layers need).
    big = [("big.bin", tarfile.REGTYPE, b"z" * (3 << 20), ""), ("after", tarfile.REGTYPE, b"a", "")]
    layer = read_layer_tar(io.BytesIO(gzip.compress(_tar(big, tarfile.GNU_FORMAT))))
    assert layer.error is None
    assert layer.entries == {"big.bin": (FILE, 3 << 20, 0), "after": (FILE, 1, 0)}


def test_zstd_and_garbage_are_reported_per_layer():
    assert read_layer_tar(io.BytesIO(b"\x28\xb5\x2f\xfd" + b"\0" * 600)).error == "zstd-compressed layer: not supported"
    assert read_layer_tar(io.BytesIO(b"not a tar" * 100)).error.startswith("unreadable layer tar")


def test_truncated_stream_raises():
    data = _tar(ENTRIES, tarfile.GNU_FORMAT)
    with pytest.raises(tarstream.TarFormatError):
        list(tarstream.iter_members(io.BytesIO(data[:2000])))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcdé/_.-", min_size=1, max_size=160).filter(lambda s: s.strip("/") and "//" not in s and not s.endswith("/")),
            st.binary(max_size=1500),
        ),
        max_size=8,
        unique_by=lambda item: item[0],
    ),
    st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]),
)
def test_any_regular_files_round_trip(files, fmt):
    data = _tar([(name, tarfile.REGTYPE, content, "") for name, content in files], fmt)
    got = [(m.name, m.data.read()) for m in tarstream.iter_members(io.BytesIO(data))]
    expected = [(m.name, tarfile.open(fileobj=io.BytesIO(data)).extractfile(m).read()) for m in tarfile.open(fileobj=io.BytesIO(data))]
    assert got == expected
