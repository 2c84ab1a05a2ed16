"""Record a build's engine messages as JSON lines, and replay them later as events.

Format (one JSON object per line):

1. header ``{"kind": "msb-tui-recording", "version": 1, "inputs": {...}}`` — what was built: context,
   dockerfile path and its text, target, build args (secret values masked, see ``masking.py``),
   classic, engine version, start time. Written and flushed before the first message.
2. one line per engine message ``{"t": <receive time, epoch seconds>, "m": <the raw engine message>}``
   (a message that was not valid JSON is kept as ``{"t": ..., "raw": "<text>"}``; msb-tui's own remark,
   e.g. that the size limit was reached, as ``{"t": ..., "note": "..."}``). Empty BuildKit traces are
   only counted.
3. footer ``{"kind": "end", "t": ..., "outcome": "succeeded"|"failed"|"cancelled", "image_id": ...,
   "error": ..., "messages": N}`` (plus ``empty_traces`` and ``not_recorded`` counts when non-zero).

The file is private (0600) and flushed at least every ``FLUSH_SECONDS``, so killing msb-tui loses at
most the last second. Damage policy: a recording whose LAST line is cut off, or that has no footer
(msb-tui was killed mid-build), is *interrupted*: everything valid is replayed, then a
``BuildFailed("recording interrupted at line N: ...")`` ends it, so a viewer shows what happened and
says why it stops. A bad line anywhere else, or a missing/invalid header, is *corrupt*:
``RecordingError`` naming the line. Lines are read at most ``MAX_LINE`` bytes at a time, nesting too
deep for ``json`` and non-finite times are handled as damage, never as tracebacks.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage, StreamText

FORMAT = "msb-tui-recording"
VERSION = 1

EMPTY_TRACE = b'{"id":"moby.buildkit.trace","aux":""}'
"""What Docker 20.10 sends over and over while a reader is slow: it carries nothing, so it is counted
(the footer's ``empty_traces``) instead of being recorded one line each (issue 15: 3.3 GB in 11 min)."""

DEFAULT_LIMIT = 512 << 20
"""Recording size limit (``MSB_TUI_RECORDING_LIMIT`` overrides it, in bytes or with K/M/G): past it
the build goes on, a note line says so, and later messages are counted, not recorded."""

FLUSH_SECONDS = 0.5
"""Buffered data reaches the file at least this often, and at every terminal event, so a killed
msb-tui (SIGKILL included) leaves everything received up to the last second on disk."""

MAX_PAUSE = 60.0
"""The longest pause a paced replay makes between two messages, whatever the recorded gap."""

FOOTER_BYTES = 1 << 16
"""How much of a recording's end :func:`read_footer` reads: the footer is one line, long only
when it holds a long error text."""

MAX_LINE = 64 << 20
"""The longest recording line read back (the header holds the Dockerfile; an engine message is at
most a few hundred KB): a longer one is corrupt, not a reason to read until memory runs out."""


def recording_limit() -> int:
    """The size limit in bytes, from ``MSB_TUI_RECORDING_LIMIT`` (``0`` = none) or the default."""
    text = os.environ.get("MSB_TUI_RECORDING_LIMIT", "").strip().upper()
    if not text:
        return DEFAULT_LIMIT
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    try:
        return max(0, int(float(text.rstrip("KMGB") or "0") * scale))
    except ValueError:
        return DEFAULT_LIMIT


class RecordingError(Exception):
    """A recording that cannot be read (corrupt line, bad header); the message names the line."""


class Recorder:
    """Writes one build's recording: a private (0600) file, buffered (a log flood must not cost a
    syscall per line) and flushed by a small thread every ``FLUSH_SECONDS`` and on close."""

    def __init__(self, path: Path, inputs: dict[str, Any], *, limit: int | None = None):
        from msb_tui.paths import open_private, private_dir

        self.path = Path(path)
        private_dir(self.path.parent)
        self._file: IO[bytes] | None = open_private(self.path, buffering=1 << 16)
        self.messages = 0
        self.empty_traces = 0
        self.dropped = 0  # messages not recorded because the size limit was reached
        self.limit = recording_limit() if limit is None else limit
        self.limit_reached = False
        self._lock = threading.Lock()
        self._dirty = False
        header = {"kind": FORMAT, "version": VERSION, "inputs": inputs}
        data = json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n"
        self.size = len(data)
        self._file.write(data)
        self._file.flush()  # the header is on disk before the first message arrives
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="msb-tui-recorder", daemon=True)
        self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            if self._dirty:
                self.flush()

    def flush(self) -> None:
        """Hand buffered lines to the OS now (they survive the process being killed)."""
        with self._lock:
            if self._file is not None:
                self._dirty = False
                try:
                    self._file.flush()
                except (OSError, ValueError):  # disk full, or closed under us: the build goes on
                    pass

    def message(self, received: float, raw_line: bytes, valid: bool = True) -> str | None:
        """Record one engine message as received (``raw_line`` is its JSON text, without newline).

        Returns a note for the user when this message reached the size limit (once), else None.
        """
        if self._file is None:
            return None
        if raw_line == EMPTY_TRACE:
            self.empty_traces += 1
            return None
        self.messages += 1
        if self.limit_reached:
            self.dropped += 1
            return None
        if valid:
            data = b'{"t":%.6f,"m":%s}\n' % (received, raw_line)
        else:
            text = raw_line.decode("utf-8", "replace")
            data = b'{"t":%.6f,"raw":%s}\n' % (received, json.dumps(text).encode("utf-8"))
        if self.limit and self.size + len(data) > self.limit:
            self.limit_reached = True
            self.dropped += 1
            note = (f"recording size limit reached ({self.limit / (1 << 20):.0f} MiB): the build goes on, "
                    "later engine messages are counted but not recorded (MSB_TUI_RECORDING_LIMIT sets the limit)")
            self._file.write(json.dumps({"t": received, "note": note}).encode("utf-8") + b"\n")
            self.flush()
            return note
        self.size += len(data)
        self._file.write(data)
        self._dirty = True
        return None

    def close(self, outcome: str, *, image_id: str | None = None, error: str | None = None) -> None:
        """Write the footer and close (flushed at once: the end of a build is never lost)."""
        self._stop.set()
        with self._lock:
            if self._file is None:
                return
            footer = {
                "kind": "end",
                "t": time.time(),
                "outcome": outcome,
                "image_id": image_id,
                "error": error,
                "messages": self.messages,
            }
            if self.empty_traces:
                footer["empty_traces"] = self.empty_traces
            if self.limit_reached:
                footer["not_recorded"] = self.dropped
            self._file.write(json.dumps(footer, ensure_ascii=False).encode("utf-8") + b"\n")
            self._file.close()
            self._file = None


