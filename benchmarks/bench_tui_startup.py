#!/usr/bin/env python3
"""Startup time: launch -> first painted screen of ``msb-tui demo_dockerfiles/go``, next to a minimal
Textual app, in the same run. Target: msb-tui within 1.5x of the minimal app.

Each app runs as a subprocess in a pseudo-terminal (real driver, real terminal output); the clock
stops when a marker only the painted screen contains shows up in the terminal output ("wave 1" in
the stage graph's header; "minimal-app-ready" for the baseline). Runs are interleaved so both see
the same machine load; the median decides.

    .venv/bin/python benchmarks/bench_tui_startup.py [--runs 7] [--size 120x36]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static

class Minimal(App):
    def compose(self):
        yield Static("minimal-app-ready")

Minimal().run()
"""


def time_to_paint(argv: list[str], marker: bytes, size: tuple[int, int], timeout: float = 30.0) -> float:
    """Seconds from spawning ``argv`` in a pty until ``marker`` appears in what it painted."""
    master, slave = os.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(cols), LINES=str(rows))
    env.pop("NO_COLOR", None)
    # As installed: bytecode cached (the warm-up run writes it). With PYTHONDONTWRITEBYTECODE set (as in
    # some sandboxes) every start would recompile the project's modules, which no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
                               start_new_session=True, close_fds=True)
    os.close(slave)
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            # Markers are matched on the text with escape sequences removed (styles split runs).
            if marker in ANSI.sub(b"", seen[-200000:]):
                elapsed = time.perf_counter() - started
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        os.close(master)
    if elapsed is None:
        tail = ANSI.sub(b"", seen[-2000:]).decode("utf-8", "replace")
        raise RuntimeError(f"{argv[-1]!r} never painted {marker!r}; last output: {tail[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="120x36")
    args = parser.parse_args()
    size = tuple(int(part) for part in args.size.lower().split("x"))
    python = sys.executable
    apps = {
        "minimal Textual app": ([python, "-c", MINIMAL_APP], b"minimal-app-ready"),
        "msb-tui demo_dockerfiles/go": ([python, "-m", "msb_tui", "demo_dockerfiles/go"], b"wave 1"),
    }
    # One warm-up each (page cache, .pyc files), not counted.
    for argv, marker in apps.values():
        time_to_paint(argv, marker, size)
    times: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(args.runs):
        for name, (argv, marker) in apps.items():
            times[name].append(time_to_paint(argv, marker, size))
    print(f"startup to first paint, {args.runs} runs each, terminal {size[0]}x{size[1]} (pty)")
    print(f"{'app':<30}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in times.items():
        print(f"{name:<30}{statistics.median(values) * 1000:>8.0f}ms{min(values) * 1000:>8.0f}ms"
              f"{max(values) * 1000:>8.0f}ms")
    baseline = statistics.median(times["minimal Textual app"])
    ours = statistics.median(times["msb-tui demo_dockerfiles/go"])
    ratio = ours / baseline
    verdict = "OK" if ratio <= TARGET_RATIO else "TOO SLOW"
    print(f"ratio msb-tui / minimal: {ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
