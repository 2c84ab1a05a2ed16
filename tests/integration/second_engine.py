"""A throw-away second dockerd for fault and remote-engine tests (never the suite's main engine).

Isolated from the main engine: its own ``--data-root``, ``--exec-root``, ``--pidfile`` and socket
under one temp folder, and its own NETWORK NAMESPACE (``unshare --net``). That matters: a dockerd
started with ``--bridge=none`` in the host namespace deletes the host's ``docker0`` (moby's
``removeDefaultBridgeInterface``), which breaks every RUN step of the main engine (seen here).
In its own namespace it makes its own ``docker0``, so RUN steps work, and nothing on the host
changes. Its TCP listener (``tcp=True``) is on the namespace's 127.0.0.1: reach it with
:meth:`run_in_netns` (``nsenter --net``). Started in its own session so the whole process group
(dockerd and its containerd) can be killed; ``stop()`` always unmounts what it left and removes
the folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOCKERD = shutil.which("dockerd") or "/usr/bin/dockerd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SecondEngine:
    def __init__(self, *, tcp: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="msb-test-dockerd-"))
        self.socket = self.root / "d.sock"
        self.host = f"unix://{self.socket}"
        self.tcp_host = f"tcp://127.0.0.1:{free_port()}" if tcp else None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "SecondEngine":
        dockerd = [
            DOCKERD,
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "dockerd.pid"),
            "--host", self.host,
            "--iptables=false", "--ip6tables=false",
        ]
        if self.tcp_host:
            dockerd += ["--host", self.tcp_host]
        # unshare execs sh, which execs dockerd: self.process.pid is dockerd, in a fresh netns.
        command = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *dockerd]
        log = open(self.root / "dockerd.log", "wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"second dockerd exited: {self.log_tail()}")
            if self.ping():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"second dockerd did not answer in {timeout}s: {self.log_tail()}")

    def ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1)
                sock.connect(str(self.socket))
                sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b"OK" in sock.recv(4096)
        except OSError:
            return False

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join((self.root / "dockerd.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def run_in_netns(self, command: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a command in the engine's network namespace (where its 127.0.0.1 listener is)."""
        assert self.process is not None
        return subprocess.run(["nsenter", f"--net=/proc/{self.process.pid}/ns/net", "--", *command], **kwargs)

    def client(self, **kwargs):
        import docker

        return docker.APIClient(base_url=self.host, version="auto", timeout=60, **kwargs)

    def load_image(self, source_client, ref: str) -> None:
        """Copy an image from another engine (e.g. the main one) without a registry."""
        data = b"".join(source_client.get_image(ref))
        list(self.client().load_image(data))

    def kill(self) -> None:
        """Kill dockerd and its containerd at once (an engine that dies)."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop (politely, then not), unmount leftovers, remove every file it made."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()
        # Leftover children in the session (containerd-shim) die with the group.
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        root = str(self.root)
        try:
            with open("/proc/mounts") as mounts:
                targets = [line.split()[1] for line in mounts if line.split()[1].startswith(root)]
        except OSError:
            targets = []
        for target in sorted(targets, key=len, reverse=True):
            subprocess.run(["umount", "-l", target], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
