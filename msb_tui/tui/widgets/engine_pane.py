"""The build view's "engine steps" pane: what BuildKit did outside the stages, next to their panes.

One row per engine step under its section (context, metadata, export), the export's sub-tasks
under it (manifest, config, attestation manifest, naming, unpacking), attestation rows marked as
the final image's provenance, and the build checks that point at no stage. It is a ``StagePane``
(same keys: enter opens a step's log) fed by ``engine_pane_data``.
"""

from __future__ import annotations

from msb_tui.builds.engine_steps import EngineStep, Section, engine_steps, final_image, short_digests
from msb_tui.builds.runs import State
from msb_tui.tui.widgets.stage_pane import PaneData, StagePane, StepRow, step_row

ENGINE_PANE = "engine steps"
"""The pane's name: never a stage's (stage names have no spaces)."""

_SECTION_LABELS = {section: f"{section:<8}" for section in Section}  # one column wide: "context ", "metadata"


def _rows(entry: EngineStep, image: str) -> list[StepRow]:
    step = entry.step
    text = entry.label
    if entry.stages:
        text += f" → {', '.join(entry.stages)}"
    if step.name.startswith("resolving provenance"):
        text = f"{text} for {image}"
    base = step_row(step)
    rows = [StepRow(base.digest, base.state, _SECTION_LABELS[entry.section], short_digests(text), base.started,
                    base.completed, base.cached)]
    for part in entry.parts:
        done = part.completed is not None or step.state in (State.DONE, State.CACHED)
        text = part.text.removeprefix("exporting ")
        label = f"↳ {text} for {image}" if part.attestation else f"↳ {text}"
        rows.append(StepRow(step.digest, State.DONE if done else step.state, " " * 8, short_digests(label),
                            part.started, part.completed))
    return rows


def _state(entries: list[EngineStep], model) -> str:
    states = {entry.step.state for entry in entries}
    for state in (State.FAILED, State.RUNNING):
        if state in states:
            return state
    if not model.status.ended and not any(entry.section == Section.EXPORT for entry in entries):
        return State.PLANNED  # the export comes after the stages
    if states and all(s.finished for s in states):
        return State.CACHED if states == {State.CACHED} else State.DONE
    if model.status.stopped:
        return State.CANCELLED
    return State.RUNNING if states & {State.DONE, State.CACHED} else State.PLANNED


def engine_pane_data(model) -> PaneData | None:
    """The pane's snapshot (call under the feed lock); None while there is nothing to show."""
    entries = engine_steps(model)
    tied = {id(w) for stage in model.stages for w in stage.warnings}
    untied = [w for w in model.warnings if id(w) not in tied]
    warnings = tuple(w.headline for w in untied)
    if not entries and not warnings:
        return None
    image = final_image(model)
    rows = tuple(row for entry in entries for row in _rows(entry, image))
    # No pane-wide time: the engine's steps come before and after the stages, so first start to
    # last end would be the whole build. Each row has its own.
    return PaneData(name=ENGINE_PANE, state=_state(entries, model), steps=rows, warnings=warnings,
                    warning_lines=tuple(w.line for w in untied))


class EnginePane(StagePane):
    """A ``StagePane`` for the engine's steps (a wider label column, its own border)."""

    DEFAULT_CSS = """
    EnginePane { border: round $primary-darken-1; }
    EnginePane:focus { border: round $accent; }
    """
