"""Before a build: which steps will come from the cache, and for the others the first reason.

BuildKit keys each step on its instruction, the values it can see (for ``RUN``: every build arg
declared in its stage so far, every ``ENV``, ``USER`` and ``SHELL``; for ``COPY``/``ADD``/``WORKDIR``:
the variables it names), the content of the context files it copies (checksums, not times), the
base image, and the step it is built on. So this compares, step by step, the build about to run
with the previous build of the same Dockerfile and target on the same engine (its
:class:`~msb_tui.cache.record.CacheRecord` and context manifest). Steps are matched by stage name
and BuildKit's step number (``[build 5/6]``).

``COPY --from=<stage>`` is the one step BuildKit decides by content made during the build: when
the stage it copies from runs again, the copy still hits the cache if the files come out the
same. Its prediction is ``Prediction.CONTENT``, never a guess.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from msb_tui.analysis import analyze
from msb_tui.builds.masking import MASK, is_secret_name
from msb_tui.cache.explain import Cause, Prediction, StepExplanation, describe
from msb_tui.cache.manifest import diff
from msb_tui.cache.record import CacheRecord, shown
from msb_tui.cache.steps import StepFacts, StepWalker, covers
from msb_tui.cache.wording import short

MAX_CHANGES = 50  # file changes kept per step (the count says how many there were)
NO_CACHE_KINDS = ("run", "copy", "add")  # the steps --no-cache makes run


@dataclass
class Forecast:
    """The prediction for one build: per step its facts, its own cause (or None) and the prediction."""

    record: CacheRecord
    previous: CacheRecord | None
    steps: list[StepFacts]
    own: dict[str, tuple[Cause, dict[str, Any]]]
    predicted: dict[str, Prediction]
    last_step: dict[str, str | None]  # stage -> the id of its last step (what a COPY --from reads)
    notes: list[str] = field(default_factory=list)
    keys: dict[str, Prediction] = field(default_factory=dict)  # per step: RUN when its cache key changes

    def counts(self) -> Counter[Prediction]:
        return Counter(self.predicted[facts.id] for facts in self.steps if facts.kind != "from")


def _divergence(now: list[StepFacts], prior: list[StepFacts]) -> int:
    """The first position where a stage's instructions differ from the previous build's (a FROM
    counts as the same: its image is judged apart)."""
    for position, (current, before) in enumerate(zip(now, prior)):
        if current.op != before.op and not (current.kind == before.kind == "from"):
            return position
    return min(len(now), len(prior))


def _line_cause(facts: StepFacts, now: list[StepFacts], prior: list[StepFacts]):
    """(the line cause or None, the previous step to compare the rest with or None).

    Before the first difference in its stage a step is the one at its position in the previous
    build. At the first difference the chain changed there: a new or edited line, or lines above it
    removed or reordered. After it, a step whose instruction existed before runs as the cascade."""
    position = facts.index - 1
    at = prior[position] if position < len(prior) else None
    diverged = _divergence(now, prior)
    if position < diverged:
        return None, at
    ops_before = {step.op for step in prior}
    if facts.op not in ops_before:
        edited = at is not None and at.op not in {step.op for step in now}
        return (Cause.LINE_CHANGED, {"old": at.instruction if edited else None, "new": facts.instruction,
                                     "old_line": at.line if edited else None}), None
    same = next(step for step in prior if step.op == facts.op)
    if position > diverged:
        return None, same
    removed = [step for step in prior[position:prior.index(same)] if step.op not in {s.op for s in now}]
    if removed:
        return (Cause.LINE_CHANGED, {"old": None, "new": facts.instruction, "removed": removed[0].instruction,
                                     "removed_line": removed[0].line}), same
    return (Cause.LINE_CHANGED, {"old": at.instruction if at else None, "new": facts.instruction,
                                 "moved": True}), same


def _own_cause(facts: StepFacts, now: list[StepFacts], before: dict[str, list[StepFacts]], record: CacheRecord,
               previous: CacheRecord, changes: list | None) -> tuple[Cause, dict[str, Any]] | None | str:
    """The step's own first cause; None when it has none; "unknown" when a fact is missing."""
    prior = before.get(facts.stage, [])
    if facts.kind == "from":
        ref, old_ref = facts.images[0], previous.bases.get(facts.stage)
        new_id, old_id = record.images.get(ref), previous.images.get(old_ref or ref)
        if old_ref is not None and (old_ref != ref or (new_id and old_id and new_id != old_id)):
            return Cause.BASE_CHANGED, {"image": ref, "old_ref": old_ref, "old": old_id or old_ref, "new": new_id or ref}
        return None
    if facts.from_line is not None:
        text, line = facts.from_line
        old_from = prior[0].from_line[0] if prior and prior[0].from_line else None
        if old_from is not None and old_from != text:
            return Cause.LINE_CHANGED, {"old": old_from, "new": text, "changed_line": line}
    line_cause, match = _line_cause(facts, now, prior)
    if line_cause is not None:
        return line_cause
    old_seen = match.seen if match is not None else None
    if old_seen is not None:
        for key in [*facts.seen, *(k for k in old_seen if k not in facts.seen)]:
            new, old = facts.seen.get(key, (None, None)), old_seen.get(key, (None, None))
            if new[0] == old[0]:
                continue
            kind, name = key
            if kind in ("user", "shell"):
                return Cause.LINE_CHANGED, {"old": old[0], "new": new[0], "changed_line": new[1]}
            secret = is_secret_name(name)  # named like a credential: masked even when the Dockerfile sets it
            return Cause.ARG_CHANGED, {"name": name, "kind": kind,
                                       "old": MASK if secret and old[0] else shown(old[0]),
                                       "new": MASK if secret and new[0] else shown(new[0]),
                                       "declared_line": new[1] or old[1]}
    if facts.sources:
        if changes is None:
            return "unknown"
        hits = [change for change in changes
                if any(covers(source, change.path) for source in facts.sources)
                and not any(covers(pattern, change.path) for pattern in facts.excludes)]
        if hits:
            return Cause.FILES_CHANGED, {
                "source": " ".join(facts.sources), "count": len(hits),
                "changes": [asdict(change) for change in hits[:MAX_CHANGES]],
            }
    for ref in facts.images:
        new_id, old_id = record.images.get(ref), previous.images.get(ref)
        if new_id and old_id and new_id != old_id:
            return Cause.BASE_CHANGED, {"image": ref, "old": old_id, "new": new_id}
    return None


