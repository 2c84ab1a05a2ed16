"""Benchmark: msb-tui in a browser (``msb-tui serve``, headless Debian Chromium).

Two figures, each beside its baseline in the same run:

1. **First frame**: from opening the page (the navigation's start) to the first terminal output
   that holds the app's first screen ("msb-tui" on the wire). Target ≤ 3 s. Variants, interleaved
   over ``--runs`` runs, each a new page and so a new session (a new app process):
   - ``msb-tui serve``        the app on the seed-example demo through our server (token, limit);
   - ``textual-serve stock``  the same app command through textual-serve's own ``Server``;
   - ``hello app``            textual-serve's ``Server`` with a one-widget Textual app (the floor:
                              Python + Textual start-up + the page).
2. **Longest stall of the page** while the app replays the 1,000,000-line recording: the largest
   lateness of a 10 ms timer in the page, the largest gap between animation frames and the longest
   task on the page's main thread (long-task timing). As a presenter would: the page is open and
   has settled (3 s after the app's first screen), then the replay is started from the History
   screen (h, a speed, enter) and watched until 2 s after it ended. Twice: as fast as it can (0)
   and at the recorded pace (1). Target < 200 ms. Baselines, watched for 8 s: the same page with
   the app idle on the graph, and a blank page (what the machine's load alone does to a page: on
   a shared 2-core machine it is not zero).

The recording is ``benchmarks/bench_tui_flood.py``'s (``RUN seq 1 1000000`` on the engine, kept
gzip'd in $MSB_BENCH_DIR); it is recorded first when missing (needs the engine).

    .venv/bin/python benchmarks/bench_web.py [--runs 5]
"""

from __future__ import annotations

import argparse
import gzip
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests" / "web"))

import driver  # noqa: E402

BLANK = "data:text/html,<title>blank</title><p>blank"

HELLO = """
from textual.app import App
from textual.widgets import Static
class Hello(App):
    def compose(self):
        yield Static("msb-tui hello")
Hello().run()
"""


@contextmanager
def stock_server(command: str):
    """textual-serve's own Server for ``command``, on a free port, in a process of its own."""
    port = driver.free_port()
    code = (f"from textual_serve.server import Server; "
            f"Server({command!r}, host='127.0.0.1', port={port}).serve()")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        import socket

        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        import os
        import signal

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def first_frame_ms(instance, url: str) -> float:
    page = driver.open_page(instance, url)
    try:
        driver.wait_for_text(page, "msb-tui", timeout=30)
        return float(page.evaluate("window.__msb.firstFrameAt"))
    finally:
        page.close()
        time.sleep(0.5)  # the session's app process ends before the next page opens


def bench_first_frame(instance, runs: int, logs: Path) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"msb-tui serve": [], "textual-serve stock": [], "hello app": []}
    app_command = shlex.join([sys.executable, "-m", "msb_tui", str(REPO / "demo_dockerfiles" / "seed-example"),
                              "--offline-demo-args"])
    hello = logs / "hello.py"
    hello.write_text(HELLO)
    with driver.serve(["--demo", "seed-example", "--max-sessions", "1"], cwd=REPO, log_dir=logs) as ours, \
            stock_server(app_command) as stock, stock_server(shlex.join([sys.executable, str(hello)])) as floor:
        urls = {"msb-tui serve": ours.url(), "textual-serve stock": stock, "hello app": floor}
        first_frame_ms(instance, ours.url())  # warm the page cache and the byte-code once
        for _ in range(runs):
            for name, url in urls.items():
                results[name].append(first_frame_ms(instance, url))
    return results


def flood_recording(logs: Path) -> Path:
    import bench_tui_flood

    if not bench_tui_flood.RECORDING.exists():
        print(f"no recording at {bench_tui_flood.RECORDING}: recording the 1,000,000-line build on the engine")
        bench_tui_flood.record()
    raw = logs / "flood-1m.jsonl"
    with gzip.open(bench_tui_flood.RECORDING, "rb") as source, open(raw, "wb") as target:
        shutil.copyfileobj(source, target)
    return raw


