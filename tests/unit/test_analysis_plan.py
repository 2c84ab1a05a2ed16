"""The plan: needed closure, skip reasons, waves, critical path; checked on random stage graphs."""

from __future__ import annotations

from functools import lru_cache

from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.analysis import analyze

DEMO = """\
ARG SDK_IMAGE=golang:1.22
FROM ${SDK_IMAGE} AS deps
RUN go mod download
FROM deps AS build
RUN go build -o /app
FROM deps AS lint
RUN go vet
FROM busybox:1.35 AS assets
RUN mkdir /assets
FROM build AS test
RUN go test
FROM scratch AS final
COPY --from=build /app /app
COPY --from=assets /assets /assets
"""


def test_default_target_is_the_last_stage_and_skip_reasons():
    plan = analyze(DEMO).plan
    assert plan.target == 5
    assert plan.needed == {0, 1, 3, 5}
    assert plan.skip_reasons == {
        2: "`lint` is not needed by target `final`",
        4: "`test` is not needed by target `final`",
    }
    assert plan.waves == [[0, 3], [1], [5]]
    assert plan.critical_path == [0, 1, 5]


def test_only_needed_by_skipped_stage():
    text = "FROM scratch AS helper\nFROM scratch AS test\nCOPY --from=helper / /\nFROM scratch AS final\n"
    plan = analyze(text).plan
    assert plan.skip_reasons[0] == "only needed by `test`, which is skipped"
    assert plan.skip_reasons[1] == "`test` is not needed by target `final`"


def test_target_selects_a_smaller_plan():
    plan = analyze(DEMO, target="TEST").plan
    assert plan.target == 4
    assert plan.needed == {0, 1, 4}
    assert plan.waves == [[0], [1], [4]]


def test_critical_path_uses_measured_durations_when_given():
    durations = {"deps": 10.0, "build": 1.0, "assets": 30.0, "final": 1.0}
    plan = analyze(DEMO, step_durations=durations).plan
    assert plan.critical_path == [3, 5]
    assert plan.critical_cost == 31.0
    assert plan.critical_basis == "durations"


def test_waves_of_a_diamond():
    text = (
        "FROM scratch AS a\nFROM a AS b\nFROM a AS c\nFROM scratch AS d\n"
        "COPY --from=b / /b\nCOPY --from=c / /c\n"
    )
    plan = analyze(text).plan
    assert plan.waves == [[0], [1, 2], [3]]


# --- property-based: random DAGs written as Dockerfiles --------------------------------------------


@st.composite
def stage_graphs(draw):
    """A random multi-stage Dockerfile from a random DAG; returns (text, deps per stage)."""
    count = draw(st.integers(min_value=1, max_value=10))
    lines = []
    deps: list[set[int]] = []
    sizes = []
    for index in range(count):
        needs: set[int] = set()
        base_choice = draw(st.integers(min_value=-2, max_value=index - 1)) if index else draw(st.integers(-2, -1))
        if base_choice >= 0:
            base = f"s{base_choice}"
            needs.add(base_choice)
        else:
            base = "scratch" if base_choice == -1 else "busybox:1.35"
        lines.append(f"FROM {base} AS s{index}")
        size = 0
        if index:
            for _ in range(draw(st.integers(min_value=0, max_value=3))):
                source = draw(st.integers(min_value=0, max_value=index - 1))
                form = draw(st.sampled_from(["name", "upper", "index", "mount"]))
                if form == "name":
                    lines.append(f"COPY --from=s{source} /x /x{source}")
                elif form == "upper":
                    lines.append(f"COPY --from=S{source} /x /x{source}")
                elif form == "index":
                    lines.append(f"COPY --from={source} /x /x{source}")
                else:
                    lines.append(f"RUN --mount=type=bind,from=s{source},target=/m true")
                needs.add(source)
                size += 1
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            lines.append("RUN true")
            size += 1
        deps.append(needs)
        sizes.append(size)
    target = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=count - 1)))
    return "\n".join(lines) + "\n", deps, sizes, target


def naive_closure(deps, target):
    needed = set()

    def visit(index):
        if index not in needed:
            needed.add(index)
            for dep in deps[index]:
                visit(dep)

    visit(target)
    return needed


@settings(max_examples=150, deadline=None)
@given(stage_graphs())
def test_random_graphs_plan_matches_naive_closure(graph):
    text, deps, sizes, target = graph
    analysis = analyze(text, target=None if target is None else f"S{target}")
    assert analysis.errors == []
    plan = analysis.plan
    chosen = len(deps) - 1 if target is None else target
    assert plan.target == chosen
    needed = naive_closure(deps, chosen)
    assert plan.needed == needed
    assert set(plan.skip_reasons) == set(range(len(deps))) - needed
    # waves cover exactly the needed stages, and a stage's dependencies sit in earlier waves
    wave_of = {index: number for number, wave in enumerate(plan.waves) for index in wave}
    assert set(wave_of) == needed
    assert sum(len(wave) for wave in plan.waves) == len(needed)
    for index in needed:
        for dep in deps[index]:
            assert wave_of[dep] < wave_of[index]
        # and as early as possible
        expected = 1 + max((wave_of[dep] for dep in deps[index]), default=-1)
        assert wave_of[index] == expected
    # critical path: a dependency chain ending at the target with the maximal cost
    path = plan.critical_path
    assert path[-1] == chosen
    for earlier, later in zip(path, path[1:]):
        assert earlier in deps[later]
    assert not deps[path[0]]

    @lru_cache(maxsize=None)
    def best(index):
        return 1 + sizes[index] + max((best(dep) for dep in deps[index]), default=0)

    assert plan.critical_cost == best(chosen)
    assert sum(1 + sizes[index] for index in path) == best(chosen)
