"""How the explanation reads: each cause in plain words, and the text ``msb-tui build`` and
``msb-tui explain`` print. Untrusted text (instructions, paths, values) goes out as plain text, never
markup; control sequences are stripped."""

from __future__ import annotations

from typing import Any

from humanize import naturalsize

from msb_tui.durations import format_duration
from msb_tui.sanitize import strip_controls


def _size(value: int | None) -> str:
    if value is None:
        return "?"
    if value < 10_000:  # a small edit must show: "1,200 B → 1,240 B", not "1.2 KiB → 1.2 KiB"
        return f"{value:,} B"
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


def describe(step, *, limit: int = 5, names: dict[str, str] | None = None) -> str:
    """The cause in plain words (untrusted text inside: print it as plain text, never markup).
    ``names``: how to call other steps (by id), e.g. ``{"build:5": "[build 5/6] COPY . ."}``."""
    names = names or {}
    detail = step.detail
    cause = step.cause
    if cause == "cached":
        note = detail.get("note")
        return f"cached ({note})" if note else "cached"
    if cause == "no_cache":
        return "the build was asked not to use the cache (--no-cache)"
    if cause == "line_changed":
        if detail.get("removed") is not None:
            return f"line {detail.get('removed_line')} above it was removed: {detail['removed']!s}"
        if detail.get("moved"):
            return f"the lines above it were reordered (this step used to be: {detail.get('old')!s})"
        where = detail.get("changed_line")
        if where is not None and where != step.line:
            return (f"line {where} it depends on changed: {detail.get('old')!s} → {detail.get('new')!s}")
        old = detail.get("old")
        if old is None:
            return f"new line {step.line}: {detail.get('new')!s}"
        return f"its line changed: {old!s} → {detail.get('new')!s}"
    if cause == "arg_changed":
        kind = "ENV" if detail.get("kind") == "env" else "build arg"
        return f"{kind} {detail.get('name')} changed: {_value(detail.get('old'))} → {_value(detail.get('new'))}"
    if cause == "files_changed":
        changes = list(detail.get("changes") or [])
        count = int(detail.get("count") or len(changes))
        shown = ", ".join(_file_change(c) for c in changes[:limit])
        more = f", and {count - min(count, limit)} more" if count > limit else ""
        what = "1 file" if count == 1 else f"{count} files"
        return f"{what} under {detail.get('source', '.')!s} changed: {shown}{more}"
    if cause == "base_changed":
        return (f"base image {detail.get('image')!s} changed: {_digest(detail.get('old'))} → "
                f"{_digest(detail.get('new'))}")
    if cause == "parent_ran":
        via = detail.get("via")
        start = step.cascade_from or detail.get("parent")
        start = names.get(start, start)
        if via:
            return f"the stage it copies from ({via}) ran again, from {start}"
        return f"the step it is built on ran, a cascade that started at {start}"
    if cause == "not_on_engine":
        return ("nothing it depends on changed: the cache entry was not on the engine "
                "(pruned, or built on another builder)")
    if cause == "no_previous":
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


def explanation_text(explanation, *, all_steps: bool = False) -> str:
    """The explanation for the end of ``msb-tui build`` and for ``msb-tui explain``: one line per step
    that ran (every step with ``all_steps``), then the disagreements. Plain text, never markup."""
    lines = []
    # A FROM is listed only when its image changed: BuildKit reports it done in every build.
    judged = [step for step in explanation.steps if step.ran is not None and not _is_from(step)]
    ran = [step for step in judged if step.ran]
    against = (f" (compared with {explanation.previous})" if explanation.previous
               else " (no earlier build of this Dockerfile and target on this engine to compare with)")
    lines.append(f"Why steps ran{against}: {len(ran)} of {len(judged)} steps ran, "
                 f"{len(judged) - len(ran)} came from the cache")
    names = {step.id: f"{step.label} {short(step.instruction, 30)}" for step in explanation.steps}
    for step in explanation.steps:
        if not (step.ran or all_steps):
            continue
        head = f"  {step.label} {short(step.instruction)} (line {step.line})"
        if step.ran:
            took = f" {format_duration(step.seconds)}" if step.seconds is not None else ""
            text = f"{head} ran{took}: {describe(step, names=names)}"
        elif _is_from(step):
            text = f"{head}: base image unchanged" if step.cause == "cached" else f"{head}: {describe(step)}"
        else:
            text = f"{head} {'cached' if step.ran is False else 'did not run'}"
            if step.detail.get("note"):
                text += f" ({step.detail['note']})"
        lines.append(strip_controls(text))
    if explanation.disagreements:
        lines.append(f"Prediction vs BuildKit: {len(explanation.disagreements)} disagreement(s)")
        lines.extend(strip_controls(f"  {d.message}") for d in explanation.disagreements)
    elif explanation.previous is not None:
        lines.append("Prediction vs BuildKit: agreed on every step")
    lines.extend(f"  note: {strip_controls(note)}" for note in explanation.notes)
    return "\n".join(lines) + "\n"


def _is_from(step) -> bool:
    return step.instruction.lstrip()[:4].upper() == "FROM"


def short(text: str, width: int = 50) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
