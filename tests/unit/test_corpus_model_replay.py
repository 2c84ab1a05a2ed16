"""Real engine event streams that once confused the plan check, replayed into BuildModel (no engine).

Each ``tests/corpus/engine_events/*.json`` holds a Dockerfile, its build inputs and the VertexUpdate /
ImageBuilt events BuildKit 0.8 really sent (captured by test_plan_vs_engine's scenarios). The
stream's stage set matches the plan (proven from unique steps), so a correct model reports no plan
mismatch and files every step under a stage of this Dockerfile.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.builds.events import ImageBuilt, VertexUpdate
from msb_tui.builds.model import BuildModel

STREAMS = Path(__file__).resolve().parents[1] / "corpus" / "engine_events"

# Known BuildModel discrepancies (stream name -> reason), strict: they turn red once fixed.
KNOWN_DISCREPANCIES: dict[str, str] = {}


def _load(path: Path):
    doc = json.loads(path.read_text())
    events = []
    for raw in doc["events"]:
        kind = raw.pop("type")
        if kind == "VertexUpdate":
            raw["inputs"] = tuple(raw["inputs"])
            events.append(VertexUpdate(**raw))
        elif kind == "ImageBuilt":
            events.append(ImageBuilt(**raw))
    return doc, events


def _params():
    for path in sorted(STREAMS.glob("*.json")):
        marks = ()
        if path.stem in KNOWN_DISCREPANCIES:
            marks = (pytest.mark.xfail(strict=True, reason=KNOWN_DISCREPANCIES[path.stem]),)
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_model_replays_a_real_stream_without_false_mismatch(path):
    doc, events = _load(path)
    analysis = analyze(doc["dockerfile"], target=doc["target"], build_args=doc["build_args"])
    assert analysis.ok and analysis.plan is not None
    model = BuildModel(analysis)
    for event in events:
        model.apply(event)
    assert model.status == "succeeded"
    assert [run.name for run in model.stages] == [stage.display_name for stage in analysis.stages]
    needed = {analysis.stages[i].display_name for i in analysis.plan.needed}
    assert {run.name for run in model.stages if run.state != "skipped"} == needed
    assert model.plan_mismatch == []


def test_streams_exist():
    assert len(list(STREAMS.glob("*.json"))) >= 2