@dataclass
class _Entry:
    """One line of a recording's body: an engine message (``message``) or an undecodable one (``raw``)."""

    t: float | None
    message: Any = None
    raw: str | None = None
    note: str | None = None  # msb-tui's own remark (e.g. the size limit was reached)


def _lines(handle: IO[bytes], path: Path) -> Iterator[tuple[int, bytes]]:
    """(number, line) of the lines after the header, each at most ``MAX_LINE`` bytes (a longer one
    is corrupt)."""
    number = 1
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE:
            raise RecordingError(f"{path}: line {number} is longer than {MAX_LINE >> 20} MiB: not a recording line")
        yield number, line


def _time(value: Any) -> float | None:
    """A message's receive time; None when it is not a finite number (1e999 reads as Infinity)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            value = float(value)  # an integer of 400 digits does not fit
        except OverflowError:
            return None
        return value if math.isfinite(value) else None
    return None


def _open(path: Path) -> tuple[IO[bytes], dict[str, Any]]:
    """The file, read past its header, and the header's inputs; ``RecordingError`` if unreadable."""
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise RecordingError(f"cannot open recording {path}: {error.strerror or error}") from error
    try:
        if b"\0" in handle.peek(4096)[:4096]:
            raise RecordingError(f"{path}: binary data (NUL bytes), not a recording")
        first = handle.readline(MAX_LINE + 1)
        if len(first) > MAX_LINE:
            raise RecordingError(f"{path}: line 1 is longer than {MAX_LINE >> 20} MiB: not a recording header")
        try:
            header = json.loads(first)
        except (ValueError, RecursionError) as error:
            if not first:
                raise RecordingError(
                    f"{path}: empty file: the recording was interrupted before anything was written"
                ) from error
            raise RecordingError(f"{path}: line 1 is not a recording header ({_why(error)})") from error
        if not isinstance(header, dict) or header.get("kind") != FORMAT or not isinstance(header.get("inputs"), dict):
            raise RecordingError(f"{path}: line 1 is not an msb-tui recording header")
    except (RecordingError, OSError) as error:
        handle.close()
        if isinstance(error, OSError):
            raise RecordingError(f"cannot read recording {path}: {error.strerror or error}") from error
        raise
    return handle, header["inputs"]


