"""Seed the offline base images the demos need, with no registry.

- ``msb-demo/busybox``: a static busybox and its applet links, imported as a one-layer image
  (under a second).
- ``msb-demo/golang``: a real Debian root filesystem with Go, made by ``debootstrap`` from the
  Debian mirror apt already uses, imported as an SDK image (~770 MB, about a minute). The root
  filesystem tar is cached, so each further engine only imports it.

Images that already exist are reused. Needs root on Debian/Ubuntu to install busybox-static and
debootstrap when they are missing.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from msb_tui.offline import BUSYBOX_IMAGE, GO_SDK_IMAGE
from msb_tui.paths import cache_dir

Say = Callable[[str], None]

GO_SDK_PATH = "/usr/lib/go-1.19/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEBIAN_SUITE = "bookworm"
# debootstrap's "I: <Verb> ..." lines, folded into the three phases a user cares about.
_DEBOOTSTRAP_PHASES = {
    "Retrieving": "download", "Validating": "download",
    "Extracting": "extract",
    "Installing": "install", "Unpacking": "install", "Configuring": "install",
}


def _say(message: str) -> None:
    print(f"msb-tui demo-images: {message}", file=sys.stderr, flush=True)


def _split(ref: str) -> tuple[str, str]:
    repository, _, tag = ref.rpartition(":")
    return repository, tag


def busybox_tar(busybox: Path) -> bytes:
    """A root filesystem tar: /bin/busybox, a link per applet, /tmp, /etc/passwd and /etc/group."""
    applets = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True, check=True).stdout.split()
    buffer = io.BytesIO()
    mtime = int(time.time())
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, mtime
            tar.addfile(info)

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            tar.addfile(info, io.BytesIO(data))

        for directory in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "var", "home"):
            add_dir(directory)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", busybox.read_bytes(), 0o755)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
        add_file("etc/group", b"root:x:0:\nnobody:x:65534:\n")
        for applet in applets:
            name = applet.lstrip("/")
            if name == "bin/busybox":
                continue
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, "/bin/busybox", mtime
            tar.addfile(info)
    return buffer.getvalue()


def _need_package(binary: str, package: str, say: Say) -> str:
    path = shutil.which(binary) or (binary if os.path.exists(binary) else None)
    if path:
        return path
    from msb_tui.engine.local import EngineSetupError, apt_install

    if os.geteuid() != 0:
        raise EngineSetupError(f"{binary} is missing: install the Debian package {package}")
    say(f"installing {package} ...")
    apt_install(package)
    path = shutil.which(binary) or (binary if os.path.exists(binary) else None)
    if not path:
        raise EngineSetupError(f"installed {package} but {binary} is still missing")
    return path


def make_busybox(client, say: Say = _say) -> None:
    busybox = Path(_need_package("/bin/busybox", "busybox-static", say))
    began = time.monotonic()
    data = busybox_tar(busybox)
    repository, tag = _split(BUSYBOX_IMAGE)
    client.import_image(src=data, repository=repository, tag=tag, changes=['CMD ["sh"]'])
    say(f"{BUSYBOX_IMAGE}: imported {len(data) / 1e6:.1f} MB in {time.monotonic() - began:.1f} s")


def debian_mirror(candidates: list[Path] | None = None) -> str:
    """The Debian mirror apt is configured with (deb822 or one-line sources)."""
    if candidates is None:
        candidates = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        for match in re.finditer(r"(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.M):
            uri = match.group(1)
            if "security" not in uri and "debian" in uri:
                return uri
    raise RuntimeError("no Debian mirror found in /etc/apt/sources.list*; cannot debootstrap the Go SDK image")


def go_sdk_rootfs(say: Say = _say) -> Path:
    """The Go SDK root filesystem as a tar, made once by debootstrap and cached: every engine
    (each lane) imports the same file, so a second engine costs an import, not a minute of
    debootstrap."""
    tar_path = cache_dir() / f"go-sdk-{DEBIAN_SUITE}-rootfs.tar"
    if tar_path.is_file():
        return tar_path
    debootstrap = _need_package("debootstrap", "debootstrap", say)
    mirror = debian_mirror()
    workdir = Path(tempfile.mkdtemp(prefix="msb-go-sdk-", dir="/var/tmp"))
    rootfs = workdir / "rootfs"
    try:
        say(f"debootstrap {DEBIAN_SUITE} with golang-go into {rootfs} (about a minute) ...")
        began = time.monotonic()
        with open(workdir / "debootstrap.log", "wb") as log:
            process = subprocess.Popen(
                [debootstrap, "--variant=minbase", "--include=golang-go,ca-certificates",
                 DEBIAN_SUITE, str(rootfs), mirror],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            assert process.stdout is not None
            phase, count, phase_began = "", 0, time.monotonic()
            for line in process.stdout:
                log.write(line)
                text = line.decode(errors="replace").strip()
                if not text.startswith("I: "):
                    continue
                verb = _DEBOOTSTRAP_PHASES.get(text[3:].split(" ", 1)[0])
                if verb is None:
                    continue
                if verb != phase:
                    if phase:
                        say(f"  {phase}: {count} step(s) in {time.monotonic() - phase_began:.0f} s")
                    phase, count, phase_began = verb, 0, time.monotonic()
                count += 1
            if phase:
                say(f"  {phase}: {count} step(s) in {time.monotonic() - phase_began:.0f} s")
            if process.wait() != 0:
                tail = (workdir / "debootstrap.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"debootstrap failed:\n{tail}")
        say(f"debootstrap done in {time.monotonic() - began:.0f} s")
        # Trim what an SDK image does not need.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        partial = tar_path.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."], check=True)
        partial.rename(tar_path)  # only a complete tar is ever reused
        say(f"root filesystem cached at {tar_path} ({tar_path.stat().st_size / 1e6:.0f} MB)")
        return tar_path
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def make_go_sdk(client, say: Say = _say) -> None:
    tar_path = go_sdk_rootfs(say)
    began = time.monotonic()
    repository, tag = _split(GO_SDK_IMAGE)
    say(f"importing {tar_path.stat().st_size / 1e6:.0f} MB as {GO_SDK_IMAGE} ...")
    client.import_image(
        src=str(tar_path), repository=repository, tag=tag,
        changes=[f"ENV PATH={GO_SDK_PATH}", "ENV GOPATH=/go", "ENV CGO_ENABLED=0", "WORKDIR /src", 'CMD ["bash"]'],
    )
    say(f"{GO_SDK_IMAGE}: imported in {time.monotonic() - began:.0f} s")


def ensure_demo_images(client, *, only: set[str] | None = None, force: bool = False, say: Say = _say) -> list[str]:
    """Create the missing offline images; return the refs that were created."""
    makers = {BUSYBOX_IMAGE: make_busybox, GO_SDK_IMAGE: make_go_sdk}
    created = []
    for ref, make in makers.items():
        if only and ref not in only:
            continue
        previous = client.images(name=ref)
        if previous and not force:
            say(f"{ref}: present")
            continue
        make(client, say)
        created.append(ref)
        for image in previous:  # --force: drop the replaced image unless something still uses it
            with suppress(Exception):  # in use by a container or another tag: keep it
                client.remove_image(image["Id"])
    return created
