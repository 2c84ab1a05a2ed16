"""Record a build's engine messages as JSON lines, and replay them later as events.

Format (one JSON object per line):

1. header ``{"kind": "msb-tui-recording", "version": 1, "inputs": {...}}`` — what was built: context,
   dockerfile path and its text, target, build args, classic, engine version, start time.
2. one line per engine message ``{"t": <receive time, epoch seconds>, "m": <the raw engine message>}``
   (a message that was not valid JSON is kept as ``{"t": ..., "raw": "<text>"}``).
3. footer ``{"kind": "end", "t": ..., "outcome": "succeeded"|"failed"|"cancelled", "image_id": ...,
   "error": ..., "messages": N}``.

Damage policy: a recording whose LAST line is cut off, or that has no footer (the recorder died
mid-build), is *truncated*: everything valid is replayed, then a ``BuildFailed("recording truncated
at line N: ...")`` ends it, so a viewer shows what happened and says why it stops. A bad line
anywhere else, or a missing/invalid header, is *corrupt*: ``RecordingError`` naming the line.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage

FORMAT = "msb-tui-recording"
VERSION = 1


class RecordingError(Exception):
    """A recording that cannot be read (corrupt line, bad header); the message names the line."""


class Recorder:
    """Writes one build's recording; buffered (log floods must not cost a syscall per line)."""

    def __init__(self, path: Path, inputs: dict[str, Any]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] | None = open(self.path, "wb", buffering=1 << 16)
        self.messages = 0
        header = {"kind": FORMAT, "version": VERSION, "inputs": inputs}
        self._file.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")

    def message(self, received: float, raw_line: bytes, valid: bool = True) -> None:
        """Record one engine message as received (``raw_line`` is its JSON text, without newline)."""
        if self._file is None:
            return
        self.messages += 1
        if valid:
            self._file.write(b'{"t":%.6f,"m":%s}\n' % (received, raw_line))
        else:
            text = raw_line.decode("utf-8", "replace")
            self._file.write(b'{"t":%.6f,"raw":%s}\n' % (received, json.dumps(text).encode("utf-8")))

    def close(self, outcome: str, *, image_id: str | None = None, error: str | None = None) -> None:
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
        self._file.write(json.dumps(footer, ensure_ascii=False).encode("utf-8") + b"\n")
        self._file.close()
        self._file = None


@dataclass
class Recording:
    """A loaded recording: inputs (header), messages ``[(t, dict)]``, footer, and truncation note."""

    path: Path
    inputs: dict[str, Any]
    messages: list[tuple[float, Any]] = field(default_factory=list)
    footer: dict[str, Any] | None = None
    truncated: str | None = None  # why it stops early, when it does

    @property
    def classic(self) -> bool:
        return bool(self.inputs.get("classic"))

    @property
    def dockerfile_text(self) -> str | None:
        return self.inputs.get("dockerfile_text")


@dataclass
class _Entry:
    """One line of a recording's body: an engine message (``message``) or an undecodable one (``raw``)."""

    line: int
    t: float | None
    message: Any = None
    raw: str | None = None


def _read(path: Path) -> tuple[dict[str, Any], Iterator[_Entry | dict | str]]:
    """Header, then a lazy iterator of entries, the footer dict, or a truncation note (str)."""
    path = Path(path)
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise RecordingError(f"cannot open recording {path}: {error.strerror or error}") from error
    first = handle.readline()
    try:
        header = json.loads(first)
    except ValueError as error:
        handle.close()
        if not first:
            raise RecordingError(f"{path}: empty file, not a recording") from error
        raise RecordingError(f"{path}: line 1 is not a recording header ({error})") from error
    if not isinstance(header, dict) or header.get("kind") != FORMAT or not isinstance(header.get("inputs"), dict):
        handle.close()
        raise RecordingError(f"{path}: line 1 is not an msb-tui recording header")

    def entries():
        with handle:
            number = 1
            pending_error: tuple[int, str] | None = None
            footer_seen = False
            for line in handle:
                number += 1
                if pending_error is not None:
                    raise RecordingError(f"{path}: line {pending_error[0]} is corrupt ({pending_error[1]})")
                if footer_seen:
                    if line.strip():
                        raise RecordingError(f"{path}: line {number} follows the end-of-recording footer")
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as error:
                    if not line.endswith(b"\n"):
                        yield f"recording truncated at line {number}: the last line is cut off"
                        return
                    pending_error = (number, f"not valid JSON: {error}")
                    continue
                if not isinstance(obj, dict):
                    pending_error = (number, "not a JSON object")
                    continue
                if obj.get("kind") == "end":
                    footer_seen = True
                    yield obj
                    continue
                t = obj.get("t")
                if not isinstance(t, (int, float)):
                    pending_error = (number, "message line without a time")
                    continue
                if "m" in obj:
                    yield _Entry(number, float(t), message=obj["m"])
                elif "raw" in obj:
                    yield _Entry(number, float(t), raw=str(obj["raw"]))
                else:
                    pending_error = (number, "message line without a message")
            if pending_error is not None:
                # A bad last line that still ends with a newline: cut off mid-write all the same.
                yield f"recording truncated at line {pending_error[0]}: {pending_error[1]}"
                return
            if not footer_seen:
                yield f"recording truncated at line {number}: no end-of-recording footer (the build did not finish recording)"

    return header["inputs"], entries()


