"""The local registry the tests and the demo push to: Debian's ``docker-registry`` (Distribution 2.8).

It listens on 127.0.0.1:5000 with its own storage folder (``/var/lib/msb-tui/registry``). Docker
treats 127.0.0.0/8 as an insecure registry by default, so no engine needs ``insecure-registries``.

The 28.x engines run in network namespaces of their own (``/run/netns/msb-tui-<lane>``), where the
host's 127.0.0.1 is not reachable. Instead of forwarding ports, one registry process runs in each
of those namespaces too, on the same address and the **same storage folder**: a registry keeps no
state outside its storage (no cache configured here, uploads are files named by UUID), so every
process sees every blob and tag, whichever engine pushed it. msb-tui itself (HEAD requests, blob
sizes, measured pulls) talks to the one in the host's namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from msb_tui.engine import lanes
from msb_tui.paths import state_dir

ADDRESS = os.environ.get("MSB_TUI_REGISTRY", "127.0.0.1:5000")
STORAGE = lanes.DATA_ROOT / "registry"
BINARY = "docker-registry"

CONFIG = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 24h
      interval: 24h
      dryrun: false
http:
  addr: {address}
  secret: {secret}
"""


class RegistrySetupError(RuntimeError):
    """The local registry could not be installed or started; the message says why."""


@dataclass(frozen=True)
class Instance:
    """One registry process: in the host's network namespace (netns None) or a lane's."""

    netns: str | None

    @property
    def label(self) -> str:
        return self.netns or "host"

    @property
    def pidfile(self) -> Path:
        return lanes.RUN_ROOT / "registry" / f"{self.label}.pid"

    def command(self, config: Path) -> list[str]:
        serve = [BINARY, "serve", str(config)]
        return serve if self.netns is None else ["nsenter", f"--net=/run/netns/{self.netns}", "--", *serve]


def instances() -> list[Instance]:
    """The host's registry and one per lane namespace that exists (engines started by msb-tui)."""
    found = [Instance(None)]
    for lane in lanes.LANES:
        if lane.own_engine and Path(f"/run/netns/{lane.netns}").exists():
            found.append(Instance(lane.netns))
    return found


def ping(address: str = ADDRESS, netns: str | None = None, timeout: float = 2) -> bool:
    """True when ``GET /v2/`` answers 200 or 401 at ``address`` (in ``netns`` when given)."""
    if netns is None:
        import requests

        try:
            return requests.get(f"http://{address}/v2/", timeout=timeout).status_code in (200, 401)
        except requests.RequestException:
            return False
    probe = ["nsenter", f"--net=/run/netns/{netns}", "--", "python3", "-c",
             "import sys, urllib.request, urllib.error\n"
             f"try: urllib.request.urlopen('http://{address}/v2/', timeout={timeout})\n"
             "except urllib.error.HTTPError as e: sys.exit(e.code != 401)\n"
             "except Exception: sys.exit(1)"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _config_file(address: str) -> Path:
    folder = state_dir() / "registry"
    folder.mkdir(exist_ok=True)
    secret_file = folder / "http-secret"
    if not secret_file.exists():  # shared by every instance, so an upload may span processes
        secret_file.write_text(os.urandom(16).hex())
        secret_file.chmod(0o600)
    path = folder / "config.yml"
    path.write_text(CONFIG.format(storage=STORAGE, address=address, secret=secret_file.read_text().strip()))
    path.chmod(0o600)
    return path


def _install() -> None:
    if shutil.which(BINARY):
        return
    if os.getuid() != 0 or not shutil.which("apt-get"):
        raise RegistrySetupError(f"no {BINARY} on PATH; install Debian's docker-registry package (apt-get install docker-registry)")
    from msb_tui.engine.local import EngineSetupError, apt_install

    try:
        apt_install("docker-registry")
    except EngineSetupError as error:
        raise RegistrySetupError(str(error)) from error


def ensure_registry(address: str = ADDRESS, wait_seconds: float = 15) -> list[str]:
    """Make sure a registry answers at ``address`` in the host's namespace and in each lane's;
    the lines to report (what answered, what was started)."""
    report = []
    todo = [instance for instance in instances() if not ping(address, instance.netns)]
    if todo:
        _install()
        STORAGE.mkdir(parents=True, exist_ok=True)
        config = _config_file(address)
        log = state_dir() / "registry.log"
        for instance in todo:
            instance.pidfile.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as out:
                process = subprocess.Popen(instance.command(config), stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            instance.pidfile.write_text(str(process.pid))
    deadline = time.monotonic() + wait_seconds
    for instance in instances():
        while not ping(address, instance.netns):
            if time.monotonic() > deadline:
                raise RegistrySetupError(f"the registry at {address} ({instance.label}) did not answer within "
                                         f"{wait_seconds:.0f} s; see {state_dir() / 'registry.log'}")
            time.sleep(0.2)
        started = " (started by msb-tui)" if instance in todo else ""
        report.append(f"registry {address} in {instance.label} namespace: answers{started}; storage {STORAGE}")
    return report
