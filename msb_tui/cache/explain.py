"""Why each step ran instead of coming from the cache: the explanation of one build.

A step reuses BuildKit's cache until something its cache key depends on changes; then it runs, and
every step built on it runs too. :mod:`msb_tui.cache.predict` finds, for each step, the first such
change against the previous build of the same Dockerfile and target on the same engine (the
*prediction*, made before the build); :func:`explain` then joins it with what BuildKit reported
(the ``BuildModel``'s step states) and flags every step where the two disagree, as the plan-vs-solve
check does for stages.

Values shown here may come from build args: secret ones are masked before they get here
(:mod:`msb_tui.cache.record`), so nothing in an explanation needs masking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Cause(StrEnum):
    """Why a step ran (the first that applies, in this order), or ``CACHED`` when it did not."""

    CACHED = "cached"
    NO_CACHE = "no_cache"  # the build was asked not to use the cache
    LINE_CHANGED = "line_changed"  # its Dockerfile instruction changed
    ARG_CHANGED = "arg_changed"  # a build arg or ENV value it can see changed
    FILES_CHANGED = "files_changed"  # files under its COPY/ADD (or bind mount) sources changed
    BASE_CHANGED = "base_changed"  # its base image (or a COPY --from image) is another image now
    PARENT_RAN = "parent_ran"  # the step it is built on ran (cascade_from: where it started)
    NOT_ON_ENGINE = "not_on_engine"  # nothing changed: the cache entry was not there (pruned, other builder)
    NO_PREVIOUS = "no_previous"  # no earlier build of this Dockerfile and target on this engine to compare with


class Prediction(StrEnum):
    """What the inputs say a step will do before the build runs."""

    CACHED = "cached"
    RUN = "run"
    # BuildKit decides by the content of files made during this build (COPY --from a stage that
    # runs again may still hit the cache when the files come out the same): no prediction.
    CONTENT = "content"
    UNKNOWN = "unknown"  # nothing to compare with


@dataclass
class StepExplanation:
    """One Dockerfile step (``[stage N/M]``): what BuildKit did with it and why.

    ``ran`` is what BuildKit reported (None before the build, or when the build stopped first);
    ``cause`` is the first reason it ran (``CACHED`` when it did not run); ``detail`` holds the
    cause's facts (see :func:`describe`); ``cascade_from`` is the id of the step whose run started
    the cascade that reached this one; ``seconds`` is how long it took in this build."""

    stage: str
    step_index: int  # N of BuildKit's "[stage N/M]"
    line: int | None
    instruction: str
    ran: bool | None
    cause: Cause
    detail: dict[str, Any] = field(default_factory=dict)
    cascade_from: str | None = None
    seconds: float | None = None
    predicted: Prediction = Prediction.UNKNOWN
    step_total: int | None = None  # M of "[stage N/M]"

    @property
    def id(self) -> str:
        """``"build:5"``: the stage's display name and BuildKit's step number."""
        return step_id(self.stage, self.step_index)

    @property
    def label(self) -> str:
        """``[build 5/6]`` as BuildKit names the step."""
        total = f"/{self.step_total}" if self.step_total else ""
        return f"[{self.stage} {self.step_index}{total}]"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage,
            "step_index": self.step_index,
            "step_total": self.step_total,
            "line": self.line,
            "instruction": self.instruction,
            "ran": self.ran,
            "cause": str(self.cause),
            "reason": describe(self),
            "detail": self.detail,
            "cascade_from": self.cascade_from,
            "seconds": self.seconds,
            "predicted": str(self.predicted),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepExplanation:
        return cls(
            stage=str(data["stage"]),
            step_index=int(data["step_index"]),
            line=data.get("line"),
            instruction=str(data.get("instruction", "")),
            ran=data.get("ran"),
            cause=Cause(data.get("cause", "cached")),
            detail=dict(data.get("detail") or {}),
            cascade_from=data.get("cascade_from"),
            seconds=data.get("seconds"),
            predicted=Prediction(data.get("predicted", "unknown")),
            step_total=data.get("step_total"),
        )


@dataclass(frozen=True)
class Disagreement:
    """A step where the prediction and BuildKit differ."""

    step: str  # step id
    predicted: Prediction
    reported: str  # "cached" or "ran"
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "predicted": str(self.predicted), "reported": self.reported, "message": self.message}


@dataclass
class CacheExplanation:
    """The explanation of one build. ``previous``: the recording it was compared with (None: none)."""

    previous: str | None
    steps: list[StepExplanation] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what limits the explanation (no manifest, ...)

    def step(self, id_: str) -> StepExplanation | None:
        return next((step for step in self.steps if step.id == id_), None)

    @property
    def ran(self) -> list[StepExplanation]:
        return [step for step in self.steps if step.ran]

    def stage_summary(self) -> dict[str, tuple[int, int, Cause | None]]:
        """{stage: (steps that ran, steps, the first cause in it)} in file order."""
        summary: dict[str, tuple[int, int, Cause | None]] = {}
        for step in self.steps:
            ran, total, first = summary.get(step.stage, (0, 0, None))
            if step.ran:
                ran += 1
                first = first or step.cause
            summary[step.stage] = (ran, total + 1, first)
        return summary

    def to_json(self) -> dict[str, Any]:
        return {
            "previous": self.previous,
            "steps": [step.to_json() for step in self.steps],
            "disagreements": [d.to_json() for d in self.disagreements],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CacheExplanation:
        return cls(
            previous=data.get("previous"),
            steps=[StepExplanation.from_json(step) for step in data.get("steps") or []],
            disagreements=[
                Disagreement(d["step"], Prediction(d["predicted"]), d["reported"], d["message"])
                for d in data.get("disagreements") or []
            ],
            notes=list(data.get("notes") or []),
        )


def step_id(stage: str, index: int) -> str:
    return f"{stage}:{index}"


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 10_000:  # a small edit must show: "1,200 B → 1,240 B", not "1.2 KiB → 1.2 KiB"
        return f"{value:,} B"
    from humanize import naturalsize

    return naturalsize(value, binary=True)


def _file_change(change: dict[str, Any]) -> str:
    kind = change.get("kind")
    path = change.get("path")
    if kind == "added":
        return f"{path} added ({_size(change.get('new_size'))})"
    if kind == "removed":
        return f"{path} removed ({_size(change.get('old_size'))})"
    if kind == "mode":
        return f"{path} mode changed"
    old, new = change.get("old_size"), change.get("new_size")
    sizes = _size(new) if old == new else f"{_size(old)} → {_size(new)}"
    return f"{path} modified ({sizes})"


def describe(step: StepExplanation, *, limit: int = 5) -> str:
    """The cause in plain words (untrusted text inside: print it as plain text, never markup)."""
    detail = step.detail
    cause = step.cause
    if cause == Cause.CACHED:
        note = detail.get("note")
        return f"cached ({note})" if note else "cached"
    if cause == Cause.NO_CACHE:
        return "the build was asked not to use the cache (--no-cache)"
    if cause == Cause.LINE_CHANGED:
        where = detail.get("changed_line")
        if where is not None and where != step.line:
            return (f"line {where} it depends on changed: {detail.get('old')!s} → {detail.get('new')!s}")
        old = detail.get("old")
        if old is None:
            return f"new line {step.line}: {detail.get('new')!s}"
        return f"its line changed: {old!s} → {detail.get('new')!s}"
    if cause == Cause.ARG_CHANGED:
        kind = "ENV" if detail.get("kind") == "env" else "build arg"
        return f"{kind} {detail.get('name')} changed: {_value(detail.get('old'))} → {_value(detail.get('new'))}"
    if cause == Cause.FILES_CHANGED:
        changes = list(detail.get("changes") or [])
        count = int(detail.get("count") or len(changes))
        shown = ", ".join(_file_change(c) for c in changes[:limit])
        more = f", and {count - min(count, limit)} more" if count > limit else ""
        what = "1 file" if count == 1 else f"{count} files"
        return f"{what} under {detail.get('source', '.')!s} changed: {shown}{more}"
    if cause == Cause.BASE_CHANGED:
        return (f"base image {detail.get('image')!s} changed: {_digest(detail.get('old'))} → "
                f"{_digest(detail.get('new'))}")
    if cause == Cause.PARENT_RAN:
        via = detail.get("via")
        start = step.cascade_from or detail.get("parent")
        if via:
            return f"the stage it copies from ({via}) ran again, from {start}"
        return f"the step it is built on ran, a cascade that started at {start}"
    if cause == Cause.NOT_ON_ENGINE:
        return ("nothing it depends on changed: the cache entry was not on the engine "
                "(pruned, or built on another builder)")
    if cause == Cause.NO_PREVIOUS:
        return "no earlier build of this Dockerfile and target on this engine to compare with"
    return str(cause)


def _value(value: Any) -> str:
    if value is None:
        return "(unset)"
    return repr(str(value))


def _digest(value: Any) -> str:
    if not value:
        return "(unknown)"
    text = str(value)
    return text[:19] if text.startswith("sha256:") else text
