"""The engines msb-tui is tested on ("lanes"), where each answers, and how the project starts them.

- ``current`` (the primary lane): current Docker from Debian's newest suite (28.5.2 when written)
  with the classic overlay2 image store, at ``unix:///run/msb-tui/current/docker.sock``.
- ``containerd``: the same engine with the containerd image store (Docker 29's default), at
  ``unix:///run/msb-tui/containerd/docker.sock``.
- ``compat``: Debian 12's Docker 20.10 (BuildKit 0.8) on the default socket.

The two current engines run in network namespaces of their own (``/run/netns/msb-tui-<lane>``):
in the host's namespace a second dockerd fights the first over ``docker0``. ``ip netns exec``
remounts /sys and the engine then fails ("Devices cgroup isn't mounted"), so we enter only the
network namespace with ``nsenter --net``. Each has its own data root (``/var/lib/msb-tui/<lane>``),
exec root, pidfile and socket (``/run/msb-tui/<lane>/``), and its log in the state folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from msb_tui.paths import state_dir

RUN_ROOT = Path("/run/msb-tui")
DATA_ROOT = Path("/var/lib/msb-tui")
LANES_ENV = "MSB_TUI_LANES"
"""Comma-separated lane names the real-engine tests run on (default: every lane)."""

Say = Callable[[str], None]


@dataclass(frozen=True)
class Lane:
    name: str
    summary: str
    host: str
    containerd_store: bool = False
    own_engine: bool = True  # an engine from Debian's newest suite that msb-tui starts in a netns

    @property
    def netns(self) -> str:
        return f"msb-tui-{self.name}"

    @property
    def run_dir(self) -> Path:
        return RUN_ROOT / self.name


def _own(name: str, summary: str, containerd_store: bool = False) -> Lane:
    return Lane(name, summary, f"unix://{RUN_ROOT / name / 'docker.sock'}", containerd_store)


LANES: tuple[Lane, ...] = (
    _own("current", "current Docker from Debian's newest suite, overlay2 image store"),
    _own("containerd", "current Docker from Debian's newest suite, containerd image store", True),
    Lane("compat", "Debian 12's Docker 20.10 (BuildKit 0.8)", "unix:///var/run/docker.sock", own_engine=False),
)
PRIMARY = LANES[0]
"""The lane a user gets when msb-tui has to start an engine (the demo), and the first tested."""


def lane(name: str) -> Lane:
    for candidate in LANES:
        if candidate.name == name:
            return candidate
    raise ValueError(f"no engine lane named {name!r} (lanes: {', '.join(l.name for l in LANES)})")


def parse_lanes(spec: str) -> list[Lane]:
    """``all`` or comma-separated lane names, in the order of :data:`LANES`."""
    if spec.strip() == "all":
        return list(LANES)
    names = {part.strip() for part in spec.split(",") if part.strip()}
    for name in names:
        lane(name)  # raises for unknown names
    return [candidate for candidate in LANES if candidate.name in names]


def selected_lanes(env: dict[str, str] | None = None) -> list[Lane]:
    """The lanes named by ``MSB_TUI_LANES`` (default: all)."""
    env = os.environ if env is None else env
    return parse_lanes(env.get(LANES_ENV) or "all")


def daemon_config(target: Lane) -> dict:
    # An explicit --config-file keeps /etc/docker/daemon.json (if any) out of our engines.
    return {"features": {"containerd-snapshotter": target.containerd_store}}


def _pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def ensure_netns(name: str) -> Path:
    path = Path("/run/netns") / name
    if not path.exists():
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    return path


def start_command(target: Lane, dockerd: Path) -> list[str]:
    """``nsenter --net`` into the lane's namespace, bring up its loopback, exec dockerd."""
    run = target.run_dir
    dockerd_argv = [
        str(dockerd),
        f"--config-file={run / 'daemon.json'}",
        f"--host={target.host}",
        f"--data-root={DATA_ROOT / target.name}",
        f"--exec-root={run / 'exec'}",
        f"--pidfile={run / 'dockerd.pid'}",
    ]
    netns = Path("/run/netns") / target.netns
    return ["nsenter", f"--net={netns}", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *dockerd_argv]


def start(target: Lane, binaries, say: Say) -> subprocess.Popen | None:
    """Start the lane's dockerd in the background (its pidfile says whether one already runs)."""
    run = target.run_dir
    run.mkdir(parents=True, exist_ok=True)
    if _pid_alive(run / "dockerd.pid"):
        return None  # starting up, or hung: wait() says which
    ensure_netns(target.netns)
    (run / "daemon.json").write_text(json.dumps(daemon_config(target)) + "\n")
    env = dict(os.environ, PATH=os.pathsep.join([*binaries.path_dirs, os.environ.get("PATH", "/usr/sbin:/usr/bin")]))
    log_path = log_file(target)
    say(f"starting Docker {binaries.version} ({target.name}: {target.summary}) at {target.host}, log {log_path}")
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            start_command(target, binaries.dockerd), env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,  # outlives this process, like a service
        )


def log_file(target: Lane) -> Path:
    return state_dir() / f"dockerd-{target.name}.log"


def wait(target: Lane, process: subprocess.Popen | None, ping: Callable[[str, float], str | None],
         timeout: float = 90) -> str:
    """The lane engine's version once it answers; RuntimeError with its log tail otherwise."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        version = ping(target.host, 2)
        if version:
            return version
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.3)
    tail = log_file(target).read_text(errors="replace")[-1500:] if log_file(target).exists() else ""
    raise RuntimeError(f"the {target.name} engine did not answer at {target.host}; end of {log_file(target)}:\n{tail}")
