"""Get a current Docker engine (dockerd, containerd, the buildx plugin) from Debian's newest suite.

Debian 12 ships Docker 20.10; its development suite ("unstable") carries current Docker (28.x).
We fetch the packages from the mirror the machine's apt sources already name, with a PRIVATE apt
configuration (own source list, lists and cache under the cache folder), so the machine's apt
set-up is never touched, and unpack them with ``dpkg-deb -x``: nothing is installed. The unpacked
tree is cached, so a second run needs no network. The development suite moves (a package can be
briefly missing or uninstallable): when it fails we fall back to the testing suite and say which
version we got.

Debian's newest ``runc`` needs a newer glibc than Debian 12's; the engine runs containers with the
machine's own ``runc`` (Debian 12's package), which is found on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from msb_tui.paths import cache_dir

SUITES = ("unstable", "testing")
"""Tried in this order: the development suite (Docker 28.5.2 when written), then testing (26.1.5)."""
PACKAGES = ("docker.io", "containerd", "docker-buildx")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

Say = Callable[[str], None]


@dataclass(frozen=True)
class EngineBinaries:
    """An unpacked engine: where it is, which version, from which suite."""

    root: Path  # the unpacked tree: root/usr/sbin/dockerd, root/usr/bin/containerd, ...
    version: str  # the docker.io package version, e.g. "28.5.2+dfsg4-5"
    suite: str

    @property
    def dockerd(self) -> Path:
        return self.root / "usr" / "sbin" / "dockerd"

    @property
    def buildx(self) -> Path:
        return self.root / "usr" / "libexec" / "docker" / "cli-plugins" / "docker-buildx"

    @property
    def path_dirs(self) -> list[str]:
        """Folders to put first on PATH so dockerd finds its own containerd and shim."""
        return [str(self.root / "usr" / "bin"), str(self.root / "usr" / "sbin")]


def engines_cache() -> Path:
    path = cache_dir() / "engines"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached() -> EngineBinaries | None:
    """The engine unpacked by an earlier run, when it is complete."""
    try:
        data = json.loads((engines_cache() / "current.json").read_text())
        binaries = EngineBinaries(Path(data["root"]), data["version"], data["suite"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return binaries if binaries.dockerd.is_file() and binaries.buildx.is_file() else None


class _PrivateApt:
    """apt-get with its own source list, lists and cache: the machine's apt state is untouched."""

    def __init__(self, folder: Path, mirror: str, suite: str):
        self.folder = folder
        for sub in ("lists/partial", "cache/archives/partial", "etc"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        signed_by = f" [signed-by={KEYRING}]" if os.path.exists(KEYRING) else ""
        (folder / "etc" / "sources.list").write_text(f"deb{signed_by} {mirror} {suite} main\n")
        self.options = [
            "-o", f"Dir::Etc::sourcelist={folder / 'etc' / 'sources.list'}",
            "-o", "Dir::Etc::sourceparts=-",
            "-o", f"Dir::State::Lists={folder / 'lists'}",
            "-o", f"Dir::Cache={folder / 'cache'}",
            "-o", "APT::Sandbox::User=root",  # downloads land in our folder, which _apt cannot write
        ]

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["apt-get", "-q", *self.options, *args], cwd=cwd, capture_output=True, text=True)

    def candidate(self, package: str) -> str | None:
        result = subprocess.run(["apt-cache", *self.options, "policy", package], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if line.strip().startswith("Candidate:"):
                version = line.split(":", 1)[1].strip()
                return None if version == "(none)" else version
        return None


def _fetch_suite(mirror: str, suite: str, say: Say) -> EngineBinaries:
    apt = _PrivateApt(engines_cache() / "apt" / suite, mirror, suite)
    began = time.monotonic()
    update = apt.run("update")
    if update.returncode != 0:
        raise RuntimeError(f"apt-get update ({suite}) failed: {update.stderr.strip()[-500:]}")
    version = apt.candidate("docker.io")
    if not version:
        raise RuntimeError(f"Debian {suite} has no docker.io package")
    root = engines_cache() / f"docker-{version}"
    downloads = engines_cache() / "apt" / suite / "debs"
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir(parents=True)
    fetched = apt.run("download", *PACKAGES, cwd=downloads)
    if fetched.returncode != 0:
        raise RuntimeError(f"apt-get download ({suite}) failed: {fetched.stderr.strip()[-500:]}")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    size = 0
    for deb in sorted(downloads.glob("*.deb")):
        size += deb.stat().st_size
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    shutil.rmtree(downloads, ignore_errors=True)
    binaries = EngineBinaries(root, version, suite)
    if not binaries.dockerd.is_file() or not binaries.buildx.is_file():
        raise RuntimeError(f"the {suite} packages have no dockerd or buildx plugin")
    check = subprocess.run([str(binaries.dockerd), "--version"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"dockerd {version} from {suite} does not run here: {check.stderr.strip()[-300:]}")
    say(f"Docker {version} from Debian {suite}: {size / 1e6:.0f} MB fetched and unpacked in "
        f"{time.monotonic() - began:.1f} s into {root}")
    return binaries


def remember(binaries: EngineBinaries) -> None:
    data = {"root": str(binaries.root), "version": binaries.version, "suite": binaries.suite}
    (engines_cache() / "current.json").write_text(json.dumps(data, indent=1) + "\n")


def fetch(mirror: str, say: Say, suites: tuple[str, ...] = SUITES) -> EngineBinaries:
    """Download and unpack the newest suite's engine, falling back suite by suite."""
    errors = []
    for suite in suites:
        try:
            binaries = _fetch_suite(mirror, suite, say)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
            say(f"Debian {suite}: {error}; trying the next suite")
            errors.append(f"{suite}: {error}")
            continue
        remember(binaries)
        return binaries
    raise RuntimeError("no current Docker engine could be fetched:\n  " + "\n  ".join(errors))


def ensure_binaries(say: Say) -> EngineBinaries:
    """The cached engine, or a freshly fetched one (root, Debian/Ubuntu with apt)."""
    binaries = cached()
    if binaries:
        return binaries
    from msb_tui.engine.demo_images import debian_mirror

    return fetch(debian_mirror(), say)


def install_buildx_plugin(binaries: EngineBinaries, say: Say) -> Path:
    """Link the buildx plugin into the docker CLI's plugin folder, unless one is already there."""
    from msb_tui.engine.connection import docker_config_dir

    plugins = Path(docker_config_dir(os.environ)) / "cli-plugins"
    target = plugins / "docker-buildx"
    if target.exists():
        return target
    plugins.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():  # a link to a cache that was removed
        target.unlink()
    target.symlink_to(binaries.buildx)
    say(f"buildx plugin linked at {target}")
    return target
