"""The plan for a target: which stages run, why the others are skipped, what can run side by side,
and the chain of stages that decides how long the build takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter

from msb_tui.analysis.stages import Stage


@dataclass(slots=True)
class Plan:
    """What BuildKit will run for ``target`` (a stage index)."""

    target: int
    needed: set[int]
    skip_reasons: dict[int, str] = field(default_factory=dict)
    waves: list[list[int]] = field(default_factory=list)
    critical_path: list[int] = field(default_factory=list)
    critical_cost: float = 0.0
    critical_basis: str = "steps"  # "steps" (instruction count) or "durations" (measured seconds)

    def wave_of(self, index: int) -> int | None:
        """The wave (from 0) a needed stage runs in; None for a skipped stage."""
        return next((number for number, wave in enumerate(self.waves) if index in wave), None)


def skip_reasons(stages: list[Stage], needs: list[list[int]], needed: set[int],
                 target: int) -> dict[int, str]:
    """A human reason for every stage the target does not need."""
    dependents: list[list[int]] = [[] for _ in stages]
    for index, deps in enumerate(needs):
        for dep in deps:  # each once: ``needs`` has no repeats
            dependents[dep].append(index)
    target_name = stages[target].display_name
    reasons = {}
    for stage in stages:
        if stage.index in needed:
            continue
        users = dependents[stage.index]
        if users:
            verb = "which is" if len(users) == 1 else "which are"
            names = ", ".join(f"`{stages[user].display_name}`" for user in users)
            reasons[stage.index] = f"only needed by {names}, {verb} skipped"
        else:
            reasons[stage.index] = f"`{stage.display_name}` is not needed by target `{target_name}`"
    return reasons


def waves(needs: list[list[int]], needed: set[int]) -> list[list[int]]:
    """Needed stages grouped by dependency depth: a wave only needs stages of earlier waves."""
    sorter = TopologicalSorter({index: needs[index] for index in needed})  # ``needed`` is a closure
    sorter.prepare()
    grouped = []
    while sorter.is_active():
        wave = sorted(sorter.get_ready())
        sorter.done(*wave)
        grouped.append(wave)
    return grouped


def critical_path(stages: list[Stage], needs: list[list[int]], order: list[int], target: int,
                  durations: Mapping[str, float] | None = None) -> tuple[list[int], float]:
    """The most expensive chain of needed stages ending at the target, first stage first.

    ``order``: the needed stages, each after its dependencies. Cost of a stage: its measured
    seconds (``durations`` by display name) when given, else its instruction count (FROM included).
    """
    best: dict[int, float] = {}
    via: dict[int, int | None] = {}
    for index in order:
        if durations is not None:
            name = stages[index].display_name
            cost = float(durations.get(name, durations.get(str(index), 0.0)))
        else:
            cost = float(1 + len(stages[index].instructions))
        previous = max(needs[index], key=best.__getitem__, default=None)
        best[index] = cost + (best[previous] if previous is not None else 0.0)
        via[index] = previous
    path = []
    node: int | None = target
    while node is not None:
        path.append(node)
        node = via[node]
    path.reverse()
    return path, best[target]


def make_plan(stages: list[Stage], needs: list[list[int]], needed: set[int], target: int,
              durations: Mapping[str, float] | None = None) -> Plan:
    """The plan for ``target``: ``needs`` per stage, ``needed`` the target's closure over them."""
    stage_waves = waves(needs, needed)
    order = [index for wave in stage_waves for index in wave]
    path, total = critical_path(stages, needs, order, target, durations)
    return Plan(
        target=target,
        needed=needed,
        skip_reasons=skip_reasons(stages, needs, needed, target),
        waves=stage_waves,
        critical_path=path,
        critical_cost=total,
        critical_basis="durations" if durations is not None else "steps",
    )
