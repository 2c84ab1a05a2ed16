"""The cache explanation as the build view shows it: a short tag per step, its place in a cascade
of re-runs, a one-line summary per stage and one for the build. Pure (no Textual): the widgets and
the tests read these plain values. Text that came from the Dockerfile, the context or build args
is returned raw: the widgets turn it into ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from msb_tui.cache.advice import ReorderAdvice, cascade_origin
from msb_tui.cache.explain import CacheExplanation, Cause, StepExplanation, describe
from msb_tui.durations import format_duration

ORIGIN = "origin"
FOLLOWS = "follows"

# Cause -> the few words a step row has room for (files and args say how many / which).
_TAGS = {
    Cause.NO_CACHE: "no cache",
    Cause.LINE_CHANGED: "line changed",
    Cause.BASE_CHANGED: "base changed",
    Cause.NOT_ON_ENGINE: "not on engine",
    Cause.NO_PREVIOUS: "first build",
}


@dataclass(frozen=True)
class StepMark:
    """What the build view shows of one step's explanation."""

    tag: str  # "1 file", "line changed", "arg VERSION", "↳ 5/6", "" for a cached step
    role: str  # ORIGIN: it started a cascade of re-runs; FOLLOWS: it ran because of one; "": neither
    disagrees: bool  # the prediction said otherwise than BuildKit
    step: StepExplanation


def position(step: StepExplanation) -> str:
    """``5/6`` (or ``5`` when the total is unknown), as the stage panes number steps."""
    return f"{step.step_index}/{step.step_total}" if step.step_total else str(step.step_index)


def step_tag(step: StepExplanation, origin: StepExplanation | None) -> str:
    """A step row's cause in a few words ("" when it came from the cache or did not run)."""
    if not step.ran:
        return ""
    if step.cause == Cause.FILES_CHANGED:
        count = int(step.detail.get("count") or len(step.detail.get("changes") or ()))
        return f"{count} file{'' if count == 1 else 's'}"
    if step.cause == Cause.ARG_CHANGED:
        return f"{'env' if step.detail.get('kind') == 'env' else 'arg'} {step.detail.get('name', '?')}"
    if step.cause == Cause.PARENT_RAN:
        if origin is None:
            return "↳ parent ran"
        where = position(origin) if origin.stage == step.stage else f"{origin.stage} {position(origin)}"
        return f"↳ {where}"
    return _TAGS.get(step.cause, str(step.cause).replace("_", " "))


def step_marks(explanation: CacheExplanation, runs: Iterable) -> dict[str, StepMark]:
    """``{model step digest: StepMark}``: the explanation's steps matched to the model's
    ``StepRun``s by stage and step number (``[build 5/6]``), else by stage and Dockerfile line."""
    steps = explanation.steps
    by_number = {(step.stage, step.step_index): step for step in steps}
    by_line = {(step.stage, step.line): step for step in steps if step.line is not None}
    origin_ids = {getattr(cascade_origin(step, steps), "id", None)
                  for step in steps if step.ran and step.cause == Cause.PARENT_RAN}
    disagree = {item.step for item in explanation.disagreements}
    marks = {}
    for run in runs:
        number = _number(run.position)
        step = by_number.get((run.stage, number)) if number is not None else None
        step = step or by_line.get((run.stage, run.line_start))
        if step is None:
            continue
        origin = cascade_origin(step, steps) if step.cause == Cause.PARENT_RAN else None
        role = FOLLOWS if step.ran and step.cause == Cause.PARENT_RAN else ORIGIN if step.id in origin_ids else ""
        marks[run.digest] = StepMark(step_tag(step, origin), role, step.id in disagree, step)
    return marks


def _number(position: str | None) -> int | None:
    head = (position or "").partition("/")[0]
    return int(head) if head.isdigit() else None


def stage_summary(explanation: CacheExplanation, stage: str) -> str:
    """One line for a stage pane: how many steps ran, from where, or that all came from the cache."""
    steps = [step for step in explanation.steps if step.stage == stage and step.ran is not None]
    if not steps:
        return ""
    ran = [step for step in steps if step.ran]
    if not ran:
        return "its step came from the cache" if len(steps) == 1 else f"all {len(steps)} steps from the cache"
    seconds = sum(step.seconds or 0.0 for step in ran)
    took = f" in {format_duration(seconds)}" if seconds else ""
    first = ran[0]
    if first.cause == Cause.PARENT_RAN:
        origin = cascade_origin(first, explanation.steps)
        reason = f"after {origin.label} ran" if origin is not None else "after the step it is built on"
    else:
        reason = f"from {position(first)}: {short_reason(first)}"
    return f"{len(ran)} of {len(steps)} ran{took}, {reason}"


def short_reason(step: StepExplanation) -> str:
    """The cause in the fewest words that still name what changed (a pane has ~34 columns)."""
    detail = step.detail
    if step.cause == Cause.FILES_CHANGED:
        changes = detail.get("changes") or []
        count = int(detail.get("count") or len(changes))
        if not changes:
            return f"{count} files changed"
        first = changes[0]
        more = f" (+{count - 1} more)" if count > 1 else ""
        return f"{first.get('path')} {first.get('kind', 'changed')}{more}"
    if step.cause == Cause.ARG_CHANGED:
        return f"{detail.get('name')} changed"
    if step.cause == Cause.LINE_CHANGED:
        return f"line {detail.get('changed_line') or step.line} changed"
    return describe(step, limit=1)


def build_summary(explanation: CacheExplanation, advice: list[ReorderAdvice]) -> str:
    """The line above the panes: what ran and why first, the prediction's score, the advice's saving."""
    steps = [step for step in explanation.steps if step.ran is not None]
    ran = [step for step in steps if step.ran]
    parts = [f"{len(ran)} of {len(steps)} steps ran"]
    if explanation.previous is None:
        parts.append("no earlier build of this Dockerfile and target on this engine to compare with")
    # The steps that ran for a reason of their own (each starts a cascade, or stands alone).
    causes = [step for step in ran if step.cause != Cause.PARENT_RAN]
    if causes and explanation.previous is not None:
        first = causes[0]
        followers = sum(1 for step in ran if step.cause == Cause.PARENT_RAN and cascade_origin(step, steps) is first)
        after = f", then {followers} after it" if followers else ""
        parts.append(f"{first.label} {first.instruction}: {describe(first, limit=2)}{after}")
        if len(causes) > 1:
            parts.append(f"{len(causes) - 1} other cause{'' if len(causes) == 2 else 's'}")
    if explanation.previous is not None:
        count = len(explanation.disagreements)
        parts.append(f"⚠ prediction disagreed with BuildKit on {count} step{'' if count == 1 else 's'}"
                     if count else f"prediction agreed with BuildKit on all {len(steps)}")
    if advice:
        wasted = sum(item.seconds or 0.0 for item in advice)
        parts.append(f"reordering saves {format_duration(wasted)}" if wasted else "reordering helps")
    return " · ".join(parts)
