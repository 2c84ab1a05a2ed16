"""Headless build reports: BuildKit-style plain progress lines, JSON progress, and the summary table.

Shared by ``msb-tui build`` and ``msb-tui replay``. Output is buffered and written in large
blocks (a million log lines must not cost a million writes). Untrusted text (step names, logs,
errors) has terminal control sequences stripped before it is printed; nothing is markup.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from typing import Any, TextIO

from msb_tui.builds.engine_steps import PROVENANCE_STEP, EngineStep, engine_steps, final_image, short_digests
from msb_tui.builds.groups import collapse
from msb_tui.builds.events import EngineEvent, LogChunk, StreamText
from msb_tui.builds.changes import BuildEnded, Change, LogAppended, PlanMismatch, StageChanged, StepChanged
from msb_tui.builds.model import BuildModel
from msb_tui.builds.runs import StageRun, State, StepRun
from msb_tui.durations import format_duration
from msb_tui.sanitize import strip_controls

_FLUSH_BYTES = 1 << 16
_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\t]")  # what strip_controls would touch
_FLUSH_SECONDS = 0.1


class BufferedWriter:
    """Collects text and writes it in blocks (every 64 KB or 100 ms, and at ``flush``)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self._parts: list[str] = []
        self._size = 0
        self._last = time.monotonic()

    def write(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _FLUSH_BYTES:
            self.flush()
        elif time.monotonic() - self._last >= _FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self.stream.write("".join(self._parts))
            self._parts.clear()
            self._size = 0
        self.stream.flush()
        self._last = time.monotonic()


def _clean(text: str, colours: bool) -> str:
    return strip_controls(text, keep_colours=colours)


def _seconds(value: float | None) -> str:
    """As ``docker build --progress=plain`` writes durations (``import-log`` reads them back)."""
    return "-" if value is None else f"{value:.1f}s"


class PlainProgress:
    """Prints progress like ``docker build --progress=plain``: ``#N name``, ``#N 0.512 log``, ``#N DONE 1.2s``."""

    def __init__(self, out: BufferedWriter, *, colours: bool = False):
        self.out = out
        self.colours = colours
        self._numbers: dict[str, int] = {}
        self._printed_end: set[str] = set()
        self._group_start: dict[str, float] = {}

    def _number(self, step: StepRun) -> tuple[int, bool]:
        """The step's ``#N``; a progress group's vertexes share one, as in BuildKit's output."""
        key = f"group:{step.group.id}" if step.group is not None else step.digest
        number = self._numbers.get(key)
        if number is not None:
            return number, False
        number = self._numbers[key] = len(self._numbers) + 1
        return number, True

    def _duration(self, step: StepRun) -> float | None:
        """A step's duration; a group's from its first member's start (the copy) to the merge's end."""
        if step.group is None or step.started is None:
            return step.duration
        start = self._group_start[step.group.id] = min(self._group_start.get(step.group.id, step.started), step.started)
        return None if step.end is None else max(0.0, step.end - start)

    def handle(self, event: EngineEvent, changes: list[Change]) -> None:
        write = self.out.write
        if isinstance(event, StreamText) and event.text.strip():
            # Engine text outside any step ("Successfully tagged ..."), as the CLI prints it.
            write("".join(f"{_clean(line, False)}\n" for line in event.text.rstrip("\n").split("\n")))
        for change in changes:
            if isinstance(change, StepChanged):
                step = change.step
                if step.state == State.PLANNED or not step.name:
                    continue
                number, new = self._number(step)
                duration = self._duration(step)
                if new:
                    write(f"#{number} {_clean(step.group.name if step.group else step.name, False)}\n")
                if step.state == State.RUNNING or step.digest in self._printed_end:
                    continue
                if step.group is not None and step.group.weak and step.state in (State.CACHED, State.DONE):
                    continue  # the group ends with its other member (the merge)
                self._printed_end.add(step.digest)
                if step.state == State.CACHED:
                    write(f"#{number} CACHED\n")
                elif step.state == State.DONE:
                    write(f"#{number} DONE {_seconds(duration)}\n")
                elif step.state == State.FAILED:
                    write(f"#{number} ERROR: {_clean(step.error or 'failed', False)}\n")
                elif step.state == State.CANCELLED:
                    write(f"#{number} CANCELED\n")
                elif step.state == State.INTERRUPTED:  # the engine went away mid-step
                    write(f"#{number} INTERRUPTED {_seconds(step.duration)}\n")
            elif isinstance(change, LogAppended):
                step = change.step
                number, new = self._number(step)
                if new and step.name:
                    write(f"#{number} {_clean(step.group.name if step.group else step.name, False)}\n")
                offset = 0.0
                if isinstance(event, LogChunk) and event.timestamp is not None and step.started is not None:
                    offset = max(0.0, event.timestamp - step.started)
                prefix = f"#{number} {offset:.3f} "
                lines = change.lines
                block = "\n".join(lines)
                if _NEEDS_CLEANING.search(block) is None:  # one scan for the whole batch
                    write(prefix + block.replace("\n", "\n" + prefix) + "\n")
                else:
                    colours = self.colours
                    write("".join(f"{prefix}{_clean(line, colours)}\n" for line in lines))
            elif isinstance(change, PlanMismatch):
                write(f"plan mismatch: {change.message}\n")


class JsonProgress:
    """One JSON object per change (``{"type": "step"|"stage"|"log"|"build"|"plan_mismatch"|"text", ...}``)."""

    def __init__(self, out: BufferedWriter):
        self.out = out

    def handle(self, event: EngineEvent, changes: list[Change]) -> None:
        if isinstance(event, StreamText) and event.text.strip():
            self.out.write(json.dumps({"type": "text", "text": event.text}, ensure_ascii=False) + "\n")
        for change in changes:
            self.out.write(json.dumps(change_to_json(change), ensure_ascii=False) + "\n")


_STEP_FIELDS = ("digest", "name", "stage", "position", "instruction", "original", "line_start", "line_end",
                "state", "started", "completed", "cached", "error", "platform")
_STAGE_FIELDS = ("name", "platform", "index", "state", "skip_reason", "started", "completed")


def step_to_json(step: StepRun) -> dict[str, Any]:
    return {name: getattr(step, name) for name in _STEP_FIELDS}


def stage_to_json(stage: StageRun) -> dict[str, Any]:
    return {name: getattr(stage, name) for name in _STAGE_FIELDS} | {"steps": len(stage.steps)}


def change_to_json(change: Change) -> dict[str, Any]:
    if isinstance(change, StepChanged):
        return {"type": "step", **step_to_json(change.step)}
    if isinstance(change, StageChanged):
        return {"type": "stage", **stage_to_json(change.stage)}
    if isinstance(change, LogAppended):
        return {"type": "log", "digest": change.step.digest, "lines": change.lines}
    if isinstance(change, BuildEnded):
        return {"type": "build", "status": change.status}
    if isinstance(change, PlanMismatch):
        return {"type": "plan_mismatch", "message": change.message}
    return {"type": "unknown"}


def warning_stage(model: BuildModel, warning) -> str | None:
    """The stage a build check is about (the one holding its line), if any."""
    return next((stage.name for stage in model.stages if any(w is warning for w in stage.warnings)), None)


def engine_step_to_json(entry: EngineStep) -> dict[str, Any]:
    return {"section": entry.section, "name": entry.step.name, "state": entry.step.state,
            "started": entry.step.started, "completed": entry.step.completed, "stages": list(entry.stages),
            "provenance": entry.provenance,
            "parts": [{"kind": part.kind, "text": part.text} for part in entry.parts]}


def engine_steps_text(model: BuildModel) -> list[str]:
    """The engine's own steps for the summary: one line each under its section, an export's
    sub-tasks under it, attestations named as the final image's provenance."""
    entries = engine_steps(model)
    if not entries:
        return []
    image = final_image(model)
    lines = ["  engine steps:"]
    for entry in entries:
        step = entry.step
        text = entry.label + (f" -> {', '.join(entry.stages)}" if entry.stages else "")
        if step.name == PROVENANCE_STEP:
            text = f"{text} for {image}"
        state = step.state if step.duration is None else f"{step.state} {format_duration(step.duration)}"
        lines.append(f"    {entry.section:<9}{_clean(short_digests(text), False)}  [{state}]")
        for part in entry.parts:
            about = f" for {image}" if part.attestation else ""
            lines.append(f"               {_clean(short_digests(part.text + about), False)}")
    return lines


def failure_findings(model: BuildModel) -> list[Any]:
    """The plan's error-level lint findings that may explain a failure: those on the failing step's
    lines, or every one when the failing step has no Dockerfile line (e.g. BuildKit pulling
    ``bulid:latest`` for a ``COPY --from=bulid`` that names no stage: the engine only reports the
    registry error)."""
    if model.status != "failed":
        return []
    findings = [f for f in getattr(model.analysis, "lint", None) or [] if f.severity == "error" and f.line]
    step = model.failed_step()
    if step is not None and step.line_start:
        end = step.line_end or step.line_start
        return [f for f in findings if step.line_start <= f.line <= end]
    return findings


def summary_json(model: BuildModel, recording: str | None = None) -> dict[str, Any]:
    return {
        "type": "summary",
        "status": model.status,
        "error": model.error,
        "image_id": model.image_id,
        "stages": [stage_to_json(stage) | {"cached_steps": sum(1 for s in stage.steps if s.state == State.CACHED)} for stage in model.stages],
        "totals": asdict(model.totals()),
        "plan_mismatch": list(model.plan_mismatch),
        "warnings": [asdict(w) | {"stage": warning_stage(model, w)} for w in model.warnings],
        "engine_steps": [engine_step_to_json(entry) for entry in engine_steps(model)],
        "malformed": model.malformed,
        "recording": recording,
    }


def summary_text(model: BuildModel, recording: str | None = None, *, failed_log_lines: int = 15) -> str:
    """The end-of-build table per stage, the parallelism figures, image id and recording path."""
    base = model.started
    rows = [("STAGE", "STATE", "STEPS", "CACHED", "DURATION", "START", "END", "NOTE")]
    for stage in model.stages:
        steps = collapse(stage.steps)
        start = "-" if stage.started is None or base is None else f"+{stage.started - base:.1f}s"
        end = "-" if stage.completed is None or base is None else f"+{stage.completed - base:.1f}s"
        note = stage.skip_reason or ""
        if stage.state == State.DONE and not stage.steps:
            note = model.no_steps_note(stage)
        rows.append(
            (
                _clean(stage.key, False),
                stage.state,
                str(len(steps)),
                str(sum(1 for s in steps if s.state == State.CACHED)),
                format_duration(stage.duration, "-"),
                start,
                end,
                _clean(note, False),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["", "Build summary"]
    for row in rows:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])) + ("  " + row[-1] if row[-1] else ""))
    lines.extend(engine_steps_text(model))
    totals = model.totals()
    lines.append("")
    lines.append(
        f"  wall {format_duration(totals.wall, '-')}   summed step time {format_duration(totals.step_time_sum, '-')}"
        f"   max parallel steps {totals.max_parallel}   time saved by parallel stages {format_duration(totals.parallel_saved, '-')}"
    )
    lines.append(f"  cache hits {totals.cache_hits}/{totals.steps} steps")
    lines.append(f"  status: {model.status}")
    if model.image_id:
        lines.append(f"  image: {model.image_id}")
    if model.error:
        lines.append(f"  error: {_clean(model.error, False)}")
    failed = model.failed_step()
    if failed is not None:
        where = f" (Dockerfile line {failed.line_start})" if failed.line_start else ""
        lines.append(f"  failed step: {_clean(failed.name, False)}{where}")
        tail = list(failed.log.lines)[-failed_log_lines:]
        for line in tail:
            lines.append(f"    | {_clean(line, False)}")
    for finding in failure_findings(model):
        lines.append(f"  lint, line {finding.line}: {_clean(finding.message, False)}")
    for message in model.plan_mismatch:
        lines.append(f"  plan mismatch: {message}")
    for warning in model.warnings:
        stage = warning_stage(model, warning)
        step = model.steps.get(warning.vertex)
        where = f" (stage {_clean(stage, False)})" if stage else f" ({_clean(step.name, False)})" if step is not None else ""
        lines.append(f"  warning: {_clean(warning.headline, False)}{where}")
    if model.malformed:
        lines.append(f"  {model.malformed} engine message(s) could not be decoded")
    if recording:
        lines.append(f"  recording: {recording}")
    return "\n".join(lines) + "\n"
