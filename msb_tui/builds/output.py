"""Headless build output that a slow reader cannot stall: ``msb-tui build | slow-consumer``.

Writing progress straight to a pipe blocks when its reader lags; then msb-tui stops reading the
engine's stream and the build stalls with it (issue 15: Docker 20.10 then sent empty traces for 11
minutes). Here a thread writes to the real stream and the build hands it text through a queue of at
most ``MSB_TUI_OUTPUT_BUFFER`` bytes (default 16 MiB). When the queue is full, blocks of progress are
dropped and counted, and a note says how many lines the reader missed once it catches up; the
recording keeps everything. At the end the reader gets ``SETTLE_SECONDS`` to catch up; progress it
still has not read is dropped (and counted), then the summary is written whole, waiting for the
reader as long as it takes: the build is over by then.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import TextIO

DEFAULT_BUFFER = 16 << 20
BLOCK = 1 << 16
SETTLE_SECONDS = 2.0


def buffer_limit() -> int:
    try:
        return max(1, int(os.environ.get("MSB_TUI_OUTPUT_BUFFER", "") or DEFAULT_BUFFER))
    except ValueError:
        return DEFAULT_BUFFER


class NonBlockingOutput:
    """A text stream whose ``write`` never waits for the reader (see the module docstring)."""

    def __init__(self, stream: TextIO, limit: int | None = None):
        self.stream = stream
        self.limit = buffer_limit() if limit is None else limit
        self.dropped_lines = 0
        self._pending_drop = 0  # dropped since the last note
        self._queue: deque[str] = deque()
        self._queued = 0
        self._lock = threading.Condition()
        self._closing = False
        self._closing_soon = False
        self._writing = 0  # characters the writer thread is writing now (taken off the queue)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="msb-tui-output", daemon=True)
        self._thread.start()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def write(self, text: str) -> int:
        if not text:
            return 0
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._queued + len(text) > self.limit and not self._closing_soon:
                lines = text.count("\n") or 1
                self.dropped_lines += lines
                self._pending_drop += lines
                return len(text)
            if self._pending_drop:
                self._note()
            self._queue.append(text)
            self._queued += len(text)
            self._lock.notify_all()
        return len(text)

    def _note(self) -> None:
        note = (f"[msb-tui: {self._pending_drop} line(s) of progress not shown: the output was not read fast "
                "enough (the recording has them)]\n")
        self._queue.append(note)
        self._queued += len(note)
        self._pending_drop = 0

    def flush(self) -> None:
        """Nothing to wait for: the writer thread flushes after each block."""

    def settle(self, wait: float = SETTLE_SECONDS) -> None:
        """The build is over: give the reader ``wait`` seconds to catch up, then drop the progress it
        has not read (counted in a note), so that the summary follows soon; from now on nothing is
        dropped (the summary is shown whole)."""
        with self._lock:
            self._lock.wait_for(lambda: not self._queue or self._error is not None, timeout=wait)
            self._closing_soon = True
            if self._queue:
                late = sum(part.count("\n") for part in self._queue)
                self._pending_drop += late
                self.dropped_lines += late
                self._queue.clear()
                self._queued = self._writing
            if self._pending_drop:
                self._note()
            self._lock.notify_all()

    def close(self) -> None:
        """Write everything still queued (and the final note), waiting for the reader; then stop."""
        self.settle()
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def _drain(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._lock.wait()
                if not self._queue and self._closing:
                    return
                # At most BLOCK characters at a time: a late drop (settle) only waits for this block.
                parts, size = [], 0
                while self._queue and (not parts or size + len(self._queue[0]) <= BLOCK):
                    part = self._queue.popleft()
                    parts.append(part)
                    size += len(part)
                block = "".join(parts)
                self._writing = len(block)
            try:
                self.stream.write(block)
                self.stream.flush()
            except BaseException as error:  # noqa: BLE001 - a broken pipe: reported to the writer
                with self._lock:
                    self._error = error
                    self._queue.clear()
                    self._queued = 0
                return
            with self._lock:
                self._queued -= len(block)
                self._writing = 0
                self._lock.notify_all()
