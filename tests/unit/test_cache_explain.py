"""The explanation's data: JSON round trip and the plain-words causes."""

from msb_tui.cache.explain import CacheExplanation, Cause, Disagreement, Prediction, StepExplanation, describe


def _step(**kw):
    base = dict(stage="build", step_index=5, line=11, instruction="COPY . .", ran=True, cause=Cause.FILES_CHANGED,
                detail={"source": ".", "changes": [{"path": "cmd/server/main.go", "kind": "modified",
                                                    "old_size": 1200, "new_size": 1240}], "count": 1},
                seconds=0.4, predicted=Prediction.RUN, step_total=6)
    base.update(kw)
    return StepExplanation(**base)


def test_round_trip_and_ids():
    explanation = CacheExplanation("/state/recordings/a.jsonl", [_step(), _step(step_index=6, cause=Cause.PARENT_RAN,
                                                                               cascade_from="build:5", detail={})],
                                   [Disagreement("build:6", Prediction.CACHED, "ran", "predicted cached, ran")])
    data = explanation.to_json()
    again = CacheExplanation.from_json(data)
    assert again.to_json() == data
    assert again.steps[0].id == "build:5" and again.steps[0].label == "[build 5/6]"
    assert again.step("build:6").cascade_from == "build:5"


def test_plain_words():
    assert describe(_step()) == "1 file under . changed: cmd/server/main.go modified (1,200 B → 1,240 B)"
    arg = _step(cause=Cause.ARG_CHANGED, detail={"name": "VERSION", "kind": "arg", "old": "1", "new": "2"})
    assert describe(arg) == "build arg VERSION changed: '1' → '2'"
    line = _step(cause=Cause.LINE_CHANGED, detail={"old": "RUN a", "new": "RUN b"})
    assert describe(line) == "its line changed: RUN a → RUN b"
    parent = _step(cause=Cause.PARENT_RAN, cascade_from="build:5", detail={})
    assert "started at build:5" in describe(parent)
    assert "not on the engine" in describe(_step(cause=Cause.NOT_ON_ENGINE, detail={}))
