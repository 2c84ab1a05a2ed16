"""Dockerfile stages for tying layers to instructions, from the project's analysis."""

from __future__ import annotations

from msb_tui.analysis import analyze


def load_stages(text: str, target: str | None = None, build_args: dict[str, str] | None = None):
    """``(stages, target_index)`` for a Dockerfile's text; target defaults to the last stage."""
    analysis = analyze(text, target=target, build_args=dict(build_args or {}))
    if not analysis.stages:
        raise ValueError("the Dockerfile has no FROM")
    if analysis.plan is not None:
        return analysis.stages, analysis.plan.target
    return analysis.stages, _target_index(analysis.stages, target)


def _target_index(stages, target: str | None) -> int:
    if target is None:
        return len(stages) - 1
    found = None
    for stage in stages:
        if stage.name and stage.name.lower() == target.lower():
            found = stage.index
    if found is None:
        raise ValueError(f"target stage {target!r} not found")
    return found
