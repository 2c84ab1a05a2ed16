"""Drive ``msb-tui serve`` in Debian's Chromium: for the browser tests, the web benchmark
(benchmarks/bench_web.py) and the screenshot script (scripts/screenshots.py), which put this folder
on their path. Needs ``playwright``, from the test extra; it drives the installed Chromium through
``executable_path`` and never downloads a browser.

The page's terminal is a canvas, so what the app shows is read off the wire: an init script wraps
the page's ``WebSocket`` and keeps the terminal output as text (escape sequences removed), the
times the first screen text and the first frame naming "msb-tui" arrived, and the page's longest stalls (a 10 ms timer's lateness and the gaps
between animation frames).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# Chromium on a closed network: without the background-networking flags it keeps trying Google's
# hosts; --no-sandbox because the tests run as root.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

PAGE_HOOK = r"""
(() => {
  const state = {text: "", bytes: 0, firstFrameAt: null, firstTextAt: null, closed: null, timerLate: 0, frameGap: 0, longTask: 0, watching: false};
  window.__msb = state;
  const decoder = new TextDecoder();
  const strip = (s) => s.replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "").replace(/\x1b\[[0-9;?<=>]*[ -\/]*[@-~]/g, "")
                        .replace(/\x1b[()][0-9A-Za-z]|\x1b[=>78]/g, "");
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string") return;  // JSON meta messages
        const chunk = strip(decoder.decode(event.data, {stream: true}));
        state.bytes += event.data.byteLength;
        state.text = (state.text + chunk).slice(-400000);
        if (state.firstTextAt === null && chunk.replace(/\s/g, "").length > 20) state.firstTextAt = performance.now();
        if (state.firstFrameAt === null && state.text.includes("msb-tui")) state.firstFrameAt = performance.now();
      });
      this.addEventListener("close", (event) => { state.closed = event.code; });
    }
  };
  // Stalls: how late a 10 ms timer fires, and the longest gap between animation frames.
  let lastTick = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (state.watching) state.timerLate = Math.max(state.timerLate, now - lastTick - 10);
    lastTick = now;
  }, 10);
  let lastFrame = null;
  const frame = (t) => {
    if (state.watching && lastFrame !== null) state.frameGap = Math.max(state.frameGap, t - lastFrame);
    lastFrame = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  // The page's own work: the longest task on its main thread (the browser reports those over 50 ms).
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (state.watching) state.longTask = Math.max(state.longTask, entry.duration);
    }).observe({type: "longtask"});
  } catch (error) { /* no long-task timing in this browser */ }
})();
"""


def chromium_path() -> str | None:
    """Debian's Chromium (``apt-get install chromium``), or None."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """A running ``msb-tui serve``: its process, port and what it printed."""

    def __init__(self, process: subprocess.Popen, port: int, output: Path) -> None:
        self.process, self.port, self.output = process, port, output

    def url(self, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{query}"

    def printed(self) -> str:
        return self.output.read_text(errors="replace")


@contextmanager
def serve(args: list[str], *, cwd: Path, log_dir: Path, timeout: float = 20.0,
          env: dict[str, str] | None = None) -> Iterator[Served]:
    """Start ``msb-tui serve ARGS --port <free>`` and wait until it answers; stop it (and its
    sessions' app processes) on the way out."""
    port = free_port()
    output = log_dir / f"serve-{port}.log"
    env = dict(os.environ, COLUMNS="200", PYTHONUNBUFFERED="1", **(env or {}))
    with open(output, "wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "msb_tui", "serve", *args, "--port", str(port)],
                                   cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    served = Served(process, port, output)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"msb-tui serve exited with {process.returncode}:\n{served.printed()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"msb-tui serve did not answer in {timeout} s:\n{served.printed()}") from None
                time.sleep(0.05)
        yield served
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the server and the app processes it started
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def browser() -> Iterator:
    """Headless Debian Chromium through Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("no chromium: install Debian's chromium (scripts/dev.sh setup does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def open_page(instance, url: str, *, width: int = 1400, height: int = 860):
    """A new page with the hook installed, navigated to ``url`` (not waiting for the app)."""
    page = instance.new_page(viewport={"width": width, "height": height})
    page.add_init_script(PAGE_HOOK)
    page.goto(url)
    return page


def wait_for_first_text(page, timeout: float = 30.0) -> float:
    """Wait for the app's first screen (any text); when it arrived (ms after the navigation began)."""
    page.wait_for_function("window.__msb && window.__msb.firstTextAt !== null", timeout=timeout * 1000)
    return float(page.evaluate("window.__msb.firstTextAt"))


def screen_text(page) -> str:
    return page.evaluate("window.__msb ? window.__msb.text : ''")


def wait_for_text(page, *texts: str, timeout: float = 20.0) -> str:
    """Wait until everything in ``texts`` has appeared in the terminal output; the output so far."""
    deadline = time.monotonic() + timeout
    while True:
        text = screen_text(page)
        if all(item in text for item in texts):
            return text
        if time.monotonic() > deadline:
            tail = re.sub(r"\s+", " ", text[-1500:])
            raise AssertionError(f"{texts} did not appear in {timeout} s; the terminal showed: …{tail}")
        page.wait_for_timeout(50)


def focus_terminal(page) -> None:
    """Keys go to the terminal once its input has focus (a click on the page does that for a user)."""
    page.focus(".xterm-helper-textarea")
