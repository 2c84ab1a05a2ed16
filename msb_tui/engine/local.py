"""Make sure a Docker engine answers: use the one configured, or install and start a local dockerd.

Used by ``msb-tui engine up`` (and so by scripts/dev.sh and CI). A machine of this project may
have only the Docker CLI: as root on Debian/Ubuntu we install ``docker.io`` and start ``dockerd``
in the background with its log in the state folder. Anywhere else we say what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from msb_tui.paths import state_dir

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


class EngineSetupError(RuntimeError):
    """No engine answers and we could not start one; the message says what to do."""


@dataclass
class EngineStatus:
    host: str
    version: str
    started_by_us: bool = False
    installed_by_us: bool = False
    log_path: Path | None = None


def _say(message: str) -> None:
    print(f"msb-tui engine: {message}", file=sys.stderr, flush=True)


def ping(host: str, timeout: float = 5) -> str | None:
    """The engine's version when ``host`` answers, else None."""
    import docker

    try:
        client = docker.APIClient(base_url=host, timeout=timeout)
        return client.version().get("Version", "?")
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return None


def _is_debian_like() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return any(word in text for word in ("ID=debian", "ID=ubuntu", "ID_LIKE=debian", "ID_LIKE=ubuntu"))


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); runs ``apt-get update`` first when a package is unknown."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        return
    subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise EngineSetupError(f"apt-get install {' '.join(packages)} failed:\n{result.stderr[-2000:]}")


def dockerd_path() -> str | None:
    return shutil.which("dockerd") or ("/usr/sbin/dockerd" if os.path.exists("/usr/sbin/dockerd") else None)


def ensure_engine(*, start: bool = True, wait_seconds: float = 60) -> EngineStatus:
    """Return a reachable engine, starting a local one when allowed and possible."""
    configured = os.environ.get("DOCKER_HOST")
    host = configured or DEFAULT_SOCKET
    version = ping(host)
    if version:
        return EngineStatus(host=host, version=version)
    if configured:
        raise EngineSetupError(
            f"DOCKER_HOST={configured} does not answer. Start that engine, or unset DOCKER_HOST "
            "to let msb-tui start a local one."
        )
    if not start:
        raise EngineSetupError(f"no Docker engine answers at {host}; run 'msb-tui engine up' to start one")
    if os.geteuid() != 0 or not _is_debian_like():
        raise EngineSetupError(
            f"no Docker engine answers at {host}. Install and start Docker "
            "(https://docs.docker.com/engine/install/), or set DOCKER_HOST to a running engine. "
            "msb-tui starts one itself only as root on Debian/Ubuntu."
        )
    status = EngineStatus(host=host, version="")
    if dockerd_path() is None:
        _say("no dockerd on this machine: installing Debian's docker.io (about 35 s) ...")
        began = time.monotonic()
        apt_install("docker.io")
        status.installed_by_us = True
        _say(f"installed docker.io in {time.monotonic() - began:.1f} s")
    log_path = state_dir() / "dockerd.log"
    _say(f"starting dockerd in the background (log: {log_path}) ...")
    began = time.monotonic()
    with open(log_path, "ab") as log:
        subprocess.Popen(
            [dockerd_path() or "dockerd", f"--host={DEFAULT_SOCKET}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this process, like a service would
        )
    deadline = began + wait_seconds
    while time.monotonic() < deadline:
        version = ping(host, timeout=2)
        if version:
            status.version, status.started_by_us, status.log_path = version, True, log_path
            _say(f"dockerd {version} answers at {host} after {time.monotonic() - began:.1f} s")
            return status
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-1500:]
    raise EngineSetupError(f"dockerd did not answer within {wait_seconds:.0f} s; end of {log_path}:\n{tail}")