def _entries(handle: IO[bytes], path: Path) -> Iterator[_Entry | dict | str]:
    """The body's entries, then the footer (a dict) or why the recording stops early (a str)."""
    with handle:
        number = 1
        pending_error: tuple[int, str] | None = None
        footer_seen = False
        for number, line in _lines(handle, path):
            if pending_error is not None:
                bad, why = pending_error
                raise RecordingError(f"{path}: line {bad} is corrupt ({why})")
            if footer_seen:
                if line.strip():
                    raise RecordingError(
                        f"{path}: line {number} follows the end-of-recording footer")
                continue
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError) as error:
                if not line.endswith(b"\n"):
                    yield f"recording interrupted at line {number}: the last line is cut off"
                    return
                pending_error = (number, f"not valid JSON: {_why(error)}")
                continue
            if not isinstance(obj, dict):
                pending_error = (number, "not a JSON object")
                continue
            if obj.get("kind") == "end":
                footer_seen = True
                yield obj
                continue
            if "t" not in obj:
                pending_error = (number, "message line without a time")
                continue
            t = _time(obj.get("t"))
            if "m" in obj:
                yield _Entry(t, message=obj["m"])
            elif "raw" in obj:
                yield _Entry(t, raw=str(obj["raw"]))
            elif isinstance(obj.get("note"), str):
                yield _Entry(t, note=obj["note"])
            else:
                pending_error = (number, "message line without a message")
        if pending_error is not None:
            # A bad last line that still ends with a newline: cut off mid-write all the same.
            yield f"recording interrupted at line {pending_error[0]}: {pending_error[1]}"
            return
        if not footer_seen:
            yield (f"recording interrupted at line {number}: no end-of-recording footer (msb-tui "
                   "stopped before the build ended; what it received until then is shown)")


def _why(error: Exception) -> str:
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def replay(
    path: Path | str, speed: float | None = 1.0, *, sleep=None, clock=None
) -> Iterator[EngineEvent]:
    """The recording's events with the original pacing divided by ``speed`` (``None``: no waiting).

    Streams the file (a million-line recording is not loaded at once). Corrupt recordings raise
    ``RecordingError`` when the bad line is reached; truncated ones end with ``BuildFailed``.
    """
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive (or None for no pacing)")
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    path = Path(path)
    handle, inputs = _open(path)
    entries = _entries(handle, path)
    from msb_tui.builds.decode import MessageDecoder  # protobuf: only when replaying, not when recording

    decoder = MessageDecoder(classic=bool(inputs.get("classic")), dockerfile_text=inputs.get("dockerfile_text"))
    previous_t: float | None = None
    due = 0.0  # seconds after the start at which the current message is due
    wall_start = clock()
    ended = False  # the engine's own messages said how it ended (error or image id)
    for entry in entries:
        if isinstance(entry, dict):
            # The footer: outcomes the runner produced itself (cancel, lost connection) are not engine
            # messages, so replay them from the footer.
            outcome = entry.get("outcome")
            stamp = _time(entry.get("t"))
            if outcome == "cancelled":
                yield from decoder.translate([BuildCancelled(timestamp=stamp)])
            elif outcome == "failed" and not ended:
                yield from decoder.translate(
                    [BuildFailed(str(entry.get("error") or "the build failed"), {"recording": "footer"}, stamp)]
                )
            elif outcome == "succeeded" and not ended and isinstance(entry.get("image_id"), str):
                # The image id came after the size limit stopped the recording: the footer has it.
                yield from decoder.translate([ImageBuilt(entry["image_id"])])
            yield from decoder.finish()
            return
        if isinstance(entry, str):
            yield from decoder.translate([BuildFailed(entry, {"recording": "interrupted"})])
            yield from decoder.finish()
            return
        if speed is not None and entry.t is not None:
            if previous_t is not None:
                # A recorded pause counts at most MAX_PAUSE (a damaged time must not stall a replay).
                due += min(max(entry.t - previous_t, 0.0), MAX_PAUSE) / speed
            else:
                wall_start = clock()
            previous_t = entry.t
            wait = due - (clock() - wall_start)
            if wait > 0.001:
                sleep(wait)
        if entry.note is not None:
            yield StreamText(f"msb-tui: {entry.note}\n", entry.t)
            continue
        if entry.raw is not None:
            yield MalformedMessage("engine message was not valid JSON", entry.raw.encode("utf-8", "replace")[:200])
            continue
        try:
            events = decoder.decode(entry.message, entry.t)
        except RecursionError:
            events = [MalformedMessage("engine message nested too deeply", b"")]
        for event in events:
            if isinstance(event, (BuildFailed, ImageBuilt)):
                ended = True
            yield event
    yield from decoder.finish()


def read_inputs(path: Path | str) -> dict[str, Any]:
    """Only the header's inputs (cheap: reads one line)."""
    handle, inputs = _open(Path(path))
    handle.close()
    return inputs


def read_footer(path: Path | str) -> dict[str, Any]:
    """The end-of-recording footer, from the file's last line (cheap: reads only the tail); {} when
    there is none (a build still running, a killed msb-tui) or the file cannot be read."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - FOOTER_BYTES))
            last = handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        footer = json.loads(last)
    except (OSError, ValueError, RecursionError):
        return {}
    return footer if isinstance(footer, dict) and footer.get("kind") == "end" else {}
