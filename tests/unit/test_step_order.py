"""Each stage lists its steps in BuildKit's numbering order (1/6 ... 6/6), on every engine.

Current BuildKit (Docker 28.5.2) announces a solve's vertexes last step first; BuildKit 0.8
(Docker 20.10) first step first. The recordings of the same demos made on each engine lane
(scripts/record_fixtures.py [--lane current|containerd]) are replayed through the build model and
the stage panes' data, as the app shows them live and in replay.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.builds.events import VertexUpdate
from msb_tui.analysis.steps import parse_step_name
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.tui.widgets.stage_pane import pane_data

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"
ENGINES = {"compat": RECORDINGS, "current": RECORDINGS / "current", "containerd": RECORDINGS / "containerd"}
DEMOS = ("parallel", "seed-example", "go", "broken")


def _cases():
    for lane, folder in ENGINES.items():
        for name in DEMOS:
            yield pytest.param(folder / f"{name}.jsonl", lane, id=f"{lane}-{name}")


def _number(position: str) -> int:
    return int(position.split("/", 1)[0])


def _arrival_order(path: Path) -> dict[str, list[int]]:
    """Each stage's step numbers in the order the engine first announced them."""
    seen: set[str] = set()
    order: dict[str, list[int]] = {}
    for event in replay(path, None):
        if isinstance(event, VertexUpdate) and event.digest not in seen and event.name:
            seen.add(event.digest)
            parts = parse_step_name(event.name)
            if parts and parts.stage:
                order.setdefault(parts.stage, []).append(parts.number)
    return order


@pytest.mark.parametrize("path, lane", list(_cases()))
def test_stage_steps_are_in_numbering_order(path: Path, lane: str):
    assert path.is_file(), f"missing recording {path}: scripts/record_fixtures.py --lane {lane}"
    inputs = read_inputs(path)
    analysis = analyze(inputs["dockerfile_text"], target=inputs.get("target"), build_args=inputs.get("build_args") or {})
    model = BuildModel(analysis)
    for event in replay(path, None):
        model.apply(event)
    ran = [stage for stage in model.stages if stage.steps]
    assert ran, "the recording ran no stage steps"
    for stage in ran:
        numbers = [_number(step.position) for step in stage.steps]
        assert numbers == sorted(numbers), f"{stage.name}: {[s.position for s in stage.steps]}"
        assert [row.position for row in pane_data(stage).steps] == [s.position for s in stage.steps]
    if lane != "compat":
        # The case the order fix is for: this engine did announce some stage's steps backwards.
        arrival = _arrival_order(path)
        assert any(numbers != sorted(numbers) for numbers in arrival.values()), arrival