def load_recording(path: Path | str) -> Recording:
    """Read a whole recording; corrupt -> ``RecordingError``, truncated -> ``.truncated`` says where."""
    inputs, entries = _read(Path(path))
    recording = Recording(Path(path), inputs)
    for entry in entries:
        if isinstance(entry, _Entry):
            recording.messages.append((entry.t, entry.message if entry.raw is None else {"__raw__": entry.raw}))
        elif isinstance(entry, dict):
            recording.footer = entry
        else:
            recording.truncated = entry
    return recording


def replay(
    path: Path | str, speed: float | None = 1.0, *, sleep=time.sleep, clock=time.monotonic
) -> Iterator[EngineEvent]:
    """The recording's events with the original pacing divided by ``speed`` (``None``: no waiting).

    Streams the file (a million-line recording is not loaded at once). Corrupt recordings raise
    ``RecordingError`` when the bad line is reached; truncated ones end with ``BuildFailed``.
    """
    if speed is not None and speed <= 0:
        raise ValueError("speed must be positive (or None for no pacing)")
    inputs, entries = _read(Path(path))
    from msb_tui.builds.messages import MessageDecoder  # protobuf: only when replaying, not when recording

    decoder = MessageDecoder(classic=bool(inputs.get("classic")), dockerfile_text=inputs.get("dockerfile_text"))
    first_t: float | None = None
    wall_start = clock()
    ended = False  # the engine's own messages said how it ended (error or image id)
    for entry in entries:
        if isinstance(entry, dict):
            # The footer: outcomes the runner produced itself (cancel, lost connection) are not engine
            # messages, so replay them from the footer.
            outcome = entry.get("outcome")
            stamp = entry.get("t") if isinstance(entry.get("t"), (int, float)) else None
            if outcome == "cancelled":
                yield from decoder.translate([BuildCancelled(timestamp=stamp)])
            elif outcome == "failed" and not ended:
                yield from decoder.translate(
                    [BuildFailed(str(entry.get("error") or "the build failed"), {"recording": "footer"}, stamp)]
                )
            yield from decoder.finish()
            return
        if isinstance(entry, str):
            yield from decoder.translate([BuildFailed(entry, {"recording": "truncated"})])
            yield from decoder.finish()
            return
        if speed is not None and entry.t is not None:
            if first_t is None:
                first_t = entry.t
                wall_start = clock()
            due = (entry.t - first_t) / speed
            wait = due - (clock() - wall_start)
            if wait > 0.001:
                sleep(wait)
        if entry.raw is not None:
            yield MalformedMessage("engine message was not valid JSON", entry.raw.encode("utf-8", "replace")[:200])
            continue
        for event in decoder.decode(entry.message, entry.t):
            if isinstance(event, (BuildFailed, ImageBuilt)):
                ended = True
            yield event
    yield from decoder.finish()


def read_inputs(path: Path | str) -> dict[str, Any]:
    """Only the header's inputs (cheap: reads one line)."""
    inputs, entries = _read(Path(path))
    for _ in entries:  # starting the reader lets close() release the file
        break
    entries.close()
    return inputs
