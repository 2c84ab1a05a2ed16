"""What the build view shows of a cache explanation: step tags, the cascade, per-stage and build lines."""

from __future__ import annotations

from dataclasses import dataclass

from msb_tui.cache.explain import CacheExplanation, Cause, Disagreement, Prediction, StepExplanation
from msb_tui.tui.cache_marks import FOLLOWS, ORIGIN, build_summary, stage_summary, step_marks, step_tag


@dataclass
class Run:  # the fields of a model StepRun the marks read
    digest: str
    stage: str
    position: str
    line_start: int


def go_rebuild(*, disagree: bool = False) -> CacheExplanation:
    """The Go demo rebuilt after cmd/server/main.go changed: COPY . . and what follows ran."""
    def step(index, line, text, ran=False, cause=Cause.CACHED, stage="build", total=6, **kw):
        return StepExplanation(stage, index, line, text, ran, cause, step_total=total, **kw)

    steps = [
        step(1, 5, "FROM msb-demo/golang:1.19-bookworm"),
        step(2, 6, "WORKDIR /src"),
        step(3, 7, "ENV CGO_ENABLED=0"),
        step(4, 10, "RUN go mod download"),
        step(5, 11, "COPY . .", True, Cause.FILES_CHANGED, seconds=0.3,
             detail={"source": ".", "count": 1, "changes": [
                 {"path": "cmd/server/main.go", "kind": "modified", "old_size": 1210, "new_size": 1262}]}),
        step(6, 12, "RUN go build", True, Cause.PARENT_RAN, cascade_from="build:5", seconds=21.4,
             detail={"parent": "build:5"}),
        step(1, 18, "COPY --from=build /out/server /server", True, Cause.PARENT_RAN, stage="final", total=1,
             cascade_from="build:5", seconds=0.1, detail={"parent": "build:6", "via": "build"}),
    ]
    disagreements = [Disagreement("final:1", Prediction.CACHED, "ran", "[final 1/1] was predicted ...")] if disagree else []
    return CacheExplanation("/state/recordings/previous.jsonl", steps, disagreements)


def runs() -> list[Run]:
    return [Run("d5", "build", "5/6", 11), Run("d6", "build", "6/6", 12), Run("d4", "build", "4/6", 10),
            Run("f1", "final", "1/1", 18), Run("internal", None, "", None)]


def test_tags_roles_and_disagreements():
    marks = step_marks(go_rebuild(disagree=True), runs())
    assert (marks["d5"].tag, marks["d5"].role) == ("1 file", ORIGIN)
    assert (marks["d6"].tag, marks["d6"].role) == ("↳ 5/6", FOLLOWS)
    assert (marks["f1"].tag, marks["f1"].role, marks["f1"].disagrees) == ("↳ build 5/6", FOLLOWS, True)
    assert (marks["d4"].tag, marks["d4"].role) == ("", "")  # go mod download stayed cached
    assert "internal" not in marks


def test_tags_for_each_cause():
    def tag(cause, **detail):
        return step_tag(StepExplanation("s", 2, 3, "RUN x", True, cause, detail), None)

    assert tag(Cause.ARG_CHANGED, name="VERSION", kind="arg", old="1", new="2") == "arg VERSION"
    assert tag(Cause.ARG_CHANGED, name="PATH", kind="env") == "env PATH"
    assert tag(Cause.LINE_CHANGED, old="RUN a", new="RUN b") == "line changed"
    assert tag(Cause.NO_CACHE) == "no cache"
    assert tag(Cause.NOT_ON_ENGINE) == "not on engine"
    assert tag(Cause.FILES_CHANGED, count=3, changes=[]) == "3 files"
    assert step_tag(StepExplanation("s", 2, 3, "RUN x", False, Cause.CACHED), None) == ""


def test_stage_and_build_summaries():
    explanation = go_rebuild()
    assert stage_summary(explanation, "build") == "2 of 6 ran in 21.7s, from 5/6: cmd/server/main.go modified"
    assert stage_summary(explanation, "final") == "1 of 1 ran in 0.1s, after [build 5/6] ran"
    assert stage_summary(explanation, "test") == ""  # skipped: nothing explained
    line = build_summary(explanation, [])
    assert line.startswith("3 of 7 steps ran · [build 5/6] COPY . .: 1 file under . changed: cmd/server/main.go")
    assert "then 2 after it" in line
    assert line.endswith("prediction agreed with BuildKit on all 7")
    assert "disagreed with BuildKit on 1 step" in build_summary(go_rebuild(disagree=True), [])


def test_a_first_build_says_there_was_nothing_to_compare_with():
    steps = [StepExplanation("build", 2, 6, "WORKDIR /src", True, Cause.NO_PREVIOUS)]
    line = build_summary(CacheExplanation(None, steps), [])
    assert line == "1 of 1 steps ran · no earlier build of this Dockerfile and target on this engine to compare with"
