"""Input that crashes dockerd 20.10 is refused before it is sent (issue 12 item 4, issue 15 item 1).

Run only against a throwaway dockerd 20.10 that this test starts itself (own data-root, exec-root,
pidfile, socket and network namespace): first the fact behind the refusal (the file, sent as it is,
kills that engine), then msb-tui's build path, which must refuse every such file with its line and
leave the engine running. Never against a shared engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

DOCKERD = "/usr/sbin/dockerd"  # Debian 12's docker.io: 20.10 (BuildKit 0.8)
ROOT = Path("/var/lib/msb-analysis")

pytestmark = [
    pytest.mark.skipif(not Path(DOCKERD).exists() or shutil.which("unshare") is None, reason="needs dockerd 20.10"),
    pytest.mark.skipif(os.geteuid() != 0, reason="starting a dockerd needs root"),
]

# Files that crash BuildKit 0.8 (panics in its Dockerfile frontend), as BuildKit reads them.
CRASHERS = {
    "form feed": b"ARG A=1\x0cFROM scratch\n",
    "lone CR": b"ARG A=1\rFROM scratch\r",
    "U+2028": "ARG A=1\u2028FROM scratch\n".encode(),
    "only ARG": b"ARG A=1\nARG B\n",
    "tmpfs from": b"FROM scratch AS s\nFROM scratch\nRUN --mount=type=tmpfs,from=s,target=/t true\n",
    # Only when b is needed: 0.8 reads the base of the later stage c, which is b itself.
    "copy from a later stage on itself": b"FROM scratch AS a\nFROM scratch AS b\nCOPY --from=c /x /x\nFROM b AS c\n",
}
TARGETS = {"copy from a later stage on itself": "b"}


class Throwaway:
    """A dockerd 20.10 of our own, in its own network namespace; restartable after a crash."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.socket = folder / "d.sock"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        run = self.folder / f"run-{uuid.uuid4().hex[:6]}"
        run.mkdir(parents=True)
        log = open(run / "dockerd.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            ["unshare", "--net", DOCKERD, f"--host=unix://{self.socket}", f"--data-root={self.folder / 'data'}",
             f"--exec-root={run / 'exec'}", f"--pidfile={run / 'd.pid'}", "--bridge=none", "--iptables=false",
             "--ip-masq=false"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self.alive():
            assert self.process.poll() is None, (run / "dockerd.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the throwaway dockerd did not answer in 60 s"
            time.sleep(0.2)

    def client(self):
        import docker

        return docker.APIClient(base_url=f"unix://{self.socket}", timeout=30)

    def alive(self) -> bool:
        try:
            return self.client().ping()
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    def died(self, within: float = 15.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def engine():
    folder = ROOT / f"crash-test-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    throwaway = Throwaway(folder)
    throwaway.start()
    version = throwaway.client().version()["Version"]
    if not version.startswith("20.10"):
        throwaway.stop()
        pytest.skip(f"{DOCKERD} is {version}, not 20.10")
    yield throwaway
    throwaway.stop()
    _unmount_under(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _unmount_under(folder: Path) -> None:
    """dockerd bind-mounts its data-root onto itself (and a dead one leaves that behind)."""
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(str(folder))]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def _context(tmp_path: Path, dockerfile: bytes) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Dockerfile").write_bytes(dockerfile)
    return tmp_path


def _send_raw(engine: Throwaway, context: Path, target: str | None = None) -> None:
    """The file as it is, bypassing msb-tui's refusal (what the engine does with it)."""
    from msb_tui.backends import engine_api
    from msb_tui.builds.inputs import BuildInputs

    saved, engine_api._refusal = engine_api._refusal, lambda *args: None
    try:
        backend = engine_api.EngineApiBackend(engine.client(), record=False)
        for _event in backend.start(BuildInputs(context, target=target)):
            pass
    except Exception:  # noqa: BLE001 - the engine hangs up as it dies
        pass
    finally:
        engine_api._refusal = saved


@pytest.mark.parametrize("kind", ["form feed", "tmpfs from", "copy from a later stage on itself"])
def test_the_file_sent_as_it_is_kills_dockerd_20_10(engine, kind, tmp_path):
    """The fact behind the refusal, on an engine of our own."""
    if not engine.alive():
        engine.start()
    _send_raw(engine, _context(tmp_path, CRASHERS[kind]), TARGETS.get(kind))
    assert engine.died(), f"dockerd 20.10 survived {kind!r}: the refusal may be dropped for it"
    engine.start()


@pytest.mark.parametrize("kind", list(CRASHERS))
def test_msb_tui_refuses_it_with_the_line_and_the_engine_lives(engine, kind, tmp_path):
    from msb_tui.builds.events import BuildFailed
    from msb_tui.backends.engine_api import EngineApiBackend
    from msb_tui.builds.inputs import BuildInputs

    if not engine.alive():
        engine.start()
    backend = EngineApiBackend(engine.client(), record=False)
    events = list(backend.start(BuildInputs(_context(tmp_path, CRASHERS[kind]), target=TARGETS.get(kind))))
    assert len(events) == 1 and isinstance(events[0], BuildFailed), events
    assert "not sent to the engine" in events[0].message and "crashes" in events[0].message, events[0].message
    if kind != "only ARG":
        assert events[0].detail["line"] in (1, 3)
    assert not engine.died(within=2.0) and engine.alive()


def test_the_same_file_for_a_target_that_does_not_need_the_stage_is_built(engine, tmp_path):
    """The later-stage crash happens only when the copying stage is needed: --target a is sent."""
    from msb_tui.backends.engine_api import EngineApiBackend
    from msb_tui.builds.events import ImageBuilt
    from msb_tui.builds.inputs import BuildInputs

    if not engine.alive():
        engine.start()
    context = _context(tmp_path, CRASHERS["copy from a later stage on itself"])
    events = list(EngineApiBackend(engine.client(), record=False).start(BuildInputs(context, target="a")))
    assert isinstance(events[-1], ImageBuilt), events[-3:]
    assert engine.alive()
