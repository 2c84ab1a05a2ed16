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

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from msb_tui.builds.runs import State
from msb_tui.cache.wording import describe, explanation_text  # noqa: F401 - how it reads lives there


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
        return {"id": self.id, **asdict(self), "reason": describe(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepExplanation:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        predicted = Prediction(data.get("predicted", "unknown"))
        return cls(**known | {"cause": Cause(data["cause"]), "predicted": predicted})


@dataclass(frozen=True)
class Disagreement:
    """A step where the prediction and BuildKit differ."""

    step: str  # step id
    predicted: Prediction
    reported: str  # "cached" or "ran"
    message: str


@dataclass
class CacheExplanation:
    """The explanation of one build. ``previous``: the recording it was compared with (None: none)."""

    previous: str | None
    steps: list[StepExplanation] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what limits the explanation (no manifest, ...)

    def step(self, id_: str) -> StepExplanation | None:
        return next((step for step in self.steps if step.id == id_), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"steps": [step.to_json() for step in self.steps]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CacheExplanation:
        return cls(
            previous=data.get("previous"),
            steps=[StepExplanation.from_json(step) for step in data.get("steps") or []],
            disagreements=[Disagreement(**d | {"predicted": Prediction(d["predicted"])})
                           for d in data.get("disagreements") or []],
            notes=list(data.get("notes") or []),
        )


def step_id(stage: str, index: int) -> str:
    return f"{stage}:{index}"


def model_step_id(step) -> str | None:
    """The id of a ``BuildModel`` step (``[build 5/6]``: ``"build:5"``); None for an engine step."""
    number = (step.position or "").split("/", 1)[0]
    return step_id(step.stage, int(number)) if step.stage is not None and number.isdigit() else None


def reported_states(model) -> tuple[dict[str, bool | None], dict[str, float | None]]:
    """({step id: ran}, {step id: seconds}) from a ``BuildModel``: ran is True when BuildKit ran the
    step (also when it failed or was stopped), False when it came from the cache, None when it never
    started. A step built for several platforms ran when any of them ran."""
    states: dict[str, bool | None] = {}
    seconds: dict[str, float | None] = {}
    for step in model.steps.values():
        key = model_step_id(step)
        if key is None:
            continue
        seconds[key] = step.duration
        ran = None if step.state == State.PLANNED else step.state != State.CACHED
        if states.get(key) is not True and (ran is not None or key not in states):
            states[key] = ran
    return states, seconds


def explain(forecast, model=None, *, reported: dict[str, bool | None] | None = None,
            seconds: dict[str, float | None] | None = None) -> CacheExplanation:
    """Join the forecast (:func:`msb_tui.cache.predict.predict`) with what BuildKit reported for each
    step (the model, or ``reported`` and ``seconds``): the first cause of every step that ran, and
    every step where the prediction and BuildKit disagree."""
    if model is not None:
        reported, seconds = reported_states(model)
    reported = reported or {}
    seconds = seconds or {}
    previous = forecast.previous
    explanation = CacheExplanation(previous.recording if previous else None, notes=list(forecast.notes))
    done: dict[str, StepExplanation] = {}

    def effective(id_: str | None) -> bool:
        """Did step ``id_`` run in this build in a way that reaches what is built on it (as reported,
        else as predicted)? A step run only because of --no-cache keeps its cache key: it does not."""
        if id_ is None:
            return False
        found = done.get(id_)
        if found is not None and found.ran is not None:
            if found.cause == Cause.NO_CACHE:
                return forecast.keys.get(id_) == Prediction.RUN
            return found.ran
        return forecast.keys.get(id_, forecast.predicted.get(id_)) == Prediction.RUN

    def origin(id_: str) -> str:
        found = done.get(id_)
        return (found.cascade_from or id_) if found is not None else id_

    for facts in forecast.steps:
        predicted = forecast.predicted[facts.id]
        own = forecast.own.get(facts.id)
        ran = reported.get(facts.id)
        step = StepExplanation(facts.stage, facts.index, facts.line, facts.instruction, ran, Cause.CACHED,
                               seconds=seconds.get(facts.id), predicted=predicted, step_total=facts.total)
        if facts.kind == "from":
            # BuildKit reports a FROM as done in every build: it resolves the image, nothing is rebuilt.
            step.ran = own is not None
            if own is not None:
                step.cause, step.detail = own
            elif previous is None:
                step.cause = Cause.NO_PREVIOUS
        elif ran is False:
            if predicted in (Prediction.RUN, Prediction.UNKNOWN) and own is not None:
                step.detail = {"note": "BuildKit had an identical step in its cache (from another build)"}
            elif predicted == Prediction.CONTENT:
                step.detail = {"note": "the files it reads came out the same as before"}
        else:
            parent_ran = effective(facts.parent)
            copied = [(name, forecast.last_step.get(name)) for name in facts.from_stages]
            copied = [(name, last) for name, last in copied if effective(last)]
            if own is not None:
                step.cause, step.detail = own
            elif parent_ran:
                step.cause, step.detail = Cause.PARENT_RAN, {"parent": facts.parent}
                step.cascade_from = origin(facts.parent)
            elif copied:
                name, last = copied[0]
                step.cause, step.detail = Cause.PARENT_RAN, {"parent": last, "via": name}
                step.cascade_from = origin(last)
            elif previous is None:
                step.cause = Cause.NO_PREVIOUS
            elif ran:
                step.cause = Cause.NOT_ON_ENGINE
        done[facts.id] = step
        explanation.steps.append(step)
        if facts.kind != "from" and ran is not None:
            disagreement = _disagreement(step, predicted, ran)
            if disagreement is not None:
                explanation.disagreements.append(disagreement)
    return explanation


def surprise(label: str, predicted: Prediction, ran: bool) -> str | None:
    """What BuildKit did otherwise than predicted, in words (None: as predicted, or unknown)."""
    if predicted == Prediction.CACHED and ran:
        return f"{label} was predicted to come from the cache, but BuildKit ran it"
    if predicted == Prediction.RUN and not ran:
        return f"{label} was predicted to run, but BuildKit took it from the cache"
    return None


def _disagreement(step: StepExplanation, predicted: Prediction, ran: bool) -> Disagreement | None:
    message = surprise(step.label, predicted, ran)
    if message is None:
        return None
    if ran:
        return Disagreement(step.id, predicted, "ran", f"{message}: {describe(step)}")
    why = ("an identical step was already there (from a build msb-tui did not record, or an "
           "earlier one than the build compared with)")
    return Disagreement(step.id, predicted, "cached", f"{message}: {why}")
