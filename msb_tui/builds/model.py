"""BuildModel: what a build is doing, per stage and step, fed only by engine events.

Every source (live BuildKit, classic builder, recording, CI log) produces ``events.EngineEvent``
objects; ``BuildModel.apply`` merges them and returns the changes a UI should redraw. Steps are
joined with the Dockerfile analysis (when given) so each knows its stage and Dockerfile lines, and
stages the plan skips are present as "skipped" with the plan's reason.

Times are the engine's timestamps (epoch seconds). Nothing here imports Textual.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from msb_tui.builds.events import (
    CLASSIC_DIGEST_PREFIX,
    BuildCancelled,
    BuildFailed,
    BuildWarning,
    EngineEvent,
    ImageBuilt,
    LogChunk,
    MalformedMessage,
    StatusUpdate,
    StreamText,
    VertexUpdate,
)

# "[build 2/4] RUN ...", "[linux/amd64 build  2/10] ...", "[stage-0 1/3] FROM ...", "[2/2] RUN ..."
_STEP_NAME = re.compile(
    r"^\[(?:(?P<platform>[^\s\]]*/[^\s\]]*) )?(?:(?P<stage>[^\s/\]]+) +)?\s*(?P<index>\d+)/(?P<total>\d+)\] "
    r"(?:ONBUILD )?(?P<text>.*)$",
    re.DOTALL,
)
_CANCELLED_ERRORS = ("context canceled", "context cancelled", "canceled", "cancelled")
_STEP_KINDS = ("ADD", "COPY", "RUN")

MAX_LINE = 16384
"""Characters per log line kept in a LogTail; longer lines (and a line that never ends) are cut."""


# ---------------------------------------------------------------------------------------------
# Records


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
        self._decoders: dict[int, Any] = {}

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


@dataclass(eq=False)
class StepRun:
    """One BuildKit vertex (a Dockerfile step or an internal step), merged over its updates."""

    digest: str
    name: str
    stage: str | None = None
    position: str | None = None  # "2/4" as BuildKit numbers the stage's steps
    instruction: str = ""  # the step's text after the "[stage N/M] " prefix (as the engine expanded it)
    original: str | None = None  # the Dockerfile instruction as written (from the analysis)
    line_start: int | None = None
    line_end: int | None = None
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    error: str | None = None
    state: str = "planned"  # planned | running | cached | done | failed | cancelled | interrupted
    inputs: tuple[str, ...] = ()
    log: LogTail = field(default_factory=LogTail)
    statuses: dict[str, StatusUpdate] = field(default_factory=dict)  # sub-task progress by id
    platform: str | None = None
    # The build ended (cancelled, failed, engine gone) while this step ran and the engine never
    # reported its end: it ran until then.
    cut_off: float | None = None

    @property
    def duration(self) -> float | None:
        end = self.completed if self.completed is not None else self.cut_off
        if self.started is None or end is None:
            return None
        return max(0.0, end - self.started)

    @property
    def internal(self) -> bool:
        return self.stage is None


@dataclass(eq=False)
class StageRun:
    """One Dockerfile stage in this build: its steps and how far it got."""

    name: str
    index: int | None
    state: str = "planned"  # planned | running | cached | done | failed | skipped | cancelled | interrupted
    skip_reason: str | None = None
    steps: list[StepRun] = field(default_factory=list)
    started: float | None = None
    completed: float | None = None
    needed: bool = True  # the plan needs it (False: skipped)
    announced: bool = False  # the engine announced at least one step named after it

    @property
    def duration(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return max(0.0, self.completed - self.started)


@dataclass(frozen=True)
class BuildTotals:
    """Build-wide figures.

    - ``wall``: first step start to last step end (engine clock).
    - ``step_time_sum``: the summed durations of all Dockerfile steps (internal steps excluded).
    - ``max_parallel``: the most Dockerfile steps running at the same moment.
    - ``busy``: the time at least one stage was working (union of the stages' step intervals).
    - ``parallel_saved``: how much longer the build would take if its stages had run one after
      another instead of overlapping: (sum over stages of each stage's busy time) minus ``busy``.
      A stage's busy time is the union of its steps' [start, end] intervals. 0 when nothing overlapped.
    - ``cache_hits``: Dockerfile steps answered from the cache; ``steps``: Dockerfile steps seen.
    """

    wall: float | None
    step_time_sum: float
    max_parallel: int
    parallel_saved: float
    cache_hits: int
    steps: int
    image_id: str | None
    busy: float = 0.0


# ---------------------------------------------------------------------------------------------
# Changes returned by apply()


@dataclass(frozen=True, eq=False)
class StageChanged:
    stage: StageRun


@dataclass(frozen=True, eq=False)
class StepChanged:
    step: StepRun


@dataclass(frozen=True, eq=False)
class LogAppended:
    step: StepRun
    lines: list[str]


@dataclass(frozen=True)
class BuildFinished:
    status: str


@dataclass(frozen=True)
class PlanMismatch:
    message: str


Change = StageChanged | StepChanged | LogAppended | BuildFinished | PlanMismatch


# ---------------------------------------------------------------------------------------------
# Helpers


def parse_step_name(name: str) -> dict[str, Any] | None:
    """``[platform stage N/M] text`` -> parts, or None for internal steps (``[internal] ...``, ``exporting to image``)."""
    match = _STEP_NAME.match(name)
    if match is None:
        return None
    return {
        "platform": match.group("platform"),
        "stage": match.group("stage"),
        "index": int(match.group("index")),
        "total": int(match.group("total")),
        "text": match.group("text"),
    }


def _normal_ref(ref: str) -> str:
    """An image reference without the default registry/namespace and digest, for comparisons."""
    ref = ref.strip().split("@", 1)[0].lower()
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    if ref.startswith("library/"):
        ref = ref[len("library/"):]
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref


def _intervals_union(intervals: list[tuple[float, float]]) -> float:
    total = 0.0
    end = None
    start = None
    for a, b in sorted(intervals):
        if end is None or a > end:
            if end is not None:
                total += end - start  # type: ignore[operator]
            start, end = a, b
        elif b > end:
            end = b
    if end is not None:
        total += end - start  # type: ignore[operator]
    return total


def _is_cancellation(error: str) -> bool:
    text = error.strip().lower()
    return any(text.endswith(word) for word in _CANCELLED_ERRORS)


class _StageInfo:
    """What the analysis says about one stage, shaped for step lookup."""

    def __init__(self, stage: Any):
        self.stage = stage
        self.index = getattr(stage, "index", None)
        self.display_name = str(getattr(stage, "display_name", None) or getattr(stage, "name", None) or f"stage-{self.index}")
        instructions = list(getattr(stage, "instructions", None) or [])
        if instructions and str(getattr(instructions[0], "cmd", "")).upper() == "FROM":
            instructions = instructions[1:]
        self.instructions = instructions
        base = getattr(stage, "base", None)
        self.base_is_image = getattr(base, "kind", "image") == "image"
        self.line_start = getattr(stage, "line_start", None)

    def counted(self, rule: int) -> list[Any]:
        """Instructions BuildKit numbers: rule 0 ADD/COPY/RUN/WORKDIR (0.8+), 1 ADD/COPY/RUN, 2 all."""
        if rule == 2:
            return list(self.instructions)
        kinds = _STEP_KINDS + (("WORKDIR",) if rule == 0 else ())
        return [i for i in self.instructions if str(getattr(i, "cmd", "")).upper() in kinds]

    @property
    def has_work(self) -> bool:
        """At least one instruction beyond FROM that makes a step (RUN, COPY, ADD, WORKDIR)."""
        return bool(self.counted(0))

    def locate(self, index: int, total: int, text: str) -> tuple[int | None, int | None]:
        instruction = self.find(index, total, text)
        if instruction is None:
            return (self.line_start, self.line_start) if text.split(" ", 1)[0].upper() == "FROM" else (None, None)
        return getattr(instruction, "line_start", None), getattr(instruction, "line_end", None)

    def find(self, index: int, total: int, text: str) -> Any:
        """The Dockerfile instruction of step ``index``/``total``: BuildKit numbers the FROM step (only
        when the base is an image, not scratch or a stage) and every ADD, COPY, RUN and WORKDIR."""
        keyword = text.split(" ", 1)[0].upper()
        if keyword == "FROM":
            return None  # the stage's FROM line (``line_start``); not among the instructions
        offset = 1 if self.base_is_image else 0
        for rule in (0, 1, 2):
            counted = self.counted(rule)
            if len(counted) + offset == total:
                position = index - offset - 1
                if 0 <= position < len(counted):
                    instruction = counted[position]
                    if str(getattr(instruction, "cmd", "")).upper() == keyword:
                        return instruction
        # Counting rule unknown: take the first instruction of that kind.
        same = [i for i in self.instructions if str(getattr(i, "cmd", "")).upper() == keyword]
        return same[0] if same else None


# ---------------------------------------------------------------------------------------------
# The model


class BuildModel:
    """Merges engine events into stages, steps, logs and totals; ``apply`` returns what changed."""

    def __init__(self, analysis: Any = None, *, log_lines_per_step: int = 5000, classic: bool = False):
        """``classic``: the build runs on the classic builder, which runs EVERY stage up to the target
        in file order (so the plan's skipped stages before the target do run)."""
        self.analysis = analysis
        self.classic = classic
        self.log_lines_per_step = log_lines_per_step
        self.status = "pending"
        self.stages: list[StageRun] = []
        self.internal: list[StepRun] = []
        self.steps: dict[str, StepRun] = {}
        self.image_id: str | None = None
        self.error: str | None = None
        self.warnings: list[BuildWarning] = []
        self.malformed = 0
        self.plan_mismatch: list[str] = []
        self.messages: list[str] = []  # engine text outside steps ("Successfully tagged ...")
        self.started: float | None = None
        self.finished: float | None = None
        self._stage_by_name: dict[str, StageRun] = {}
        self._info_by_name: dict[str, _StageInfo] = {}
        self._infos: list[_StageInfo] = []
        self._single_stage: str | None = None
        self._latest: float | None = None
        # The stream broke (engine gone, recording cut): steps still running were interrupted, and
        # the engine never said how they ended.
        self._stream_broke = False
        self._mismatch_keys: set[str] = set()
        self._pending_mismatch: list[str] = []
        self._run_by_index: dict[Any, StageRun] = {}
        self._info_by_index: dict[Any, _StageInfo] = {}
        self._stage_of: dict[str, StageRun] = {}  # step digest -> its stage (names can repeat)
        self._load_plan(analysis)

    # -- plan -----------------------------------------------------------------------------------

    def _load_plan(self, analysis: Any) -> None:
        if analysis is None:
            return
        plan = getattr(analysis, "plan", None)
        needed = getattr(plan, "needed", None) if plan is not None else None
        reasons = getattr(plan, "skip_reasons", None) or {}
        default_reason = "not needed for the target"
        if self.classic and plan is not None:
            target = getattr(plan, "target", None)
            if isinstance(target, int):
                needed = {i for i in range(target + 1)}
                reasons = {}
                default_reason = "after the target stage: the classic builder stops at the target"
        for stage in getattr(analysis, "stages", None) or []:
            info = _StageInfo(stage)
            self._infos.append(info)
            run = StageRun(info.display_name, info.index)
            if needed is not None and info.index not in needed:
                run.state = "skipped"
                run.needed = False
                run.skip_reason = reasons.get(info.index) or default_reason
            self.stages.append(run)
            self._run_by_index[info.index] = run
            self._info_by_index[info.index] = info
            # Duplicate names: BuildKit's --from means the last one; a needed one wins over a skipped one.
            key = info.display_name.lower()
            previous = self._stage_by_name.get(key)
            if previous is None or run.needed or not previous.needed:
                self._stage_by_name[key] = run
                self._info_by_name[key] = info
        if len(self._infos) == 1:
            self._single_stage = self._infos[0].display_name.lower()

    def _foreign_step(self, step: StepRun, text: str, *, exact: bool = False) -> tuple[StageRun, _StageInfo] | None:
        """The stage of ours a step named by another build's solve belongs to, if any.

        ``exact``: only a stage whose base image (FROM) or one of whose instructions (others)
        is the very same operation; no best guess.
        """
        if text.upper().startswith("FROM "):
            return self._foreign_from(text, exact=exact)
        found = self._foreign_by_inputs(step, text)
        if exact and found is not None and not any(getattr(i, "original", None) == text for i in found[1].instructions):
            return None
        return found

    def _foreign_by_inputs(self, step: StepRun, text: str) -> tuple[StageRun, _StageInfo] | None:
        """A non-FROM step named after another build's stage: it continues the stage its input
        (the previous step) belongs to, if exactly one of our stages feeds it and that stage has an
        instruction of the same kind."""
        keyword = text.split(" ", 1)[0].upper()
        candidates = []
        for digest in step.inputs:
            stage = self._stage_of.get(digest)
            if stage is None or stage in candidates:
                continue
            info = self._info_by_index.get(stage.index)
            if info is not None and any(str(getattr(i, "cmd", "")).upper() == keyword for i in info.instructions):
                candidates.append(stage)
        if len(candidates) != 1:
            return None
        stage = candidates[0]
        return stage, self._info_by_index[stage.index]

    def _analysis_step(self, name: str) -> tuple[Any, Any] | None:
        """``analysis.step_for_name(name)`` -> (Stage, Instruction | None), when the analysis has it."""
        finder = getattr(self.analysis, "step_for_name", None)
        if finder is None:
            return None
        try:
            found = finder(name)
        except Exception:  # noqa: BLE001 - the model's own mapping still works
            return None
        if not isinstance(found, tuple) or len(found) != 2:
            return None
        return found

    def _foreign_from(self, text: str, *, exact: bool = False) -> tuple[StageRun, _StageInfo] | None:
        """The stage a FROM step belongs to when BuildKit named it after a stage of ANOTHER build.

        BuildKit shares identical vertices between solves, and a shared vertex keeps the name it got
        first: a ``FROM busybox`` step can arrive as ``[build 1/4] FROM ...`` from an earlier or
        concurrent build of a different Dockerfile. Match it to a needed stage with that base image.
        """
        ref = _normal_ref(text.split(" ", 1)[1] if " " in text else "")
        candidates = [
            info for info in self._infos
            if info.base_is_image and self._stage_by_name.get(info.display_name.lower()) is not None
            and self._stage_by_name[info.display_name.lower()].needed
        ]
        for info in candidates:
            if _normal_ref(str(getattr(getattr(info.stage, "base", None), "ref", ""))) == ref:
                return self._stage_by_name[info.display_name.lower()], info
        if candidates and not exact:
            info = candidates[0]
            return self._stage_by_name[info.display_name.lower()], info
        return None

    def _stage_for(self, stage_name: str | None) -> tuple[StageRun, _StageInfo | None]:
        if stage_name is None:
            # BuildKit drops the stage name when the Dockerfile has a single stage.
            key = self._single_stage or "stage-0"
        else:
            key = stage_name.lower()
        run = self._stage_by_name.get(key)
        if run is None:
            index = None
            if key.startswith("stage-") and key[6:].isdigit():
                index = int(key[6:])
            run = StageRun(key, index)
            self.stages.append(run)
            self._stage_by_name[key] = run
        return run, self._info_by_name.get(key)

    # -- apply ----------------------------------------------------------------------------------

    def apply(self, event: EngineEvent) -> list[Change]:
        """Merge one event; return the changes (possibly none)."""
        if isinstance(event, LogChunk):
            return self._log(event)
        if isinstance(event, VertexUpdate):
            return self._vertex(event)
        if isinstance(event, StatusUpdate):
            step = self.steps.get(event.vertex)
            if step is None:
                return []
            step.statuses[event.id] = event
            self._seen(event.timestamp)
            return [StepChanged(step)]
        if isinstance(event, ImageBuilt):
            self.image_id = event.image_id
            return self._finish("succeeded")
        if isinstance(event, BuildFailed):
            self.error = event.message
            detail = event.detail or {}
            self._stream_broke = detail.get("phase") == "stream" or detail.get("recording") == "truncated"
            self._seen(event.timestamp)
            return self._finish("failed")
        if isinstance(event, BuildCancelled):
            if self.status in ("succeeded", "failed"):
                return []
            self.error = self.error or event.reason
            self._seen(event.timestamp)
            return self._finish("cancelled")
        if isinstance(event, BuildWarning):
            self.warnings.append(event)
            return []
        if isinstance(event, StreamText):
            text = event.text.rstrip("\n")
            if text.strip():
                self.messages.extend(text.split("\n"))
            return []
        if isinstance(event, MalformedMessage):
            self.malformed += 1
            return []
        return []

    def _seen(self, t: float | None) -> None:
        if t is not None and (self._latest is None or t > self._latest):
            self._latest = t

    def _new_step(self, digest: str, name: str) -> StepRun:
        step = StepRun(digest, name, log=LogTail(self.log_lines_per_step))
        self.steps[digest] = step
        return step

    def _classify(self, step: StepRun, changes: list[Change]) -> None:
        """Attach a newly named step to its stage (or to the internal list)."""
        parts = parse_step_name(step.name)
        if parts is None:
            step.instruction = step.name
            self.internal.append(step)
            return
        if parts["stage"] is None:
            # Nameless steps belong to single-stage files; in a multi-stage file one comes from
            # another build's single-stage solve sharing this vertex.
            known = len(self._infos) <= 1
        else:
            known = parts["stage"].lower() in self._stage_by_name
        named = self._stage_by_name.get(parts["stage"].lower()) if known and parts["stage"] else None
        if named is not None and not named.needed:
            # Named after a stage this plan skips: a vertex shared with another build (BuildKit
            # merges identical operations and keeps the first name) belongs to the needed stage
            # that performs the same operation; only a step no needed stage explains is a mismatch.
            found = self._foreign_step(step, parts["text"], exact=True)
            if found is not None and found[0].needed:
                known = False
        if self._infos and not known:
            # A name from another build's solve (shared vertex): place FROM steps by their image,
            # keep anything else apart rather than invent a stage this Dockerfile does not have.
            found = self._foreign_step(step, parts["text"])
            if found is None:
                step.instruction = step.name
                self.internal.append(step)
                return
            stage, info = found
        else:
            stage, info = self._stage_for(parts["stage"])
        mapped = self._analysis_step(step.name) if known else None
        instruction = None
        if mapped is not None:
            # The analysis's own step mapping (duplicate stage names by step count, ONBUILD
            # triggers of a base stage) is the reference; ours is the fallback.
            mapped_stage, instruction = mapped
            index = getattr(mapped_stage, "index", None)
            if index in self._run_by_index:
                stage, info = self._run_by_index[index], self._info_by_index[index]
        step.stage = stage.name
        step.platform = parts["platform"]
        step.position = f"{parts['index']}/{parts['total']}"
        step.instruction = parts["text"]
        if info is not None and not known and not parts["text"].upper().startswith("FROM "):
            # Another build's numbering says nothing about ours: trust only an exact text match.
            instruction = next((i for i in info.instructions if getattr(i, "original", None) == parts["text"]), None)
            if instruction is not None:
                step.line_start = getattr(instruction, "line_start", None)
                step.line_end = getattr(instruction, "line_end", None)
                step.original = getattr(instruction, "original", None)
        elif info is not None:
            if instruction is None:
                instruction = info.find(parts["index"], parts["total"], parts["text"])
            if instruction is None and parts["text"].upper().startswith("FROM "):
                instruction = getattr(info.stage, "from_instruction", None)
            if instruction is not None:
                step.line_start = getattr(instruction, "line_start", None)
                step.line_end = getattr(instruction, "line_end", None)
            else:
                step.line_start, step.line_end = info.locate(parts["index"], parts["total"], parts["text"])
            original = getattr(instruction, "original", None)
            step.original = original if isinstance(original, str) else None
        self._stage_of[step.digest] = stage
        stage.steps.append(step)
        stage.announced = True
        if not stage.needed and stage.name not in self._mismatch_keys:
            self._mismatch_keys.add(stage.name)
            message = (
                f"The engine announced steps for stage '{stage.name}', which the plan skips"
                f" ({stage.skip_reason})."
            )
            self.plan_mismatch.append(message)
            changes.append(PlanMismatch(message))
        changes.append(StageChanged(stage))

    def _become_classic(self, changes: list[Change]) -> None:
        """Steps from the classic builder (``classic.py`` digests) although the model was made for
        BuildKit: switch to the classic plan (every stage up to the target runs)."""
        self.classic = True
        plan = getattr(self.analysis, "plan", None)
        target = getattr(plan, "target", None)
        if not isinstance(target, int):
            return
        for stage in self.stages:
            if stage.index is not None and stage.index <= target and not stage.needed:
                stage.needed, stage.state, stage.skip_reason = True, "planned", None
                changes.append(StageChanged(stage))
            elif stage.index is not None and stage.index > target and stage.needed:
                stage.needed, stage.state = False, "skipped"
                stage.skip_reason = "after the target stage: the classic builder stops at the target"
                changes.append(StageChanged(stage))
        # Duplicate names: prefer the stage the classic builder runs.
        for info in self._infos:
            run = next((r for r in self.stages if r.index == info.index), None)
            key = info.display_name.lower()
            if run is not None and run.needed:
                self._stage_by_name[key] = run
                self._info_by_name[key] = info

    def _vertex(self, event: VertexUpdate) -> list[Change]:
        changes: list[Change] = []
        if not self.classic and not self.steps and event.digest.startswith(CLASSIC_DIGEST_PREFIX):
            self._become_classic(changes)
        if self.status == "pending":
            self.status = "running"
        step = self.steps.get(event.digest)
        if step is None:
            step = self._new_step(event.digest, event.name)
            step.inputs = event.inputs  # a foreign-named step is placed by its inputs
            self._classify(step, changes)
        elif not step.name and event.name:
            step.name = event.name
            self._classify(step, changes)
        if event.inputs:
            step.inputs = event.inputs
        if event.started is not None and (step.started is None or event.started < step.started):
            step.started = event.started
        if event.completed is not None:
            if step.completed is None or event.completed > step.completed:
                step.completed = event.completed
            step.cached = event.cached
        if event.error:
            step.error = event.error
        if event.started is not None and self.started is None:
            # The first start in stream order, not the minimum: a vertex shared with an earlier
            # solve (same digest) reports that solve's older start time.
            self.started = event.started
        self._seen(event.completed or event.started)
        step.state = self._step_state(step)
        if step.completed is not None or step.state in ("failed", "cancelled", "interrupted"):
            flushed = step.log.flush()
            if flushed:
                changes.append(LogAppended(step, flushed))
        changes.append(StepChanged(step))
        stage = self._stage_of.get(step.digest)
        if stage is not None and self._update_stage(stage):
            changes.append(StageChanged(stage))
        if self.status in ("succeeded", "failed", "cancelled") and event.completed is not None:
            self.finished = max(self.finished or event.completed, event.completed)
        return changes

    def _step_state(self, step: StepRun) -> str:
        if step.error:
            if _is_cancellation(step.error) or self.status == "cancelled":
                return "cancelled"
            return "failed"
        if step.completed is not None:
            return "cached" if step.cached else "done"
        if step.started is not None:
            if self.status == "failed" and self._stream_broke:
                return "interrupted"
            if self.status in ("failed", "cancelled"):
                return "cancelled"
            return "running"
        if self.status in ("failed", "cancelled"):
            return "cancelled"
        return "planned"

    def _clamp(self, t: float) -> float:
        """A time no earlier than the build's start (shared vertices carry older times)."""
        return t if self.started is None or t >= self.started else self.started

    def _update_stage(self, stage: StageRun) -> bool:
        """Recompute a stage's state and times from its steps; True if anything changed."""
        before = (stage.state, stage.started, stage.completed)
        if stage.state == "skipped" and not stage.steps:
            return False
        steps = stage.steps
        starts = [self._clamp(s.started) for s in steps if s.started is not None]
        stage.started = min(starts) if starts else None
        states = [s.state for s in steps]
        if any(state == "failed" for state in states):
            state = "failed"
        elif any(state == "running" for state in states):
            state = "running"
        elif steps and all(state in ("cached", "done") for state in states):
            state = "cached" if all(state == "cached" for state in states) else "done"
        elif any(state == "interrupted" for state in states):
            state = "interrupted"
        elif any(state == "cancelled" for state in states):
            state = "cancelled"
        elif any(state in ("cached", "done") for state in states):
            state = "running"  # some steps done, others still planned
        else:
            state = "planned" if self.status not in ("failed", "cancelled") else "cancelled"
        stage.state = state
        if state in ("cached", "done", "failed", "cancelled", "interrupted"):
            ends = [self._clamp(s.completed if s.completed is not None else s.cut_off) for s in steps
                    if s.completed is not None or s.cut_off is not None]
            stage.completed = max(ends) if ends else None
        else:
            stage.completed = None
        return before != (stage.state, stage.started, stage.completed)

    def _log(self, event: LogChunk) -> list[Change]:
        step = self.steps.get(event.vertex)
        if step is None:
            step = self._new_step(event.vertex, "")  # named when its VertexUpdate arrives
        self._seen(event.timestamp)
        lines = step.log.feed(event.data, event.stream)
        if not lines:
            return []
        return [LogAppended(step, lines)]

    def _finish(self, status: str) -> list[Change]:
        if self.status in ("succeeded", "failed", "cancelled") and status != "failed":
            # A late error after success (e.g. tagging failed) still counts; repeats do not.
            return []
        self.status = status
        changes: list[Change] = []
        for step in self.steps.values():
            if step.completed is None or step.state == "running":
                if status in ("failed", "cancelled"):
                    if step.started is not None and step.completed is None and self._latest is not None:
                        step.cut_off = max(step.started, self._latest)
                    step.state = self._step_state(step)
                    flushed = step.log.flush()
                    if flushed:
                        changes.append(LogAppended(step, flushed))
                    changes.append(StepChanged(step))
        for stage in self.stages:
            if stage.state == "skipped" and not stage.steps:
                continue
            if status == "succeeded" and stage.state in ("planned",) and not stage.steps:
                # Needed but no step of its own name: its work was merged into another stage's
                # identical step, or it has nothing that makes a step (FROM + ENV only).
                stage.state = "done"
                changes.append(StageChanged(stage))
                continue
            if self._update_stage(stage):
                changes.append(StageChanged(stage))
            if status in ("failed", "cancelled") and stage.state in ("planned", "running"):
                stage.state = "cancelled"
                changes.append(StageChanged(stage))
        ends = [s.completed for s in self.steps.values() if s.completed is not None]
        self.finished = max([*ends, self._latest or 0.0]) or None
        if status == "succeeded":
            self._check_plan()
        changes.extend(PlanMismatch(m) for m in self._pending_mismatch)
        self._pending_mismatch = []
        changes.append(BuildFinished(status))
        return changes

    def _check_plan(self) -> None:
        """After a successful build: needed stages with real work but nothing announced for them.

        Not earlier: BuildKit usually announces its whole solve before the first step starts, but a
        cached step can be announced after others started (seen on the real engine)."""
        pending = []
        for info in self._infos:
            run = self._stage_by_name.get(info.display_name.lower())
            if run is None or not run.needed or run.announced or not info.has_work:
                continue
            key = f"missing:{run.name}"
            if key in self._mismatch_keys:
                continue
            self._mismatch_keys.add(key)
            message = f"The plan needs stage '{run.name}' but the engine announced nothing attributable to it."
            self.plan_mismatch.append(message)
            pending.append(message)
        self._pending_mismatch = pending

    # -- queries --------------------------------------------------------------------------------

    def running_steps(self) -> list[StepRun]:
        return [s for s in self.steps.values() if s.state == "running"]

    def failed_step(self) -> StepRun | None:
        failed = [s for s in self.steps.values() if s.state == "failed"]
        if not failed:
            return None
        return min(failed, key=lambda s: s.completed or s.started or 0.0)

    def stage(self, name: str) -> StageRun | None:
        return self._stage_by_name.get(name.lower())

    def stage_steps(self) -> list[StepRun]:
        """Dockerfile steps (not internal), in stage order."""
        return [step for stage in self.stages for step in stage.steps]

    def totals(self) -> BuildTotals:
        steps = self.stage_steps()
        clamp = self._clamp
        # Steps cut short by a failure or cancel count until the build ended.
        cut_at = self.finished if self.status in ("failed", "cancelled") else None

        def interval(step: StepRun) -> tuple[float, float] | None:
            if step.started is None:
                return None
            end = step.completed if step.completed is not None else (step.cut_off or cut_at)
            if end is None:
                return None
            return clamp(step.started), max(clamp(step.started), clamp(end))

        intervals = [i for i in map(interval, steps) if i is not None]
        step_time_sum = sum(b - a for a, b in intervals)
        # Max concurrency: sweep over start/end points (ends before starts at the same instant).
        points = sorted([(a, 1) for a, b in intervals if b > a] + [(b, -1) for a, b in intervals if b > a])
        running = peak = 0
        for _, delta in points:
            running += delta
            peak = max(peak, running)
        if not points and intervals:
            peak = 1
        # Time saved by overlap between stages.
        per_stage = []
        all_intervals = []
        for stage in self.stages:
            own = [i for i in map(interval, stage.steps) if i is not None]
            if own:
                per_stage.append(_intervals_union(own))
                all_intervals.extend(own)
        busy = _intervals_union(all_intervals)
        saved = max(0.0, sum(per_stage) - busy)
        wall = None
        if self.started is not None:
            end = self.finished if self.finished is not None else self._latest
            if end is not None:
                wall = max(0.0, end - self.started)
        return BuildTotals(
            wall=wall,
            step_time_sum=step_time_sum,
            max_parallel=peak,
            parallel_saved=saved,
            cache_hits=sum(1 for s in steps if s.state == "cached"),
            steps=len(steps),
            image_id=self.image_id,
            busy=busy,
        )
