"""BuildKit's progress groups: vertexes its own progress display shows as one row.

On an engine that can merge layers (the containerd image store), ``COPY --link`` is two vertexes:
the copy into an empty layer (``[final 2/2] COPY --link ...``, a *weak* member) and the merge of
that layer onto the stage (``[final 2/2] LINK COPY --link ...``), both in one group named after the
instruction (measured on Docker 28.5.2; the classic image store makes one plain copy). BuildKit's
display merges a group's members: cached only if every member is, failed if one failed, the
members' times joined. ``collapse`` does the same for a stage's steps, so a pane shows one row per
Dockerfile instruction; the model keeps every vertex.
"""

from __future__ import annotations

from msb_tui.builds.runs import State, StepRun


def _state(members: list[StepRun]) -> State:
    states = [m.state for m in members]
    for state in (State.FAILED, State.INTERRUPTED, State.RUNNING, State.CANCELLED):
        if state in states:
            return state
    if all(s == State.CACHED for s in states):
        return State.CACHED
    if all(s.finished for s in states):
        return State.DONE
    if any(s.finished for s in states):
        return State.RUNNING  # one member done, the other not started yet
    return State.PLANNED


def merge(members: list[StepRun]) -> StepRun:
    """One step standing for a group's members (a new object; the model's steps are not changed).

    It takes its name, place and Dockerfile lines from the member named like the group (the copy),
    and its digest from the first non-weak member (the merge, whose end is the group's end)."""
    group = members[0].group
    named = next((m for m in members if group is not None and m.name == group.name), members[0])
    strong = next((m for m in members if m.group is not None and not m.group.weak), named)
    starts = [m.started for m in members if m.started is not None]
    ends = [m.end for m in members]
    errors = [m.error for m in members if m.error]
    state = _state(members)
    return StepRun(
        digest=strong.digest,
        name=group.name if group is not None else named.name,
        stage=named.stage,
        position=named.position,
        instruction=named.instruction,
        original=named.original,
        line_start=named.line_start,
        line_end=named.line_end,
        started=min(starts) if starts else None,
        completed=max(e for e in ends if e is not None) if state.finished and all(e is not None for e in ends) else None,
        cached=all(m.cached for m in members),
        error=errors[0] if errors else None,
        state=state,
        inputs=named.inputs,
        log=max(members, key=lambda m: len(m.log.lines)).log,
        statuses={key: value for m in members for key, value in m.statuses.items()},
        platform=named.platform,
        group=group,
    )


def collapse(steps: list[StepRun]) -> list[StepRun]:
    """``steps`` with each progress group's members merged into one step, at its first member's place."""
    if not any(step.group is not None for step in steps):
        return list(steps)
    members: dict[str, list[StepRun]] = {}
    for step in steps:
        if step.group is not None:
            members.setdefault(step.group.id, []).append(step)
    out: list[StepRun] = []
    for step in steps:
        if step.group is None or len(members[step.group.id]) == 1:
            out.append(step)
        elif members[step.group.id][0] is step:
            out.append(merge(members[step.group.id]))
    return out
