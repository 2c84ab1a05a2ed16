"""Turn the classic builder's text stream into the same events BuildKit's trace gives.

The classic builder (``POST /build?version=1``, or engines without BuildKit) reports progress only
as ``{"stream": ...}`` text: ``Step 3/12 : RUN ...``, `` ---> Running in abc``, `` ---> Using cache``,
`` ---> 1a2b3c``, ``Removing intermediate container``, ``Successfully built ...``. It runs EVERY
stage up to the target, one after another, and numbers steps across the whole file (global ARGs
included). :class:`ClassicStepParser` rebuilds BuildKit-like vertices from that — one synthetic
digest per step, named ``[<stage> N/M] INSTRUCTION`` with per-stage numbering — so ``BuildModel``
shows classic builds exactly like BuildKit ones.

Measured on dockerd 20.10: a ``Step`` line arrives without its newline (a lone ``"\\n"`` message
follows); program output arrives in arbitrary chunks; stderr chunks are wrapped in
``ESC[91m ... ESC[0m``; a failing step ends the stream with an ``error`` message (a
``BuildFailed`` event), with no `` ---> `` line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from msb_tui.builds.events import (
    CLASSIC_DIGEST_PREFIX,
    BuildCancelled,
    BuildFailed,
    BuildWarning,
    EngineEvent,
    LogChunk,
    StreamText,
    VertexUpdate,
)

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$", re.DOTALL)
_ARROW = re.compile(r"^ ---> (.*)$")
_IMAGE_ID = re.compile(r"^[0-9a-f]{12,64}$")
_REMOVING = re.compile(r"^Removing intermediate container [0-9a-f]+$")
_RESULT = re.compile(r"^Successfully (built|tagged) \S+$")
_FROM = re.compile(r"^FROM\s+(?P<rest>.*?)(?:\s+AS\s+(?P<name>\S+))?\s*$", re.IGNORECASE | re.DOTALL)
_COPY_FROM = re.compile(r"--from=(\S+)", re.IGNORECASE)
_STDERR_START = "\x1b[91m"
_STDERR_END = "\x1b[0m"


def classic_digest(step_number: int) -> str:
    """The synthetic vertex digest of classic step ``step_number`` (1-based, whole file)."""
    return f"{CLASSIC_DIGEST_PREFIX}step-{step_number}"


def sizes_from_steps(from_steps: list[int], total: int) -> tuple[int, list[int]] | None:
    """Stage sizes from the step numbers of the ``FROM`` steps and the total (e.g. read from a saved log)."""
    if not from_steps or total < from_steps[-1]:
        return None
    bounds = [*from_steps, total + 1]
    return from_steps[0] - 1, [bounds[i + 1] - bounds[i] for i in range(len(from_steps))]


def stage_sizes(dockerfile_text: str) -> tuple[int, list[int]] | None:
    """(number of instructions before the first FROM, instructions per stage incl. its FROM), or None."""
    try:
        import dockerfile

        commands = dockerfile.parse_string(dockerfile_text)
    except Exception:  # noqa: BLE001 - a parse error only means "numbering from the stream alone"
        return None
    before = 0
    sizes: list[int] = []
    for command in commands:
        if command.cmd.upper() == "FROM":
            sizes.append(1)
        elif sizes:
            sizes[-1] += 1
        else:
            before += 1
    return before, sizes


@dataclass
class _Stage:
    index: int
    name: str  # BuildKit's display name: the AS name lowercased, or stage-N
    size: int | None  # instructions in the stage incl. FROM, when known
    steps: list[_Step] = field(default_factory=list)


@dataclass
class _Step:
    number: int
    stage: _Stage
    position: int
    instruction: str
    inputs: tuple[str, ...]
    started: float
    completed: float | None = None
    cached: bool = False
    error: str | None = None

    @property
    def digest(self) -> str:
        return classic_digest(self.number)

    @property
    def name(self) -> str:
        total = self.stage.size
        where = f"{self.position}/{total}" if total else f"{self.position}"
        return f"[{self.stage.name} {where}] {self.instruction}"

    def update(self) -> VertexUpdate:
        return VertexUpdate(digest=self.digest, name=self.name, inputs=self.inputs, started=self.started,
                            completed=self.completed, cached=self.cached, error=self.error)


class ClassicStepParser:
    """Feed it the classic builder's ``StreamText`` events; get ``VertexUpdate``/``LogChunk`` events back.

    ``dockerfile_text`` (or ``sizes``, as :func:`stage_sizes` returns them) gives every stage's
    step count up front, so names carry ``N/M`` from the start. Without it the count is added when
    the stage ends (the step is announced again under its final name, same digest) — give the
    text whenever you have it: ``BuildModel`` files a step under its first name.
    """

    def __init__(
        self,
        dockerfile_text: str | None = None,
        *,
        sizes: tuple[int, list[int]] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._clock = clock
        self._sizes = sizes or (stage_sizes(dockerfile_text) if dockerfile_text else None)
        self.stages: list[_Stage] = []
        self._by_name: dict[str, _Stage] = {}
        self._step: _Step | None = None
        self._last_number = 0
        self._total: int | None = None
        self._buffers: dict[int, str] = {1: "", 2: ""}
        self._swallow_newline = False
        self.image_id_short: str | None = None

    # -- public -------------------------------------------------------------------------------

    def feed(self, event: StreamText) -> list[EngineEvent]:
        """Parse one chunk of classic builder text."""
        now = event.timestamp if event.timestamp is not None else self._clock()
        text = event.text
        if self._swallow_newline:
            self._swallow_newline = False
            if text.startswith("\n"):
                text = text[1:]
                if not text:
                    return []
        stream = 1
        if text.startswith(_STDERR_START) and text.endswith(_STDERR_END):
            text, stream = text[len(_STDERR_START) : -len(_STDERR_END)], 2
        if stream == 1:
            control = self._control(text.rstrip("\n"), now)
            if control is not None:
                self._swallow_newline = not text.endswith("\n")
                return control
        return self._log(text, stream, now)

    def translate(self, event: EngineEvent) -> list[EngineEvent]:
        """Any engine event: stream text is parsed; a failure or cancel first closes the open step."""
        if isinstance(event, StreamText):
            return self.feed(event)
        if isinstance(event, BuildFailed):
            out = self._flush(self._clock())
            if self._step is not None and self._step.completed is None:
                self._step.completed = self._clock()
                self._step.error = event.message
                out.append(self._step.update())
            return out + [event]
        if isinstance(event, BuildCancelled):
            return self._flush(self._clock()) + [event]
        return [event]

    def finish(self, timestamp: float | None = None) -> list[EngineEvent]:
        """End of stream: flush partial log lines and close the last stage."""
        now = timestamp if timestamp is not None else self._clock()
        # A step still open here stays open: the source (failure, cancel, lost engine) says why.
        return self._flush(now) + self._close_stage()

    # -- control lines ------------------------------------------------------------------------

    def _control(self, line: str, now: float) -> list[EngineEvent] | None:
        match = _STEP.match(line)
        if match:
            number, total = int(match.group(1)), int(match.group(2))
            if number == self._last_number + 1 and (self._total is None or total == self._total):
                return self._start_step(number, total, match.group(3), now)
            return None
        step = self._step
        match = _ARROW.match(line)
        if match and step is not None:
            value = match.group(1).strip()
            if value == "Using cache":
                step.cached = True
                return self._flush(now)
            if value.startswith("Running in "):
                return self._flush(now)
            if value == "" or _IMAGE_ID.match(value):
                out = self._flush(now)
                if step.completed is None:
                    step.completed = now
                    out.append(step.update())
                return out
            if value.startswith("[Warning]"):
                return self._flush(now) + [BuildWarning(vertex=step.digest, short=value[len("[Warning]"):].strip())]
            return None
        if _REMOVING.match(line) and step is not None:
            return self._flush(now)
        if line.startswith("[Warning]"):
            return self._flush(now) + [
                BuildWarning(vertex=step.digest if step else "", short=line[len("[Warning]"):].strip())
            ]
        match = _RESULT.match(line)
        if match:
            if match.group(1) == "built":
                self.image_id_short = line.split()[-1]
            return self._flush(now)
        return None

    def _start_step(self, number: int, total: int, instruction: str, now: float) -> list[EngineEvent]:
        out = self._flush(now)
        previous = self._step
        if previous is not None and previous.completed is None:
            previous.completed = now
            out.append(previous.update())
        self._last_number, self._total = number, total
        instruction = " ".join(instruction.split()) if "\n" in instruction else instruction
        before = self._sizes[0] if self._sizes else 0
        if self._sizes and before + sum(self._sizes[1]) != total:
            self._sizes = None  # the file we were given is not the one being built
        match = _FROM.match(instruction)
        if match:
            out += self._close_stage()
            index = len(self.stages)
            raw_name = match.group("name")
            name = raw_name.lower() if raw_name else f"stage-{index}"
            size = self._sizes[1][index] if self._sizes and index < len(self._sizes[1]) else None
            stage = _Stage(index, name, size)
            self.stages.append(stage)
            self._by_name[name] = stage
            self._by_name[str(index)] = stage
            display = f"FROM {match.group('rest').strip()}"
            inputs = self._stage_output(match.group("rest").strip())
        elif not self.stages:
            # A global ARG before the first FROM: BuildKit shows no vertex for it.
            self._step = None
            return out
        else:
            stage = self.stages[-1]
            display = instruction
            inputs = (stage.steps[-1].digest,) if stage.steps else ()
            copy_from = _COPY_FROM.search(instruction)
            if copy_from:
                inputs += self._stage_output(copy_from.group(1).lower())
        stage = self.stages[-1]
        step = _Step(number, stage, len(stage.steps) + 1, display, inputs, started=now)
        stage.steps.append(step)
        self._step = step
        out.append(step.update())
        return out

    def _stage_output(self, ref: str) -> tuple[str, ...]:
        stage = self._by_name.get(ref.lower())
        if stage is not None and stage.steps:
            return (stage.steps[-1].digest,)
        return ()

    def _close_stage(self) -> list[EngineEvent]:
        """When the stage's size was unknown, announce its steps again under their final names."""
        if not self.stages or self.stages[-1].size is not None:
            return []
        stage = self.stages[-1]
        stage.size = len(stage.steps)
        return [step.update() for step in stage.steps]

    # -- log text -----------------------------------------------------------------------------

    def _log(self, text: str, stream: int, now: float) -> list[EngineEvent]:
        buffered = self._buffers[stream] + text
        cut = buffered.rfind("\n")
        if cut < 0:
            self._buffers[stream] = buffered
            return []
        self._buffers[stream] = buffered[cut + 1 :]
        return self._chunk(buffered[: cut + 1], stream, now)

    def _flush(self, now: float) -> list[EngineEvent]:
        out: list[EngineEvent] = []
        for stream in (1, 2):
            if self._buffers[stream]:
                out += self._chunk(self._buffers[stream] + "\n", stream, now)
                self._buffers[stream] = ""
        return out

    def _chunk(self, text: str, stream: int, now: float) -> list[EngineEvent]:
        if self._step is None:
            return []  # engine chatter outside any step
        return [LogChunk(vertex=self._step.digest, data=text.encode("utf-8", "surrogateescape"), stream=stream, timestamp=now)]