def predict(record: CacheRecord, manifest=None, previous: CacheRecord | None = None, previous_manifest=None,
            *, buildkit=None) -> Forecast:
    """The forecast for the build ``record`` describes, against ``previous`` (None: nothing to compare)."""
    analysis = analyze(record.dockerfile_text, target=record.target, build_args=record.build_args,
                       platform=record.platform, lint=False, buildkit=buildkit)
    walker = StepWalker(analysis, record.build_args, record.platform)
    steps = walker.needed()
    last_step = {stage.display_name: walker.last_of(stage.index) for stage in analysis.stages}
    forecast = Forecast(record, previous, steps, {}, {}, last_step)
    if previous is not None:
        prior_analysis = analyze(previous.dockerfile_text, build_args=previous.build_args,
                                 platform=previous.platform, lint=False, buildkit=buildkit)
        prior_walker = StepWalker(prior_analysis, previous.build_args, previous.platform)
        before: dict[str, list[StepFacts]] = {}
        for stage in prior_analysis.stages:
            before[stage.display_name] = prior_walker.stage(stage)[0]
        changes = None
        if manifest is not None and previous_manifest is not None:
            changes = diff(previous_manifest, manifest)
        if changes is None and any(facts.sources for facts in steps):
            forecast.notes.append("no context manifest of the previous build: changed files cannot be named")
    by_id = {facts.id: facts for facts in steps}
    now: dict[str, list[StepFacts]] = {}
    for facts in steps:
        now.setdefault(facts.stage, []).append(facts)
    unknown: set[str] = set()
    changed: dict[str, tuple[Cause, dict[str, Any]]] = {}  # steps whose cache key changed, and why
    for facts in steps:
        if previous is not None:
            own = _own_cause(facts, now[facts.stage], before, record, previous, changes)
            if own == "unknown":
                unknown.add(facts.id)
            elif own is not None:
                changed[facts.id] = own
        # --no-cache runs RUN, COPY and ADD (measured: BuildKit 0.25 still takes a WORKDIR from the
        # cache); a step run that way keeps its cache key, so what is built on it is judged as usual.
        if record.no_cache and facts.kind in NO_CACHE_KINDS:
            forecast.own[facts.id] = (Cause.NO_CACHE, {})
        elif facts.id in changed:
            forecast.own[facts.id] = changed[facts.id]
    keys: dict[str, Prediction] = {}  # per step: will its cache key differ (RUN), stay (CACHED), ...?

    def key(id_: str | None) -> Prediction:
        if id_ is None:
            return Prediction.CACHED
        if id_ in keys:
            return keys[id_]
        facts = by_id.get(id_)
        if facts is None:  # a stage outside the plan (0.8's forward COPY --from): not judged
            return Prediction.UNKNOWN
        keys[id_] = Prediction.UNKNOWN  # a cycle ends here
        keys[id_] = result = _key(facts)
        return result

    def _key(facts: StepFacts) -> Prediction:
        if facts.id in changed:
            return Prediction.RUN
        if previous is None or facts.id in unknown:
            return Prediction.UNKNOWN
        if facts.kind == "from":
            return Prediction.CACHED
        inputs = [key(facts.parent)]
        copied = [key(last_step.get(name)) for name in facts.from_stages]
        if Prediction.RUN in inputs:
            return Prediction.RUN
        if Prediction.UNKNOWN in inputs + copied:
            return Prediction.UNKNOWN
        if facts.remote or Prediction.CONTENT in inputs + copied or Prediction.RUN in copied:
            return Prediction.CONTENT
        return Prediction.CACHED

    for facts in steps:
        own = forecast.own.get(facts.id)
        predicted = Prediction.RUN if own and own[0] == Cause.NO_CACHE else key(facts.id)
        if facts.link and facts.id not in changed and predicted == Prediction.RUN:
            # A --link copy is made on its own and joined to what is below it afterwards: when only
            # the steps below it changed, BuildKit may take the copy itself from the cache.
            predicted = Prediction.CONTENT
        forecast.predicted[facts.id] = predicted
    forecast.keys = keys
    return forecast


