"""Make sure a Docker engine answers: use the one configured, or install and start local ones.

Used by ``msb-tui engine up`` (and so by scripts/dev.sh and CI). A machine of this project may
have only the Docker CLI. As root on Debian/Ubuntu we start, in the background with their logs in
the state folder, the engines of :mod:`msb_tui.engine.lanes`: current Docker from Debian's newest
suite (what a user gets when no engine answers), the same with the containerd image store, and
Debian 12's ``docker.io`` (20.10) on the default socket. Anywhere else we say what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from msb_tui.engine import lanes
from msb_tui.engine.connection import DEFAULT_HOST


class EngineSetupError(RuntimeError):
    """No engine answers and we could not start one; the message says what to do."""


@dataclass
class EngineStatus:
    host: str
    version: str
    started_by_us: bool = False
    lane: str | None = None  # the lane of msb_tui.engine.lanes this engine is, when it is one


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


def ensure_engine(*, start: bool = True) -> EngineStatus:
    """Return a reachable engine, starting a local one when allowed and possible."""
    configured = os.environ.get("DOCKER_HOST")
    host = configured or DEFAULT_HOST
    version = ping(host)
    if version:
        return EngineStatus(host=host, version=version)
    if configured:
        raise EngineSetupError(
            f"DOCKER_HOST={configured} does not answer. Start that engine, or unset DOCKER_HOST "
            "to let msb-tui start a local one."
        )
    primary = lanes.PRIMARY
    version = ping(primary.host)
    if version:  # the current engine an earlier 'msb-tui engine up' started
        return EngineStatus(host=primary.host, version=version, lane=primary.name)
    if not start:
        raise EngineSetupError(f"no Docker engine answers at {host}; run 'msb-tui engine up' to start one")
    _check_can_start(host)
    return ensure_lanes([primary])[0]


def _check_can_start(host: str) -> None:
    if os.geteuid() != 0 or not _is_debian_like():
        raise EngineSetupError(
            f"no Docker engine answers at {host}. Install and start Docker "
            "(https://docs.docker.com/engine/install/), or set DOCKER_HOST to a running engine. "
            "msb-tui starts one itself only as root on Debian/Ubuntu."
        )


def ensure_lanes(wanted: list[lanes.Lane]) -> list[EngineStatus]:
    """Start every lane of ``wanted`` that does not answer yet; their statuses, in order."""
    statuses: dict[str, EngineStatus] = {}
    for target in wanted:
        version = ping(target.host)
        if version:
            statuses[target.name] = EngineStatus(host=target.host, version=version, lane=target.name)
    missing = [target for target in wanted if target.name not in statuses]
    if missing:
        _check_can_start(missing[0].host)
    if any(target.name == "compat" for target in missing):
        statuses["compat"] = _start_compat()
    own = [target for target in missing if target.own_engine]
    if own:
        statuses.update(_start_own(own))
    return [statuses[target.name] for target in wanted]


def _start_own(wanted: list[lanes.Lane]) -> dict[str, EngineStatus]:
    """Fetch (or reuse) current Docker and start each lane's dockerd; they start side by side."""
    from msb_tui.engine import debian_engine

    # Debian's newest runc needs a newer glibc: the engine uses the machine's (Debian 12's) runc.
    needed = [package for binary, package in (("runc", "runc"), ("iptables", "iptables"), ("ip", "iproute2"))
              if not shutil.which(binary, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")]
    if needed:
        _say(f"installing {' '.join(needed)} from the machine's apt sources ...")
        apt_install(*needed)
    try:
        binaries = debian_engine.ensure_binaries(_say)
    except RuntimeError as error:
        raise EngineSetupError(str(error)) from None
    debian_engine.install_buildx_plugin(binaries, _say)
    began = time.monotonic()
    processes = {target.name: lanes.start(target, binaries, _say) for target in wanted}
    return {target.name: _answered(target, processes[target.name], began) for target in wanted}


def _start_compat() -> EngineStatus:
    """Debian 12's docker.io (20.10) on the default socket, installed when missing."""
    compat = lanes.lane("compat")
    if dockerd_path() is None:
        _say("no dockerd on this machine: installing Debian's docker.io (about 35 s) ...")
        began = time.monotonic()
        apt_install("docker.io")
        _say(f"installed docker.io in {time.monotonic() - began:.1f} s")
    log_path = lanes.log_file(compat)
    _say(f"starting dockerd in the background (log: {log_path}) ...")
    began = time.monotonic()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # outlives this process, like a service would
            [dockerd_path() or "dockerd", f"--host={compat.host}"], stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    return _answered(compat, process, began)


def _answered(target: lanes.Lane, process: subprocess.Popen | None, began: float) -> EngineStatus:
    """The status of a lane engine just started, once it answers."""
    try:
        version = lanes.wait(target, process, ping)
    except RuntimeError as error:
        raise EngineSetupError(str(error)) from None
    took = time.monotonic() - began
    _say(f"Docker {version} ({target.name}) answers at {target.host} after {took:.1f} s")
    return EngineStatus(host=target.host, version=version, started_by_us=True, lane=target.name)
