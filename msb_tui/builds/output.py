"""Headless build output that a slow reader cannot stall: ``msb-tui build | slow-consumer``.

Writing progress straight to a pipe blocks when its reader lags; then msb-tui stops reading the
engine's stream and the build stalls with it (issue 15: Docker 20.10 then sent empty traces for 11
minutes). Here a thread writes to the real stream and the build hands it text through a queue of at
most ``MSB_TUI_OUTPUT_BUFFER`` bytes (default 16 MiB). When the queue is full, blocks of progress are
dropped and counted, and a note says how many lines the reader missed once it catches up; the
recording keeps everything. At the end (``close``) the summary is always written, waiting for the
reader as long as it takes: the build is over by then.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import TextIO

DEFAULT_BUFFER = 16 << 20


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
            self._lock.notify()
        return len(text)

    def _note(self) -> None:
        note = (f"[msb-tui: {self._pending_drop} line(s) of progress not shown: the output was not read fast "
                "enough (the recording has them)]\n")
        self._queue.append(note)
        self._queued += len(note)
        self._pending_drop = 0

    def flush(self) -> None:
        """Nothing to wait for: the writer thread flushes after each block."""

    def settle(self) -> None:
        """From now on nothing is dropped (the build is over: the summary must be shown whole)."""
        with self._lock:
            self._closing_soon = True
            if self._pending_drop:
                self._note()
                self._lock.notify()

    def close(self) -> None:
        """Write everything still queued (and the final note), waiting for the reader; then stop."""
        self.settle()
        with self._lock:
            self._closing = True
            self._lock.notify()
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
                block = "".join(self._queue)
                self._queue.clear()
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
