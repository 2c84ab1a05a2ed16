"""Benchmark: a 1,000,000-line build log replayed into the running build view.

Target: the app never goes more than 100 ms without handling input or painting, and its memory
stays bounded. Measured headless (``run_test``): a 10 ms timer records its own lateness (the event
loop's longest stall), key presses are timed from ``press`` to handled (round trip through the
message queue), and peak RSS is read from the kernel. The baseline is the same app, idle, with no
build running; both are printed side by side.

The recording is made once on the real engine (``RUN seq 1 1000000`` in the offline busybox) and
kept outside git (gzip'd, ~10 MB) under ``$MSB_BENCH_DIR`` (default /tmp/msb-bench):

    .venv/bin/python benchmarks/bench_tui_flood.py --record     # needs the engine + msb-demo/busybox
    .venv/bin/python benchmarks/bench_tui_flood.py              # replay into the app, print figures
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(os.environ.get("MSB_BENCH_DIR", "/tmp/msb-bench"))
RECORDING = BENCH_DIR / "flood-1m.jsonl.gz"
LINES = 1_000_000
TARGET_STALL_MS = 100.0

DOCKERFILE = """\
FROM msb-demo/busybox:1.35 AS flood
RUN echo "flood {nonce}" && seq 1 {lines}
"""


def record(lines: int = LINES) -> Path:
    """Run the flood build on the engine and keep its recording (gzip'd) for the replays."""
    import docker

    from msb_tui.build.runner import BuildRequest, start_build

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    client = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"), timeout=600)
    with tempfile.TemporaryDirectory(prefix="msb-flood-") as folder:
        context = Path(folder)
        (context / "Dockerfile").write_text(DOCKERFILE.format(nonce=time.time_ns(), lines=lines))
        raw = BENCH_DIR / "flood-1m.jsonl"
        started = time.monotonic()
        # The classic builder: BuildKit clips step output ("log limit 200KiB/s reached"), so only
        # the classic builder delivers all million lines through the Engine API.
        request = BuildRequest(context=context, tags=("msb-test-tui/flood:latest",), classic=True)
        stream = start_build(client, request, record=raw)
        events = sum(1 for _ in stream)
        print(f"recorded {events} events in {time.monotonic() - started:.1f}s -> {raw}")
    with open(raw, "rb") as source, gzip.open(RECORDING, "wb", compresslevel=6) as target:
        shutil.copyfileobj(source, target)
    raw.unlink()
    try:
        client.remove_image("msb-test-tui/flood:latest")
    except Exception:  # noqa: BLE001 - the image is ours; leaving it is harmless
        pass
    print(f"stored {RECORDING} ({RECORDING.stat().st_size / 1e6:.1f} MB)")
    return RECORDING


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Probe:
    """A 10 ms timer measuring its own lateness, and key round trips."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.keys: list[float] = []
        self._expected: float | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        if self._expected is not None:
            self.lateness.append(max(0.0, now - self._expected))
        self._expected = now + 0.010

    def summary(self) -> dict[str, float]:
        late = sorted(self.lateness) or [0.0]
        keys = sorted(self.keys) or [0.0]
        return {
            "stall_max_ms": late[-1] * 1000,
            "stall_p99_ms": late[int(len(late) * 0.99) - 1 if len(late) > 1 else 0] * 1000,
            "ticks": len(self.lateness),
            "key_max_ms": keys[-1] * 1000,
            "key_median_ms": statistics.median(keys) * 1000,
            "keys": len(self.keys),
        }


async def measure(recording: Path | None, *, duration_cap: float = 600.0, open_log: bool = True) -> dict:
    """Run the build view on ``recording`` (None: idle app, the baseline) and measure it."""
    from textual.app import App

    from msb_tui.build.events import BuildCancelled
    from msb_tui.tui.build_screen import BuildScreen
    from msb_tui.tui.build_source import EventListSource, ReplaySource
    from msb_tui.tui.messages import BuildFinished

    probe = Probe()
    finished = asyncio.Event()
    counts = {"lines": 0}

    if recording is not None:
        # Replay the gzip'd recording as fast as possible (speed=None): the worst case for the UI.
        raw = BENCH_DIR / "flood-1m.replay.jsonl"
        if not raw.exists():
            with gzip.open(recording, "rb") as source, open(raw, "wb") as target:
                shutil.copyfileobj(source, target)

        def start():
            return ReplaySource(raw, None)
    else:

        def start():
            return EventListSource([], hold_open=True)

    class FloodApp(App):
        def on_mount(self) -> None:
            self.set_interval(0.010, probe.tick)
            self.push_screen(BuildScreen(None, start, title="flood"))

        def on_build_finished(self, message: BuildFinished) -> None:
            finished.set()

    app = FloodApp()
    rss_before = current_rss_mb()
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        deadline = started + (duration_cap if recording is not None else 3.0)
        opened = False
        while time.perf_counter() < deadline and not finished.is_set():
            # A key round trip: press (goes through the driver queue), wait until handled.
            before = time.perf_counter()
            await pilot.press("down")
            probe.keys.append(time.perf_counter() - before)
            if open_log and not opened and recording is not None:
                column = screen.columns[0]
                model = column.model
                if model is not None and model.running_steps():
                    column.open_log(model.running_steps()[0].digest)
                    opened = True
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - started
        column = screen.columns[0]
        with column.feed.lock:
            model = column.model
            counts["lines"] = sum(step.log.total for step in model.steps.values())
            status = model.status
        screen.cancel_all()
        await app.workers.wait_for_complete()
    return {
        **probe.summary(),
        "wall_s": wall,
        "status": status,
        "log_lines": counts["lines"],
        "rss_growth_mb": current_rss_mb() - rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="record the flood build on the engine first")
    parser.add_argument("--lines", type=int, default=LINES)
    args = parser.parse_args()
    if args.record or not RECORDING.exists():
        if not args.record:
            print(f"no recording at {RECORDING}: recording it now on the engine")
        record(args.lines)
    baseline = asyncio.run(measure(None))
    flood = asyncio.run(measure(RECORDING))
    rows = [
        ("longest stall (10 ms timer lateness)", "stall_max_ms", "ms", f"< {TARGET_STALL_MS:.0f}"),
        ("p99 stall", "stall_p99_ms", "ms", ""),
        ("key round trip, max", "key_max_ms", "ms", f"< {TARGET_STALL_MS:.0f}"),
        ("key round trip, median", "key_median_ms", "ms", ""),
        ("peak RSS (process)", "peak_rss_mb", "MB", ""),
        ("wall time", "wall_s", "s", ""),
    ]
    print(f"\nbuild view under a {flood['log_lines']:,}-line log flood (replay speed=None), status {flood['status']}")
    print(f"{'figure':<40}{'target':>10}{'idle baseline':>16}{'1M-line flood':>16}")
    for label, key, unit, target in rows:
        print(f"{label:<40}{target:>10}{baseline[key]:>13.1f} {unit:<2}{flood[key]:>13.1f} {unit:<2}")
    print(f"{'timer ticks / key presses measured':<40}{'':>10}{baseline['ticks']:>9}/{baseline['keys']:<6}{flood['ticks']:>9}/{flood['keys']:<6}")
    ok = flood["stall_max_ms"] < TARGET_STALL_MS and flood["key_max_ms"] < TARGET_STALL_MS
    print(f"\nresult: {'PASS' if ok else 'FAIL'} (longest stall {flood['stall_max_ms']:.0f} ms, target < {TARGET_STALL_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
