"""Benchmark: a 1,000,000-line build log replayed into the running build view.

Target: the app never goes more than 100 ms without handling input or painting, and its memory
stays bounded. Variants, each run in a fresh process, interleaved over ``--runs`` runs (medians
printed): the idle app (baseline), the flood with a reader that never steps aside, and as shipped
(the reader pauses while the UI handles and paints a batch). Measured headless (``run_test``): a 10 ms timer records its own lateness (the event
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
import gc
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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

    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    client = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"), timeout=600)
    with tempfile.TemporaryDirectory(prefix="msb-flood-") as folder:
        context = Path(folder)
        (context / "Dockerfile").write_text(DOCKERFILE.format(nonce=time.time_ns(), lines=lines))
        raw = BENCH_DIR / "flood-1m.jsonl"
        started = time.monotonic()
        # The classic builder: BuildKit clips step output ("log limit 200KiB/s reached"), so only
        # the classic builder delivers all million lines through the Engine API.
        inputs = BuildInputs(context=context, tags=("msb-test-tui/flood:latest",))
        stream = open_backend("classic", client=client, record=raw).start(inputs)
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


class Probe:
    """A 10 ms timer measuring its own lateness, and input round trips.

    Input: a thread posts a ``Ping`` to the app every 20 ms, the way the terminal driver's thread
    posts key events; the app's handler records how long it waited in the queue.
    """

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.pings: list[float] = []
        self._expected: float | None = None
        self.active = False

    def tick(self) -> None:
        now = time.perf_counter()
        if self.active and self._expected is not None:
            self.lateness.append(max(0.0, now - self._expected))
        self._expected = now + 0.010

    def summary(self) -> dict[str, float]:
        late = sorted(self.lateness) or [0.0]
        pings = sorted(self.pings) or [0.0]
        return {
            "stall_max_ms": late[-1] * 1000,
            "stall_p99_ms": late[max(0, int(len(late) * 0.99) - 1)] * 1000,
            "ticks": len(self.lateness),
            "input_max_ms": pings[-1] * 1000,
            "input_median_ms": statistics.median(pings) * 1000,
            "pings": len(self.pings),
        }


class GatedSource:
    """Holds a source back until the app is up and the probes run (startup is not the flood), and
    pauses after the first log line until the full log view is open (every run does the same work)."""

    def __init__(self, source, gate: threading.Event, log_open: threading.Event) -> None:
        self.source, self.gate, self.log_open = source, gate, log_open
        self.speed = getattr(source, "speed", None)

    def cancel(self) -> None:
        self.gate.set()
        self.log_open.set()
        self.source.cancel()

    def __iter__(self):
        from msb_tui.builds.events import LogChunk

        self.gate.wait()
        paused = False
        for event in self.source:
            yield event
            if not paused and isinstance(event, LogChunk):
                paused = True
                self.log_open.wait(10)


async def measure(recording: Path | None, *, idle_seconds: float = 3.0, open_log: bool = True) -> dict:
    """Run the build view on ``recording`` (None: idle app, the baseline) and measure it."""
    from textual.app import App
    from textual.message import Message

    from msb_tui.tui.build_screen import BuildScreen
    from msb_tui.backends.base import EventListSource
    from msb_tui.backends.replay import ReplaySource
    from msb_tui.tui.messages import BuildFinished

    probe = Probe()
    finished = asyncio.Event()
    gate, log_open = threading.Event(), threading.Event()
    gc_pauses: list[float] = []
    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict) -> None:
        key = threading.get_ident()
        if phase == "start":
            gc_started[key] = time.perf_counter()
        elif key in gc_started and probe.active:
            gc_pauses.append(time.perf_counter() - gc_started.pop(key))

    gc.callbacks.append(on_gc)

    class Ping(Message):
        def __init__(self, sent: float) -> None:
            super().__init__()
            self.sent = sent

    if recording is not None:
        # Replay the gzip'd recording as fast as possible (speed=None): the worst case for the UI.
        raw = BENCH_DIR / "flood-1m.replay.jsonl"
        if not raw.exists():
            with gzip.open(recording, "rb") as source, open(raw, "wb") as target:
                shutil.copyfileobj(source, target)

        def start():
            return GatedSource(ReplaySource(raw, None), gate, log_open)
    else:

        def start():
            return GatedSource(EventListSource([], hold_open=True), gate, log_open)

    class FloodApp(App):
        def on_mount(self) -> None:
            self.set_interval(0.010, probe.tick)
            self.push_screen(BuildScreen(None, start, title="flood"))

        def on_build_finished(self, message: BuildFinished) -> None:
            finished.set()

        def on_ping(self, message: Ping) -> None:
            if probe.active:
                probe.pings.append(time.perf_counter() - message.sent)

    stop_pinging = threading.Event()

    def pinger(app: App) -> None:
        while not stop_pinging.wait(0.020):
            app.post_message(Ping(time.perf_counter()))

    app = FloodApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await asyncio.sleep(0.5)  # startup done: measure the build only
        screen = app.screen
        column = screen.columns[0]
        thread = threading.Thread(target=pinger, args=(app,), daemon=True)
        thread.start()
        probe.active = True
        started = time.perf_counter()
        gate.set()
        opened = False
        deadline = started + (600.0 if recording is not None else idle_seconds)
        while time.perf_counter() < deadline and not finished.is_set():
            if open_log and not opened and recording is not None:
                with column.feed.lock:
                    running = [step.digest for step in column.model.running_steps() if step.log.total]
                if running:
                    column.open_log(running[0])  # the full log view follows the flood too
                    opened = True
                    log_open.set()
            await asyncio.sleep(0.005 if not opened else 0.02)
        wall = time.perf_counter() - started
        await pilot.pause()
        probe.active = False
        stop_pinging.set()
        with column.feed.lock:
            model = column.model
            lines = sum(step.log.total for step in model.steps.values())
            status = model.status
        shown = screen.query_one("#log-lines").line_count if opened else 0
        screen.cancel_all()
        await app.workers.wait_for_complete()
    gc.callbacks.remove(on_gc)
    return {
        "gc_max_ms": max(gc_pauses, default=0.0) * 1000,
        **probe.summary(),
        "wall_s": wall,
        "status": status,
        "log_lines": lines,
        "log_view_lines": shown,
        "peak_rss_mb": peak_rss_mb(),
    }


VARIANTS = {  # name: the reader steps aside while the UI paints a batch
    "idle": True,
    "unyielding": False,
    "shipped": True,
}


def _run_variant(name: str) -> dict:
    """One measurement in a fresh process (same imports, same startup heap as the real app)."""
    output = subprocess.run(
        [sys.executable, __file__, "--variant", name], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _variant_main(name: str) -> int:
    from msb_tui.builds.feed import BuildFeed

    BuildFeed.yield_to_ui = VARIANTS[name]
    result = asyncio.run(measure(None if name == "idle" else RECORDING))
    print(json.dumps(result))
    return 0


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="record the flood build on the engine first")
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant (medians are printed)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # one run, JSON out
    args = parser.parse_args()
    if args.variant:
        return _variant_main(args.variant)
    if args.record or not RECORDING.exists():
        if not args.record:
            print(f"no recording at {RECORDING}: recording it now on the engine")
        record(args.lines)
    load_before = os.getloadavg()[0]
    variants: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for _ in range(args.runs):  # interleaved, so machine load hits every variant alike
        for name in VARIANTS:
            variants[name].append(_run_variant(name))
    load_after = os.getloadavg()[0]
    rows = [
        ("longest stall (10 ms timer lateness)", "stall_max_ms", "ms", f"< {TARGET_STALL_MS:.0f}"),
        ("p99 stall", "stall_p99_ms", "ms", ""),
        ("longest garbage-collector pause", "gc_max_ms", "ms", ""),
        ("input round trip, max", "input_max_ms", "ms", f"< {TARGET_STALL_MS:.0f}"),
        ("input round trip, median", "input_median_ms", "ms", ""),
        ("peak RSS (the run's process)", "peak_rss_mb", "MB", ""),
        ("wall time of the flood", "wall_s", "s", ""),
    ]
    shipped = variants["shipped"]
    print(f"\nbuild view under a {shipped[0]['log_lines']:,}-line log flood (replay speed=None), "
          f"status {shipped[0]['status']}; medians of {args.runs} runs; "
          f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs")
    columns = (("idle", 10), ("unyielding", 13), ("shipped", 11))
    print(f"{'figure':<38}{'target':>8}{'idle app':>13}{'flood, reader':>16}{'flood,':>14}")
    print(f"{'':<38}{'':>8}{'(baseline)':>13}{'not yielding':>16}{'shipped':>14}")
    for label, key, unit, target in rows:
        print(f"{label:<38}{target:>8}" + "".join(
            f"{_median(variants[name], key):>{width}.1f} {unit:<2}" for name, width in columns
        ))
    worst = max(run["stall_max_ms"] for run in shipped)
    print(f"{'worst shipped run: longest stall':<38}{'':>8}{'':>13}{'':>16}{worst:>11.1f} ms")
    print(f"log view (kept tail of the flooding step): {shipped[0]['log_view_lines']:,} lines; model keeps <= 5,000 per step")
    stall = _median(shipped, "stall_max_ms")
    ok = stall < TARGET_STALL_MS and _median(shipped, "input_max_ms") < TARGET_STALL_MS
    print(f"\nresult: {'PASS' if ok else 'FAIL'} (median longest stall {stall:.0f} ms, target < {TARGET_STALL_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