def forecast_text(forecast: Forecast) -> str:
    """The prediction in a few lines, printed before the build is sent."""
    if forecast.previous is None:
        if forecast.record.no_cache:
            return "cache prediction: --no-cache: every RUN, COPY and ADD step runs\n"
        return "cache prediction: none (no earlier build of this Dockerfile and target on this engine was recorded)\n"
    counts = forecast.counts()
    judged = sum(counts.values())
    lines = [f"cache prediction (against {forecast.previous.recording or 'the previous build'}): "
             f"{counts[Prediction.CACHED]} of {judged} steps from the cache, {counts[Prediction.RUN]} to run"
             + (f", {counts[Prediction.CONTENT]} decided by content" if counts[Prediction.CONTENT] else "")
             + (f", {counts[Prediction.UNKNOWN]} unknown" if counts[Prediction.UNKNOWN] else "")]
    for facts in forecast.steps:
        own = forecast.own.get(facts.id)
        if own is None or facts.kind == "from" and own[0] != Cause.BASE_CHANGED:
            continue
        step = StepExplanation(facts.stage, facts.index, facts.line, facts.instruction, None, own[0], own[1],
                               step_total=facts.total)
        lines.append(f"  will run {step.label} {short(facts.instruction, 60)}: {describe(step)}")
    return "\n".join(lines) + "\n"


def forecast_json(forecast: Forecast) -> dict[str, Any]:
    """The prediction as the first line of ``msb-tui build --progress json``."""
    return {
        "type": "cache_prediction",
        "previous": forecast.previous.recording if forecast.previous else None,
        "steps": [{"id": f.id, "stage": f.stage, "step_index": f.index, "line": f.line,
                   "predicted": str(forecast.predicted[f.id]),
                   "cause": str(forecast.own[f.id][0]) if f.id in forecast.own else None}
                  for f in forecast.steps],
        "notes": list(forecast.notes),
    }
