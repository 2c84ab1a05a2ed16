"""The plan for a target: which stages run, why the others are skipped, what can run side by side,
and the chain of stages that decides how long the build takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
    wave_index: dict[int, int] = field(default_factory=dict)  # stage index -> its wave

    def wave_of(self, index: int) -> int | None:
        if not self.wave_index and self.waves:
            self.wave_index = {stage: number for number, wave in enumerate(self.waves) for stage in wave}
        return self.wave_index.get(index)


def _names(stages: list[Stage], indexes: list[int]) -> str:
    return ", ".join(f"`{stages[i].display_name}`" for i in indexes)


def skip_reasons(stages: list[Stage], needs: list[list[int]], needed: set[int], target: int) -> dict[int, str]:
    """A human reason for every stage the target does not need."""
    if len(needed) == len(stages):
        return {}
    dependents: list[list[int]] = [[] for _ in stages]
    for index, deps in enumerate(needs):
        for dep in deps:
            if index not in dependents[dep]:
                dependents[dep].append(index)
    target_name = stages[target].display_name
    reasons = {}
    for stage in stages:
        if stage.index in needed:
            continue
        users = dependents[stage.index]
        if users:
            verb = "which is" if len(users) == 1 else "which are"
            reasons[stage.index] = f"only needed by {_names(stages, users)}, {verb} skipped"
        else:
            reasons[stage.index] = f"`{stage.display_name}` is not needed by target `{target_name}`"
    return reasons


def waves(needs: list[list[int]], needed: set[int], order: list[int] | None = None) -> list[list[int]]:
    """Needed stages grouped by dependency depth: a wave only needs stages of earlier waves."""
    depth: dict[int, int] = {}
    for index in order if order is not None else _topological(needs, needed):
        deepest = -1
        for dep in needs[index]:  # all needed: ``needed`` is a closure
            if depth[dep] > deepest:
                deepest = depth[dep]
        depth[index] = deepest + 1
    grouped: dict[int, list[int]] = {}
    for index in sorted(needed):
        grouped.setdefault(depth[index], []).append(index)
    return [grouped[level] for level in sorted(grouped)]


def critical_path(stages: list[Stage], needs: list[list[int]], needed: set[int], target: int,
                  durations: Mapping[str, float] | None = None, order: list[int] | None = None) -> tuple[list[int], float]:
    """The most expensive chain of needed stages ending at the target, first stage first.

    Cost of a stage: its measured seconds (``durations`` by display name) when given, else its
    instruction count (FROM included).
    """

    if durations is not None:
        costs = {
            index: float(durations.get(stages[index].display_name, durations.get(str(index), 0.0)))
            for index in needed
        }
    else:
        costs = {index: float(1 + len(stages[index].instructions)) for index in needed}
    best: dict[int, float] = {}
    via: dict[int, int | None] = {}
    # The dependencies of a needed stage are needed too (``needed`` is a closure).
    for index in order if order is not None else _topological(needs, needed):
        previous: int | None = None
        previous_cost = 0.0
        for dep in needs[index]:
            if previous is None or best[dep] > previous_cost:
                previous, previous_cost = dep, best[dep]
        best[index] = previous_cost + costs[index]
        via[index] = previous
    path = []
    node: int | None = target
    while node is not None:
        path.append(node)
        node = via[node]
    path.reverse()
    return path, best[target]


def _topological(needs: list[list[int]], needed: set[int]) -> list[int]:
    order: list[int] = []
    done: set[int] = set()
    for start in sorted(needed):
        stack: list[tuple[int, int]] = [(start, 0)]
        if start in done:
            continue
        done.add(start)
        while stack:
            node, position = stack[-1]
            if position < len(needs[node]):
                stack[-1] = (node, position + 1)
                dep = needs[node][position]
                if dep in needed and dep not in done:
                    done.add(dep)
                    stack.append((dep, 0))
            else:
                order.append(node)
                stack.pop()
    return order


def make_plan(stages: list[Stage], needs: list[list[int]], needed: set[int], target: int,
              durations: Mapping[str, float] | None = None, *, backward_only: bool = False) -> Plan:
    """The plan. ``backward_only`` (every dependency points to an earlier stage) lets file order
    serve as the topological order."""
    order = sorted(needed) if backward_only else _topological(needs, needed)
    path, total = critical_path(stages, needs, needed, target, durations, order)
    return Plan(
        target=target,
        needed=needed,
        skip_reasons=skip_reasons(stages, needs, needed, target),
        waves=waves(needs, needed, order),
        critical_path=path,
        critical_cost=total,
        critical_basis="durations" if durations is not None else "steps",
    )
