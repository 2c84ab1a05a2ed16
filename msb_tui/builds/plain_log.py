"""Import a ``--progress=plain`` build log (local, GitHub Actions, Azure Pipelines, ACR Tasks) as events.

CI systems keep only the text BuildKit's plain printer wrote::

    #5 [build 2/4] RUN go build ./...       header: vertex 5 started (repeated after interleaving)
    #5 sha256:0c52...                       BuildKit <= 0.9: the vertex digest
    #5 0.512 main.go:3: warning             a log line, 0.512 s after the vertex started
    #5 sha256:ab12 1.2MB / 3.4MB 0.5s       a sub-task's progress (StatusUpdate)
    #5 ...                                  the printer switched to another vertex
    #5 DONE 1.2s | #5 CACHED | #5 ERROR: msg | #5 CANCELED

When a CI runner prefixed each line with the time it was written (``log_file.split_prefix``),
those times are used. Without them, times are rebuilt from the offsets and durations in the log. The printer holds back a
vertex's lines while another one is printing, so a header's position is not its start time: a
vertex's start is taken as ``min(header time, DONE time - duration)`` with real timestamps, and as
the start of the vertex it interrupted (``#N ...``) without them.

A classic builder log (``Step 1/5 : FROM ...``) is recognised too and goes through ``classic.py``.
The file is read twice (this is an import, not a live stream): once for every step's final times,
once for the events, so every event carries final times and memory stays bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from msb_tui.builds.classic import ClassicStepParser, sizes_from_steps
from msb_tui.builds.events import BuildFailed, EngineEvent, ImageBuilt, LogChunk, StatusUpdate, StreamText, VertexUpdate
from msb_tui.builds.log_file import MAX_LINE, LogFile, PlainLogError, split_prefix

DIGEST_PREFIX = "plain:"

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_LINE = re.compile(r"^#(\d+) (.*)$", re.DOTALL)
_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")
_LOG = re.compile(r"^(\d+\.\d+) ?(.*)$", re.DOTALL)
_DIGEST_ONLY = re.compile(r"^sha256:[0-9a-f]{64}$")
_SIZE = r"(\d+(?:\.\d+)?)\s?([kKMGT]?i?B)"
_PROGRESS = re.compile(rf"^(?P<id>.*?)\s+{_SIZE}(?:\s*/\s*{_SIZE})?(?:\s+(?P<secs>\d+(?:\.\d+)?)s)?(?P<done>\s+done)?$")
_STATUS_DONE = re.compile(r"^(?P<id>.*?)(?:\s+(?P<secs>\d+(?:\.\d+)?)s)?\s+done$")
# "writing image" (docker exporter) or "exporting config" (buildx docker/oci exporters): the image id.
_WRITING_IMAGE = re.compile(r"^(?:writing image|exporting config) (sha256:[0-9a-f]{64})")
# A log line without a trailing newline runs into the next "#N ..." line: split it there.
_GLUED = re.compile(r"#(\d+) (?:DONE \d+(?:\.\d+)?s|CACHED|CANCELED|ERROR: .*|\[.*)$")
_CLASSIC_STEP = re.compile(r"^Step \d+/\d+ : ")
_CLASSIC_FROM = re.compile(r"^Step (\d+)/(\d+) : FROM\s", re.IGNORECASE)
_CI_NOISE = re.compile(r"^(##\[\w+\]|##vso\[|::\w+)")
_UNITS = {"B": 1, "kB": 1000, "KB": 1000, "KiB": 1024, "MB": 1000**2, "MiB": 1024**2, "GB": 1000**3, "GiB": 1024**3, "TB": 1000**4}


def _size(value: str | None, unit: str | None) -> int:
    if value is None:
        return 0
    return int(float(value) * _UNITS.get(unit or "B", 1))


@dataclass
class _Vertex:
    number: int
    name: str
    started: float
    completed: float | None = None
    cached: bool = False
    error: str | None = None
    held_since: float | None = None  # other vertices were mid-output when this header printed

    @property
    def digest(self) -> str:
        return f"{DIGEST_PREFIX}{self.number}"

    def update(self, *, final: bool) -> VertexUpdate:
        return VertexUpdate(
            digest=self.digest,
            name=self.name,
            started=self.started,
            completed=self.completed if final else None,
            cached=self.cached if final else False,
            error=self.error if final else None,
        )


class _Reader:
    """Reads the lines into vertices and an ordered list of operations (``ops``), plus facts for
    messages: how the build ended, how many lines were read and recognised."""

    def __init__(self):
        self.ops: list[tuple] = []  # ("start"|"end"|"log"|"status"|"failed", ...)
        self.vertices: dict[int, _Vertex] = {}
        self.any_stamp = False  # a line had a CI time prefix (ACR Tasks stamps only its own)
        self.error: str | None = None
        self.image_id: str | None = None
        self.lines = 0
        self.recognised = 0
        self.clock = 0.0
        self.last_marker: int | None = None  # vertex of the last "#N ..." line
        self.suspended: set[int] = set()  # vertices interrupted by "#N ..." and not finished yet
        self.in_error_block = False
        self.stamped = False  # the current line carries a real time

    def line(self, raw: str) -> None:
        self.lines += 1
        stamp, text = split_prefix(raw.rstrip("\r\n"))
        self.stamped = stamp is not None
        if stamp is not None:
            self.clock = max(self.clock, stamp) if self.any_stamp else stamp
            self.any_stamp = True
        text = _SGR.sub("", text) if "\x1b" in text[:8] else text
        match = _LINE.match(text)
        if match is None:
            self._other(text)
            return
        number, rest = int(match.group(1)), match.group(2)
        if number == 0:  # buildx: "#0 building with "default" instance using docker driver"
            self.recognised += 1
            return
        self._vertex_line(number, rest)

    def _other(self, text: str) -> None:
        stripped = text.strip()
        if stripped == "------":
            self.in_error_block = not self.in_error_block
            return
        if self.in_error_block or not stripped or _CI_NOISE.match(stripped):
            return
        lowered = stripped.lower()
        if lowered.startswith(("error:", "error ", "failed to solve", "executor failed")):
            message = stripped[len("error:"):].strip() if lowered.startswith("error:") else stripped
            if self.recognised:
                self.error = message
                self.ops.append(("failed", message))

    def _vertex_line(self, number: int, rest: str) -> None:
        vertex = self.vertices.get(number)
        self.recognised += 1
        # Only a header printed right after "#M ..." was interrupted-into.
        marker, self.last_marker = self.last_marker, None
        if vertex is None:
            if rest.startswith(("DONE ", "CACHED", "ERROR", "CANCELED", "sha256:", "...")) or _LOG.match(rest):
                # Output for a vertex whose header we never saw: make a placeholder.
                self._start(number, f"#{number}", None)
            else:
                self._start(number, rest.strip(), marker)
                return
            vertex = self.vertices[number]
        if rest == "...":
            self.last_marker = number
            self.suspended.add(number)
            return
        if rest == vertex.name:
            return  # the header again, after another vertex printed
        if rest == "CACHED" or rest.startswith(("DONE ", "ERROR", "CANCEL")):
            self.suspended.discard(number)
        if rest == "CACHED":
            vertex.cached = True
            vertex.completed = vertex.started
            self.ops.append(("end", vertex))
            return
        if rest in ("CANCELED", "CANCELLED") or rest.startswith("ERROR"):
            error = rest[len("ERROR"):].lstrip(":").strip() or "failed"
            vertex.error = "canceled" if rest.startswith("CANCEL") else error
            vertex.completed = max(self.clock, vertex.started)
            self.ops.append(("end", vertex))
            return
        done = _DONE.match(rest)
        if done:
            duration = float(done.group(1))
            # DONE is printed as the vertex completes, but its header may have been held back while
            # another vertex printed: then it started up to `duration` before this line.
            if self.stamped:
                vertex.started = min(vertex.started, self.clock - duration)
            elif vertex.held_since is not None:
                vertex.started = max(vertex.held_since, min(vertex.started, self.clock - duration))
            vertex.completed = vertex.started + duration
            if not self.stamped:
                self.clock = max(self.clock, vertex.completed)
            self.ops.append(("end", vertex))
            return
        if _DIGEST_ONLY.match(rest):
            return
        logged = _LOG.match(rest)
        if logged:
            offset, message = float(logged.group(1)), logged.group(2)
            glued = _GLUED.search(message)
            other = int(glued.group(1)) if glued and glued.start() > 0 else None
            if other is not None and other != number and other in self.vertices:
                other = None  # "#N" of a vertex already seen: text that only looks glued
            cut = len(message) if other is None else glued.start()
            self.ops.append(("log", vertex, offset, message[:cut]))
            if not self.stamped and vertex.held_since is None:  # a held vertex's start is still a guess
                self.clock = max(self.clock, vertex.started + offset)
            if other is not None:
                self._vertex_line(other, message[cut:].split(" ", 1)[1])
                self.recognised -= 1
            return
        self._status(vertex, rest)

    def _start(self, number: int, name: str, marker: int | None) -> None:
        started = self.clock
        if marker is not None and not self.stamped:
            interrupted = self.vertices.get(marker)
            if interrupted is not None and interrupted.completed is None:
                started = min(started, interrupted.started)
        vertex = _Vertex(number, name, started=started)
        running = [self.vertices[n].started for n in self.suspended if n in self.vertices]
        if running:
            vertex.held_since = min(running)
        self.vertices[number] = vertex
        self.ops.append(("start", vertex))

    def _status(self, vertex: _Vertex, rest: str) -> None:
        image = _WRITING_IMAGE.match(rest)
        if image:
            self.image_id = image.group(1)
        progress = _PROGRESS.match(rest)
        if progress:
            current = _size(progress.group(2), progress.group(3))
            total = _size(progress.group(4), progress.group(5)) if progress.group(4) else 0
            done = bool(progress.group("done"))
            self.ops.append(("status", vertex, progress.group("id").strip(), current, total, done))
            return
        finished = _STATUS_DONE.match(rest)
        ident = finished.group("id").strip() if finished else rest.strip()
        self.ops.append(("status", vertex, ident, 0, 0, bool(finished)))


def _op_events(op: tuple, final: dict[int, _Vertex]) -> Iterator[EngineEvent]:
    """The events of one operation of the second pass; ``final`` maps vertex numbers to the
    vertices of the first pass, whose times are final."""
    kind = op[0]
    if kind == "failed":
        yield BuildFailed(op[1])
        return
    vertex = final[op[1].number]
    if kind == "start":
        yield vertex.update(final=False)
    elif kind == "end":
        yield vertex.update(final=True)
    elif kind == "log":
        _, _, offset, message = op
        yield LogChunk(vertex.digest, (message + "\n").encode("utf-8", "surrogateescape"), 1, vertex.started + offset)
    elif kind == "status":
        _, _, ident, current, total, done = op
        yield StatusUpdate(
            id=ident or vertex.name,
            vertex=vertex.digest,
            name=ident,
            current=current,
            total=total,
            started=vertex.started,
            completed=vertex.completed if done else None,
        )


def _end_events(log: _Reader) -> Iterator[EngineEvent]:
    """How the build ended, from what the whole log said."""
    if log.error is not None:
        return
    failed = next((v for v in log.vertices.values() if v.error), None)
    if failed is not None:
        yield BuildFailed(f"{failed.name}: {failed.error}")
    elif log.image_id:
        yield ImageBuilt(log.image_id)
    elif all(v.completed is not None for v in log.vertices.values()):
        # Every step finished and no error, but the log names no image (pushed, or exported
        # elsewhere): ImageBuilt is the events' only success signal, so send it with no id.
        yield ImageBuilt("")
    else:
        unfinished = [v.name for v in log.vertices.values() if v.completed is None]
        yield BuildFailed(f"the log ends while steps were still running: {', '.join(unfinished[:3])}")


def is_classic_log(lines: Iterable[str]) -> bool:
    """A classic builder log: 'Step N/M :' lines and no '#N' BuildKit lines (in the first 2000)."""
    classic = buildkit = 0
    for number, raw in enumerate(lines):
        if number >= 2000:
            break
        _, text = split_prefix(raw)
        if _CLASSIC_STEP.match(text):
            classic += 1
        elif _LINE.match(text):
            buildkit += 1
    return classic > 0 and buildkit == 0


def classic_log_events(
    lines: Callable[[], Iterable[str]], dockerfile_text: str | None
) -> Iterator[EngineEvent]:
    """A classic builder's console log through the classic step parser (times from CI prefixes, if
    any); ``lines()`` gives a fresh iterator of the lines (they are read twice, never held)."""
    from_steps, total = [], 0
    for raw in lines():
        match = _CLASSIC_FROM.match(split_prefix(raw)[1])
        if match:
            from_steps.append(int(match.group(1)))
            total = int(match.group(2))
    sizes = sizes_from_steps(from_steps, total)
    parser = ClassicStepParser(dockerfile_text, sizes=sizes, clock=lambda: 0.0)
    error: str | None = None
    last = 0.0  # a classic log without CI prefixes has no times at all
    for raw in lines():
        stamp, text = split_prefix(raw.rstrip("\r\n"))
        last = stamp if stamp is not None else last
        if text.startswith(("Sending build context", "DEPRECATED:", "            Install the buildx")):
            continue
        if text.startswith("The command '") or text.startswith("Error response from daemon"):
            error = text
            continue
        yield from parser.feed(StreamText(text + "\n", last))
    if error:
        yield from parser.translate(BuildFailed(error))
    yield from parser.finish(last)
    if not error and parser.image_id_short:
        yield ImageBuilt(parser.image_id_short)  # the classic CLI prints only the short id


def import_log(path: Path, *, dockerfile_text: str | None = None) -> Iterator[EngineEvent]:
    """Events for a saved build log (BuildKit plain or classic); :class:`PlainLogError` when unreadable.

    Streams: a first pass reads the file for the steps' final times (keeping no log lines), a
    second yields the events, so memory stays bounded whatever the log's size; standard input is
    spooled to a temporary file.
    """
    source = LogFile(path)
    try:
        if is_classic_log(source.lines()):
            return _closing(source, classic_log_events(source.lines, dockerfile_text))
        reader = _Reader()
        for raw in source.lines():
            reader.line(raw)
            reader.ops.clear()
        first = reader
        if not first.vertices:
            raise PlainLogError(
                f"not a build log: no BuildKit progress lines in {first.lines} line(s); expected a log "
                "written by 'docker build --progress=plain' (lines like '#5 [build 2/4] RUN ...', "
                "'#5 DONE 1.2s') or by the classic builder ('Step 1/5 : FROM ...')"
            )
        if not first.any_stamp:
            # Anchor the rebuilt timeline so the build ends when the file was last written.
            span = max((v.completed or v.started for v in first.vertices.values()), default=0.0)
            shift = source.mtime() - span
            for vertex in first.vertices.values():
                vertex.started += shift
                if vertex.completed is not None:
                    vertex.completed += shift
                if vertex.held_since is not None:
                    vertex.held_since += shift
    except BaseException:
        source.close()
        raise
    return _closing(source, _second_pass(source, first))


def _second_pass(source: LogFile, first: _Reader) -> Iterator[EngineEvent]:
    reader = _Reader()
    final = first.vertices
    for raw in source.lines():
        reader.line(raw)
        ops = reader.ops
        if ops:
            for op in ops:
                yield from _op_events(op, final)
            ops.clear()
    if source.cut_lines:
        yield StreamText(f"msb-tui: {source.cut_lines} line(s) longer than {MAX_LINE >> 20} MiB were cut\n")
    yield from _end_events(first)


def _closing(source: LogFile, events: Iterator[EngineEvent]) -> Iterator[EngineEvent]:
    try:
        yield from events
    finally:
        source.close()
