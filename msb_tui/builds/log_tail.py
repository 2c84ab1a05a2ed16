"""LogTail: the bounded tail of a step's output, split into lines as a terminal would show them."""

from __future__ import annotations

import codecs
from collections import deque

MAX_LINE = 16384
"""Characters per log line kept in a LogTail; longer lines (and a line that never ends) are cut."""


class LogTail:
    """The last ``limit`` lines of a step's output, plus how many were dropped to stay bounded.

    Chunks are split into lines per stream; a line cut between chunks is carried over. Bytes are
    decoded as UTF-8 with replacement characters (incrementally, so a character split across
    chunks survives). ``\\r`` rewrites the line as a terminal would: only the text after the last
    carriage return is kept. Lines longer than ``MAX_LINE`` are cut into pieces, so a line that
    never ends cannot grow without bound. Lines are NOT sanitized: display them with ``msb_tui.sanitize``.
    """

    __slots__ = ("lines", "dropped", "total", "_partial", "_decoders")

    def __init__(self, limit: int = 5000):
        self.lines: deque[str] = deque(maxlen=max(1, limit))
        self.dropped = 0
        self.total = 0
        self._partial: dict[int, str] = {}
        self._decoders: dict[int, codecs.IncrementalDecoder] = {}

    @property
    def partial(self) -> str:
        """Text of a line still being written (no newline yet), all streams joined."""
        return "".join(self._partial.values())

    def feed(self, data: bytes, stream: int = 1) -> list[str]:
        """Add a chunk; return the complete lines it finished."""
        decoder = self._decoders.get(stream)
        if decoder is None:
            decoder = self._decoders[stream] = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(data)
        if not text:
            return []
        pending = self._partial.get(stream, "") + text
        if "\n" not in text:
            lines: list[str] = []
        else:
            parts = pending.split("\n")
            pending = parts.pop()
            lines = self._add(parts)
        if len(pending) > MAX_LINE:
            # A line still being written: a progress bar redraws it (keep the text after the last
            # carriage return), anything else is cut into MAX_LINE pieces so memory stays bounded.
            cut = pending.rfind("\r", 0, len(pending) - 1)
            if cut >= 0:
                pending = pending[cut + 1 :]
            while len(pending) > MAX_LINE:
                lines += self._add([pending[:MAX_LINE]])
                pending = pending[MAX_LINE:]
        self._partial[stream] = pending
        return lines

    def flush(self) -> list[str]:
        """End of the step: partial lines become lines."""
        out: list[str] = []
        for stream, decoder in self._decoders.items():
            rest = self._partial.get(stream, "") + decoder.decode(b"", final=True)
            if rest:
                out.extend(self._add([rest]))
            self._partial[stream] = ""
        return out

    def _add(self, parts: list[str]) -> list[str]:
        if parts:
            # Fast path for the common case: no carriage return, no over-long line.
            joined_length = sum(map(len, parts))
            if joined_length <= MAX_LINE and not any("\r" in line for line in parts):
                return self._keep(parts)
        lines = []
        for line in parts:
            if "\r" in line:
                line = line.rstrip("\r")
                if "\r" in line:
                    line = line.rsplit("\r", 1)[1]
            if len(line) > MAX_LINE:
                lines.extend(line[i : i + MAX_LINE] for i in range(0, len(line), MAX_LINE))
                continue
            lines.append(line)
        return self._keep(lines)

    def _keep(self, lines: list[str]) -> list[str]:
        lines_deque = self.lines
        overflow = len(lines_deque) + len(lines) - lines_deque.maxlen  # type: ignore[operator]
        if overflow > 0:
            self.dropped += overflow
        lines_deque.extend(lines)
        self.total += len(lines)
        return lines
