"""BuildKit's progress groups: decoded from both progress formats, and a group's vertexes shown as
one step, as BuildKit shows them. Real data: ``COPY --link`` on Docker 28.5.2 with the containerd
image store is a copy (weak member) and a merge (``LINK COPY ...``) in one group; with the classic
store it is one plain copy."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from msb_tui.builds.events import ProgressGroup, VertexUpdate
from msb_tui.builds.groups import collapse
from msb_tui.builds.model import BuildModel
from msb_tui.builds.report import summary_text
from msb_tui.builds.runs import State, StepRun
from msb_tui.builds.solve_status import decode_solve_status
from msb_tui.builds.trace import StatusResponse, decode_trace
from msb_tui.commands.replay import replay_into
from msb_tui.tui.widgets.stage_pane import pane_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NAME = "[final 2/2] COPY --link --from=build /work/out.txt /srv/out.txt"


def replayed(name: str):
    model, events = replay_into(FIXTURES / "recordings" / name)
    for event in events:
        model.apply(event)
    return model


def test_the_trace_carries_a_vertexs_progress_group():
    response = StatusResponse()
    vertex = response.vertexes.add(digest="sha256:copy", name=NAME)
    vertex.progressGroup.id, vertex.progressGroup.name, vertex.progressGroup.weak = "pg1", NAME, True
    response.vertexes.add(digest="sha256:plain", name="[build 1/1] RUN x")
    copy, plain = decode_trace(base64.b64encode(response.SerializeToString()).decode())
    assert copy.group == ProgressGroup("pg1", NAME, True)
    assert plain.group is None


def test_buildx_rawjson_carries_progress_groups():
    """``docker buildx build --progress=rawjson`` of tests/fixtures/engine_steps on the containerd lane."""
    groups = set()
    for line in (FIXTURES / "buildx" / "copy-link.rawjson").read_text().splitlines():
        for event in decode_solve_status(json.loads(line)):
            if isinstance(event, VertexUpdate) and event.group is not None:
                groups.add((event.name, event.group.weak))
    assert groups == {(NAME, True), ("[final 2/2] LINK COPY --link --from=build /work/out.txt /srv/out.txt", False)}


def test_copy_link_on_the_containerd_store_is_one_step():
    model = replayed("containerd/engine-steps.jsonl")
    final = model.stage("final")
    assert len(final.steps) == 2 and {step.group.id for step in final.steps} == {final.steps[0].group.id}
    [row] = pane_data(final).steps
    assert (row.position, row.text, row.state) == ("2/2", NAME[len("[final 2/2] "):], State.DONE)
    [merged] = collapse(final.steps)
    assert merged.line_start == 9 and merged.digest == next(s.digest for s in final.steps if not s.group.weak)
    assert model.totals().steps == 4  # 3 in build, 1 in final
    assert "  final  done   1 " in summary_text(model)


def test_copy_link_on_the_classic_store_is_one_plain_copy():
    model = replayed("current/engine-steps.jsonl")
    [step] = model.stage("final").steps
    assert step.group is None and step.line_start == 9


def _member(digest, weak, state, started=None, completed=None, cached=False, error=None):
    step = StepRun(digest, NAME if weak else "[final 2/2] LINK " + NAME[12:], stage="final", position="2/2",
                   started=started, completed=completed, cached=cached, error=error, state=state,
                   group=ProgressGroup("g", NAME, weak))
    return step


def test_a_group_is_cached_only_when_every_member_is_and_failed_when_one_failed():
    cached = [_member("a", True, State.CACHED, 1, 2, True), _member("b", False, State.CACHED, 2, 3, True)]
    assert collapse(cached)[0].state == State.CACHED and collapse(cached)[0].cached
    mixed = [_member("a", True, State.CACHED, 1, 2, True), _member("b", False, State.DONE, 2, 5)]
    [step] = collapse(mixed)
    assert (step.state, step.cached, step.started, step.completed) == (State.DONE, False, 1, 5)
    half = [_member("a", True, State.DONE, 1, 2), _member("b", False, State.PLANNED)]
    assert collapse(half)[0].state == State.RUNNING and collapse(half)[0].completed is None
    failed = [_member("a", True, State.DONE, 1, 2), _member("b", False, State.FAILED, 2, 3, error="boom")]
    assert collapse(failed)[0].state == State.FAILED and collapse(failed)[0].error == "boom"


def test_steps_without_groups_are_left_alone():
    model = BuildModel()
    model.apply(VertexUpdate("a", "[s 1/2] RUN a", started=1.0, completed=2.0))
    model.apply(VertexUpdate("b", "[s 2/2] RUN b", started=2.0))
    steps = model.stage("s").steps
    assert collapse(steps) == steps


def test_plain_progress_prints_a_group_as_one_step_as_buildkit_does():
    import io

    from msb_tui.builds.recording import replay
    from msb_tui.builds.report import BufferedWriter, PlainProgress

    model, _ = replay_into(FIXTURES / "recordings" / "containerd" / "engine-steps.jsonl")
    out = io.StringIO()
    printer = PlainProgress(BufferedWriter(out))
    for event in replay(FIXTURES / "recordings" / "containerd" / "engine-steps.jsonl", None):
        printer.handle(event, model.apply(event))
    printer.out.flush()
    lines = out.getvalue().splitlines()
    assert "LINK COPY" not in out.getvalue()
    [header] = [line for line in lines if "COPY --link" in line]
    number = header.split()[0]
    assert header == f"{number} {NAME}"
    assert [line for line in lines if line.startswith(f"{number} ") and line != header] == [f"{number} DONE 0.1s"]
