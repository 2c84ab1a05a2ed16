"""A slow but working engine is waited for, as the docker CLI waits, and the wait is shown (issue 15 item 8).

The engine is reached through a proxy that delivers each of its answers 6 s late: more than the
5 s msb-tui used to give an engine to answer (it then gave up with exit 3 after 10 s)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from latency_proxy import LatencyProxy
from msb_tui.engine.lanes import PRIMARY
from msb_tui.engine.local import ping
from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = [pytest.mark.engine, pytest.mark.slow]

LATENCY = 6.0


def test_build_through_a_slow_engine_waits_says_so_and_succeeds(tmp_path):
    if not ping(PRIMARY.host, timeout=5):
        pytest.skip(f"the {PRIMARY.name} lane does not answer at {PRIMARY.host}")
    (tmp_path / "Dockerfile").write_text(f"FROM {BUSYBOX_IMAGE}\nRUN echo slow-{time.time()}\n")
    with LatencyProxy(PRIMARY.host.removeprefix("unix://"), LATENCY) as proxy:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "msb_tui", "build", str(tmp_path), "--host", proxy.host, "--no-record",
             "--network", "none"],
            capture_output=True, text=True, timeout=300,
        )
        took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert f"waiting for the Docker engine at {proxy.host} (--host): no answer yet after 2 s" in result.stderr
    assert took > 2 * LATENCY  # every answer really came late
