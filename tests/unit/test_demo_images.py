"""The offline image makers' pure parts: the Debian mirror apt uses, the busybox root filesystem,
and which build args a demo Dockerfile takes."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from msb_tui.engine.demo_images import busybox_tar, debian_mirror
from msb_tui.offline import BUSYBOX_IMAGE, GO_SDK_IMAGE, offline_build_args


def test_mirror_from_deb822_skips_security(tmp_path):
    sources = tmp_path / "debian.sources"
    sources.write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    assert debian_mirror([tmp_path / "missing.list", sources]) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path):
    sources = tmp_path / "sources.list"
    sources.write_text("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n")
    assert debian_mirror([sources]) == "http://mirror.example/debian"


def test_no_mirror_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="no Debian mirror"):
        debian_mirror([tmp_path / "nothing"])


@pytest.mark.skipif(not Path("/bin/busybox").exists(), reason="busybox-static is installed by the set-up")
def test_busybox_rootfs_is_a_gnu_tar_with_applet_links():
    data = busybox_tar(Path("/bin/busybox"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["bin/busybox"].isfile() and members["bin/busybox"].mode == 0o755
    assert members["bin/sh"].issym() and members["bin/sh"].linkname == "/bin/busybox"
    assert members["tmp"].isdir() and members["tmp"].mode == 0o1777
    assert isinstance(members["etc/passwd"].mtime, int)
    # BuildKit reads a body whose first block is not a tar header as a Dockerfile: no PAX header.
    assert data[257:263] == b"ustar " and not data.startswith(b"././@PaxHeader")


def test_offline_build_args_only_for_declared_args(demos):
    go = (demos / "go" / "Dockerfile").read_text()
    seed = (demos / "seed-example" / "Dockerfile").read_text()
    assert offline_build_args(go) == {"SDK_IMAGE": GO_SDK_IMAGE}
    assert offline_build_args(seed) == {"BASE_IMAGE": BUSYBOX_IMAGE}
    assert offline_build_args("FROM scratch\n") == {}