SETTLE_MS = 3000  # the page's own start-up (the terminal's first render, the font) is not a stall


def stalls(instance, url: str, *, keys: tuple[str, ...] = (), until: tuple[str, ...] = (),
           seconds: float = 0.0) -> dict[str, float]:
    """Open ``url``, let it settle, press ``keys`` and watch the page until ``until`` shows (then
    ``seconds`` more) or for ``seconds``."""
    page = driver.open_page(instance, url)
    try:
        if not url.startswith("data:"):
            driver.wait_for_first_text(page, timeout=60)
            driver.focus_terminal(page)
        page.wait_for_timeout(SETTLE_MS)
        mark = len(driver.screen_text(page))
        page.evaluate("Object.assign(window.__msb, {timerLate: 0, frameGap: 0, longTask: 0, watching: true})")
        started = time.monotonic()
        for key in keys:
            page.keyboard.press(key)
            page.wait_for_timeout(300)
        if until:
            deadline = started + 900
            while not any(word in driver.screen_text(page)[mark:] for word in until):
                if time.monotonic() > deadline:
                    raise SystemExit("the replay did not end in 900 s")
                page.wait_for_timeout(100)
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.monotonic() - started
        state = page.evaluate("window.__msb")
        return {"seconds": elapsed, "timer_late_ms": state["timerLate"], "frame_gap_ms": state["frameGap"],
                "long_task_ms": state["longTask"], "bytes": state["bytes"]}
    finally:
        page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="msb-bench-web-") as folder, driver.browser() as instance:
        logs = Path(folder)
        print(f"Chromium {instance.version}, {args.runs} runs each, interleaved\n")
        print("1. page opened -> first frame of the app (ms)      median   worst   target ≤ 3000")
        for name, values in bench_first_frame(instance, args.runs, logs).items():
            print(f"   {name:<22} {'':24} {statistics.median(values):7.0f} {max(values):7.0f}")
        recording = flood_recording(logs)
        state = logs / "state"
        (state / "recordings").mkdir(parents=True)
        recording.rename(state / "recordings" / recording.name)
        app = ["--demo", "seed-example"]
        variants = {"blank page (machine)": (None, (), (), 8.0),
                    "idle app (baseline)": (app, (), (), 8.0),
                    "replay, as fast as it can": (app, ("h", "0", "Enter"), ("SUCCEEDED", "FAILED"), 2.0),
                    "replay, recorded pace": (app, ("h", "1", "Enter"), ("SUCCEEDED", "FAILED"), 2.0)}
        figures: dict[str, list[dict]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, (serve_args, keys, until, extra) in variants.items():
                if serve_args is None:  # no app at all
                    figures[name].append(stalls(instance, BLANK, seconds=extra))
                    continue
                with driver.serve(serve_args, cwd=REPO, log_dir=logs, env={"MSB_TUI_STATE": str(state)}) as served:
                    figures[name].append(stalls(instance, served.url(), keys=keys, until=until, seconds=extra))
        print("\n2. longest stall of the page (ms), 1,000,000-line recording   timer late    frame gap    long task"
              "   target < 200")
        print(f"   {'':26} {'watched':>8} {'on the wire':>12}  median worst  median worst  median worst")
        for name, runs in figures.items():
            late = [run["timer_late_ms"] for run in runs]
            gap = [run["frame_gap_ms"] for run in runs]
            task = [run["long_task_ms"] for run in runs]
            print(f"   {name:<26} {statistics.median(r['seconds'] for r in runs):6.1f} s "
                  f"{statistics.median(r['bytes'] for r in runs) / 1e6:9.1f} MB  "
                  f"{statistics.median(late):6.0f} {max(late):5.0f}  {statistics.median(gap):6.0f} {max(gap):5.0f}  "
                  f"{statistics.median(task):6.0f} {max(task):5.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
