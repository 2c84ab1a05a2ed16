"""BuildModel on real recordings (parallel, skipped stage, failure, Go) and on synthetic events."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.analysis import analyze
from msb_tui.builds.events import (
    BuildCancelled,
    BuildFailed,
    ImageBuilt,
    LogChunk,
    MalformedMessage,
    StreamText,
    VertexUpdate,
)
from msb_tui.analysis.steps import parse_step_name
from msb_tui.builds.changes import BuildEnded, LogAppended, PlanMismatch, StageChanged
from msb_tui.builds.log_tail import MAX_LINE, LogTail
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_footer, read_inputs, replay

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "recordings"


def _model(name: str, *, with_analysis: bool = True, **kwargs) -> tuple[BuildModel, list]:
    analysis = None
    if with_analysis:
        inputs = read_inputs(RECORDINGS / f"{name}.jsonl")
        analysis = analyze(inputs["dockerfile_text"], target=inputs["target"], build_args=inputs["build_args"])
    model = BuildModel(analysis, **kwargs)
    changes = []
    for event in replay(RECORDINGS / f"{name}.jsonl", None):
        changes.extend(model.apply(event))
    return model, changes


def _stages(model: BuildModel) -> dict[str, str]:
    return {stage.name: stage.state for stage in model.stages}


# -- recordings ----------------------------------------------------------------------------------


def test_parallel_stages_overlap():
    model, changes = _model("parallel")
    assert model.status == "succeeded"
    assert model.image_id and model.image_id.startswith("sha256:")
    assert _stages(model) == {"backend": "done", "frontend": "done", "docs": "done", "final": "done"}
    totals = model.totals()
    assert totals.max_parallel == 3
    # backend 3 s, frontend 3 s and docs 2 s ran side by side: ~5 s saved, wall well under the sum.
    assert totals.parallel_saved > 4.0
    assert totals.wall < totals.step_time_sum - 4.0
    backend, frontend, docs = (model.stage(n) for n in ("backend", "frontend", "docs"))
    assert backend.started < docs.completed and docs.started < backend.completed
    final = model.stage("final")
    assert final.started >= max(backend.completed, frontend.completed, docs.completed) - 0.05
    assert BuildEnded("succeeded") in changes
    assert model.plan_mismatch == []


def test_parallel_logs_belong_to_their_steps():
    model, _ = _model("parallel")
    [run] = [s for s in model.stage("backend").steps if s.instruction.startswith("RUN")]
    assert list(run.log.lines) == ["compiling backend...", "backend done"]
    assert run.line_start == 7 and run.line_end == 8


def test_skipped_stage_is_present_with_the_plans_reason():
    model, _ = _model("seed-example")
    assert _stages(model) == {"base": "done", "build": "done", "test": "skipped", "final": "done"}
    test = model.stage("test")
    assert test.skip_reason and "test" in test.skip_reason and test.steps == []
    assert model.plan_mismatch == []
    build_run = [s for s in model.stage("build").steps if s.instruction.startswith("RUN")][0]
    assert (build_run.position, build_run.line_start, build_run.line_end) == ("2/2", 14, 17)


def test_without_analysis_stages_come_from_step_names():
    model, _ = _model("seed-example", with_analysis=False)
    assert [s.name for s in model.stages] == ["base", "build", "final"]
    assert all(s.index is None for s in model.stages)
    assert {s.name for s in model.internal} >= {"[internal] load remote build context", "exporting to image"}


def test_failed_build():
    model, changes = _model("broken")
    assert model.status == "failed"
    assert "exit code: 2" in model.error
    failed = model.failed_step()
    assert failed is not None and failed.stage == "build" and failed.position == "4/4"
    assert failed.line_start == 8
    assert list(failed.log.lines)[-1] == "error: undefined reference to 'main'"
    assert _stages(model) == {"build": "failed", "final": "cancelled"}
    assert BuildEnded("failed") in changes


def test_go_build_joins_every_step_with_its_line():
    model, _ = _model("go")
    assert model.status == "succeeded"
    assert _stages(model)["test"] == "skipped"
    for step in (s for stage in model.stages for s in stage.steps):
        assert step.line_start is not None, step.name
    final_copy = model.stage("final").steps[0]
    assert final_copy.instruction.startswith("COPY --from=build")


def test_log_tail_is_bounded_in_the_model():
    model, _ = _model("broken", log_lines_per_step=2)
    failed = model.failed_step()
    assert list(failed.log.lines) == ["compiling module 5", "error: undefined reference to 'main'"]
    assert failed.log.dropped == 4 and failed.log.total == 6


# -- synthetic events ----------------------------------------------------------------------------


def _v(digest, name, started=None, completed=None, cached=False, error=None):
    return VertexUpdate(digest, name, (), started, completed, cached, error)


def test_all_cached_stage_is_cached_and_counts_cache_hits():
    model = BuildModel()
    for event in [
        _v("a", "[base 1/2] FROM x"), _v("b", "[base 2/2] RUN y"),
        _v("a", "[base 1/2] FROM x", 10.0, 10.0, cached=True),
        _v("b", "[base 2/2] RUN y", 10.0, 10.0, cached=True),
        ImageBuilt("sha256:1"),
    ]:
        model.apply(event)
    assert _stages(model) == {"base": "cached"}
    assert model.totals().cache_hits == 2


def test_stage_states_follow_steps():
    model = BuildModel()
    changes = model.apply(_v("a", "[build 1/2] RUN one"))
    assert _stages(model) == {"build": "planned"}
    assert any(isinstance(c, StageChanged) for c in changes)
    model.apply(_v("a", "[build 1/2] RUN one", 1.0))
    assert _stages(model) == {"build": "running"} and model.status == "running"
    assert [s.digest for s in model.running_steps()] == ["a"]
    model.apply(_v("b", "[build 2/2] RUN two"))
    model.apply(_v("a", "[build 1/2] RUN one", 1.0, 2.0))
    assert _stages(model) == {"build": "running"}  # step 2 still to run
    model.apply(_v("b", "[build 2/2] RUN two", 2.0, 3.5))
    assert _stages(model) == {"build": "done"}
    assert model.stage("build").duration == pytest.approx(2.5)


def test_cancel_keeps_what_the_model_had():
    model = BuildModel()
    model.apply(_v("a", "[build 1/2] RUN sleep 30", 1.0))
    model.apply(LogChunk("a", b"still going\n", 1, 1.5))
    model.apply(_v("b", "[build 2/2] RUN after"))
    changes = model.apply(BuildCancelled())
    assert model.status == "cancelled"
    assert model.steps["a"].state == "cancelled" and model.steps["b"].state == "cancelled"
    assert list(model.steps["a"].log.lines) == ["still going"]
    assert _stages(model) == {"build": "cancelled"}
    assert BuildEnded("cancelled") in changes
    assert model.apply(BuildCancelled()) == []


def test_concurrent_failure_cancels_siblings():
    model = BuildModel()
    model.apply(_v("a", "[one 1/1] RUN fail", 1.0))
    model.apply(_v("b", "[two 1/1] RUN long", 1.0))
    model.apply(_v("a", "[one 1/1] RUN fail", 1.0, 2.0, error="exit code: 1"))
    model.apply(_v("b", "[two 1/1] RUN long", 1.0, 2.0, error="context canceled"))
    model.apply(BuildFailed("exit code: 1"))
    assert _stages(model) == {"one": "failed", "two": "cancelled"}
    assert model.failed_step().digest == "a"


def test_single_stage_steps_without_a_stage_name():
    analysis = analyze("FROM scratch AS only\nCOPY a /a\n")
    model = BuildModel(analysis)
    model.apply(_v("a", "[1/1] COPY a /a", 1.0, 2.0))
    assert _stages(model) == {"only": "done"}
    assert model.steps["a"].line_start == 2


def test_malformed_and_stream_text_are_counted_not_fatal():
    model = BuildModel()
    model.apply(MalformedMessage("bad"))
    model.apply(StreamText("Successfully tagged x:1\n"))
    assert model.malformed == 1 and model.messages == ["Successfully tagged x:1"]
    assert model.status == "pending"


def _plan_analysis():
    """Target ``bare`` needs ``lonely`` and ``build``; ``test`` is skipped; ``bare`` makes no step."""
    return analyze(
        "FROM busybox AS build\nRUN make\n"
        "FROM busybox AS test\nRUN go test\n"
        "FROM build AS lonely\nRUN lonely\n"
        "FROM lonely AS bare\nENV X=1\n"
    )


def test_plan_mismatch_engine_runs_a_skipped_stage():
    model = BuildModel(_plan_analysis())
    changes = model.apply(_v("t", "[test 2/2] RUN go test"))
    assert [c.message for c in changes if isinstance(c, PlanMismatch)] == [
        "The engine announced steps for stage 'test', which the plan skips (`test` is not needed by target `bare`)."
    ]
    assert len(model.plan_mismatch) == 1
    model.apply(_v("t2", "[test 1/2] FROM x"))
    assert len(model.plan_mismatch) == 1  # said once per stage


def test_plan_mismatch_needed_stage_with_work_never_announced():
    model = BuildModel(_plan_analysis())
    model.apply(_v("b", "[build 2/2] RUN make", 1.0, 2.0))
    changes = model.apply(ImageBuilt("sha256:x"))
    messages = [c.message for c in changes if isinstance(c, PlanMismatch)]
    # `lonely` has a RUN but nothing was announced for it; `bare` has only ENV: not flagged.
    assert messages == ["The plan needs stage 'lonely' but the engine announced nothing attributable to it."]
    assert model.stage("bare").state == "done"


def test_parse_step_name_variants():
    assert parse_step_name("[build 2/4] RUN go build").stage == "build"
    assert parse_step_name("[linux/arm64 build  2/10] RUN x") == ("linux/arm64", "build", 2, 10, "RUN x")
    assert parse_step_name("[base 2/2] ONBUILD RUN x") == (None, "base", 2, 2, "RUN x")
    assert parse_step_name("[2/2] RUN x").stage is None
    assert parse_step_name("[internal] load metadata for docker.io/library/busybox") is None
    assert parse_step_name("exporting to image") is None


# -- LogTail -------------------------------------------------------------------------------------


def test_log_tail_keeps_the_tail_and_counts_dropped():
    tail = LogTail(limit=10)
    data = "".join(f"line {i}\n" for i in range(1000)).encode()
    rng = random.Random(1)
    position = 0
    while position < len(data):
        step = rng.randint(1, 50)
        tail.feed(data[position : position + step])
        position += step
    assert list(tail.lines) == [f"line {i}" for i in range(990, 1000)]
    assert tail.dropped == 990 and tail.total == 1000


def test_log_tail_partial_lines_carriage_returns_and_bad_utf8():
    tail = LogTail()
    assert tail.feed(b"half a li") == []
    assert tail.partial == "half a li"
    assert tail.feed(b"ne\r\nprogress 10%\rprogress 100%\n") == ["half a line", "progress 100%"]
    snowman = "☃".encode()
    assert tail.feed(snowman[:1]) == []
    assert tail.feed(snowman[1:] + b" \xff end\n") == ["☃ \ufffd end"]
    assert tail.feed(b"no newline at the end") == []
    assert tail.flush() == ["no newline at the end"]


def test_log_tail_streams_do_not_mix_partial_lines():
    tail = LogTail()
    tail.feed(b"out ", 1)
    tail.feed(b"err\n", 2)
    assert tail.feed(b"line\n", 1) == ["out line"]
    assert list(tail.lines) == ["err", "out line"]


def test_model_flushes_partial_line_when_step_completes():
    model = BuildModel()
    model.apply(_v("a", "[s 1/1] RUN printf x", 1.0))
    assert model.apply(LogChunk("a", b"no newline", 1, 1.1)) == []
    changes = model.apply(_v("a", "[s 1/1] RUN printf x", 1.0, 2.0))
    assert [c.lines for c in changes if isinstance(c, LogAppended)] == [["no newline"]]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=10))
def test_log_tail_chunking_does_not_change_the_lines(data, cuts):
    whole = LogTail(limit=1000)
    expected = whole.feed(data) + whole.flush()
    pieces = LogTail(limit=1000)
    got = []
    previous = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        cut = min(cut, len(data))
        got += pieces.feed(data[previous:cut])
        previous = max(previous, cut)
    got += pieces.flush()
    assert got == expected


def test_shared_vertex_named_after_another_builds_stage():
    """BuildKit shares identical vertices between solves and keeps the first name: a FROM step can
    arrive named after a stage of a different Dockerfile, with that earlier solve's start time."""
    analysis = analyze("FROM msb-demo/busybox:1.35\nRUN sleep 30\n")
    model = BuildModel(analysis)
    model.apply(_v("ctx", "[internal] load remote build context", 100.0, 100.1))
    model.apply(_v("from", "[build 1/4] FROM docker.io/msb-demo/busybox:1.35", 90.0, 90.0, cached=True))
    model.apply(_v("run", "[2/2] RUN sleep 30", 100.5, 101.5))
    model.apply(ImageBuilt("sha256:1"))
    assert [s.name for s in model.stages] == ["stage-0"]
    assert [s.digest for s in model.stages[0].steps] == ["from", "run"]
    assert model.steps["from"].line_start == 1
    assert model.started == 100.0 and model.stages[0].started == 100.0
    assert model.totals().wall == pytest.approx(1.5)


def test_foreign_non_from_step_is_kept_apart():
    model = BuildModel(analyze("FROM scratch AS only\nCOPY a /a\n"))
    model.apply(_v("x", "[elsewhere 2/3] RUN make", 1.0, 2.0))
    assert [s.name for s in model.stages] == ["only"] and model.internal[0].digest == "x"


def test_classic_recording_runs_every_stage_in_order_without_mismatch():
    inputs = read_inputs(RECORDINGS / "seed-example-classic.jsonl")
    model = BuildModel(analyze(inputs["dockerfile_text"], build_args=inputs["build_args"]), classic=True)
    finished = []
    for event in replay(RECORDINGS / "seed-example-classic.jsonl", None):
        finished += [c for c in model.apply(event) if isinstance(c, BuildEnded)]
    assert finished == [BuildEnded("succeeded")]  # intermediate stage images do not end the build
    assert _stages(model) == {"base": "done", "build": "done", "test": "done", "final": "done"}
    assert model.plan_mismatch == []
    ran = model.stages
    for before, after in zip(ran, ran[1:]):
        assert after.started >= before.completed - 1e-3
    assert model.totals().max_parallel == 1 and model.totals().parallel_saved == 0
    assert model.image_id == read_footer(RECORDINGS / "seed-example-classic.jsonl")["image_id"]


def test_classic_steps_point_at_their_own_dockerfile_lines():
    """The classic builder counts every instruction (FROM, CMD included): step N is the N-th line."""
    inputs = read_inputs(RECORDINGS / "seed-example-classic.jsonl")
    text = inputs["dockerfile_text"]
    model = BuildModel(analyze(text, build_args=inputs["build_args"]), classic=True)
    for event in replay(RECORDINGS / "seed-example-classic.jsonl", None):
        model.apply(event)
    lines = text.splitlines()
    steps = [s for stage in model.stages for s in stage.steps]
    assert len(steps) == 11
    for step in steps:
        keyword = step.instruction.split()[0]
        assert lines[step.line_start - 1].split()[0] == keyword, step.name
    assert lines[model.stage("build").steps[0].line_start - 1] == "FROM base AS build"


def test_classic_plan_skips_only_stages_after_the_target():
    analysis = analyze("FROM scratch AS a\nCOPY x /x\nFROM scratch AS b\nCOPY y /y\nFROM scratch AS c\nCOPY z /z\n", target="b")
    model = BuildModel(analysis, classic=True)
    assert _stages(model) == {"a": "planned", "b": "planned", "c": "skipped"}
    assert "classic builder" in model.stage("c").skip_reason
    assert _stages(BuildModel(analysis)) == {"a": "skipped", "b": "planned", "c": "skipped"}


def test_log_tail_bounds_a_line_that_never_ends():

    tail = LogTail(limit=100)
    for _ in range(100):
        tail.feed(b"x" * 10_000)  # 1 MB, no newline
    assert len(tail.partial) <= MAX_LINE
    assert all(len(line) == MAX_LINE for line in tail.lines)
    assert sum(len(line) for line in tail.lines) + len(tail.partial) == 1_000_000
    bar = LogTail()
    for i in range(5000):
        bar.feed(f"\r{i % 100:3d}% [{'#' * (i % 100)}]".encode())  # a progress bar, no newline
    assert len(bar.partial) <= MAX_LINE + 200
    assert bar.feed(b"\n") == [" 99% [" + "#" * 99 + "]"]


def test_cancelled_recording_keeps_the_running_steps_and_their_logs():
    model, changes = _model("cancelled")
    assert model.status == "cancelled" and BuildEnded("cancelled") in changes
    assert _stages(model) == {"backend": "cancelled", "frontend": "cancelled", "docs": "cancelled", "final": "cancelled"}
    runs = [s for stage in model.stages for s in stage.steps if s.instruction.startswith("RUN")]
    assert len(runs) == 3 and all(s.state == "cancelled" and s.completed is None for s in runs)
    assert all(len(s.log.lines) == 1 for s in runs)  # the first echo of each
    totals = model.totals()
    assert totals.max_parallel == 3  # cut steps count until the cancel
    assert totals.wall == pytest.approx(1.5, abs=0.6)


def test_needed_stage_mismatch_waits_for_the_end_of_the_build():
    """A cached step may be announced after other steps started: no verdict before success."""
    model = BuildModel(_plan_analysis())
    model.apply(VertexUpdate("sha256:b", "[build 2/2] RUN make"))
    changes = model.apply(VertexUpdate("sha256:b", "[build 2/2] RUN make", started=1.0))
    assert not [c for c in changes if isinstance(c, PlanMismatch)]
    model.apply(VertexUpdate("sha256:l", "[lonely 2/2] RUN late", started=1.5, completed=1.5, cached=True))
    model.apply(VertexUpdate("sha256:b", "[build 2/2] RUN make", started=1.0, completed=2.0))
    assert not [c for c in model.apply(ImageBuilt("sha256:x")) if isinstance(c, PlanMismatch)]
    assert model.plan_mismatch == []


def test_classic_steps_switch_a_buildkit_model_to_the_classic_plan():
    inputs = read_inputs(RECORDINGS / "seed-example-classic.jsonl")
    model = BuildModel(analyze(inputs["dockerfile_text"], build_args=inputs["build_args"]))  # no classic=True
    assert model.stage("test").state == "skipped"
    for event in replay(RECORDINGS / "seed-example-classic.jsonl", None):
        model.apply(event)
    assert model.classic and model.plan_mismatch == []
    assert _stages(model) == {"base": "done", "build": "done", "test": "done", "final": "done"}


def test_steps_carry_the_dockerfile_text_as_written():
    model, _ = _model("seed-example")
    base = model.stage("base").steps
    assert base[0].original == "FROM ${BASE_IMAGE} AS base"
    assert base[0].instruction == "FROM docker.io/msb-demo/busybox:1.35"  # as the engine expanded it
    assert base[2].original == "WORKDIR /app"


def test_duplicate_stage_names_and_onbuild_triggers_use_the_analysis_mapping():
    """Step names as BuildKit 0.8 gave them for this Dockerfile (seen on the real engine)."""
    text = (
        "FROM msb-demo/busybox:1.35 AS base\nONBUILD RUN echo trigger > /trigger\n"
        "FROM base AS child\nRUN cat /trigger\n"
        "FROM msb-demo/busybox:1.35 AS dup\nRUN echo first\n"
        "FROM msb-demo/busybox:1.35 AS dup\nRUN echo second && echo more\n"
        "FROM child\nCOPY --from=dup /bin/busybox /x\n"
    )
    model = BuildModel(analyze(text))
    names = {
        "sha256:f": "[dup 1/2] FROM docker.io/msb-demo/busybox:1.35",
        "sha256:t": "[child 1/1] RUN echo trigger > /trigger",
        "sha256:c": "[child 2/1] RUN cat /trigger",
        "sha256:d": "[dup 2/2] RUN echo second && echo more",
        "sha256:x": "[stage-4 1/1] COPY --from=dup /bin/busybox /x",
    }
    for digest, name in names.items():  # BuildKit announces the whole solve first
        model.apply(VertexUpdate(digest, name))
    for number, (digest, name) in enumerate(names.items()):
        model.apply(VertexUpdate(digest, name, started=10.0 + number, completed=10.5 + number))
    model.apply(ImageBuilt("sha256:img"))
    steps = model.steps
    assert (steps["sha256:t"].line_start, steps["sha256:t"].original) == (2, "ONBUILD RUN echo trigger > /trigger")
    assert steps["sha256:c"].line_start == 4
    assert steps["sha256:d"].line_start == 8 and steps["sha256:f"].line_start == 7
    assert [(s.name, s.index, s.state) for s in model.stages] == [
        ("base", 0, "done"), ("child", 1, "done"), ("dup", 2, "skipped"), ("dup", 3, "done"), ("stage-4", 4, "done")]
    assert model.stages[3].steps == [steps["sha256:f"], steps["sha256:d"]]
    assert model.plan_mismatch == []


def test_nameless_shared_from_step_in_a_multi_stage_file():
    """A single-stage build running at the same time shares the FROM vertex and its name wins:
    ``[1/2] FROM ...`` arrives in a two-stage build (seen on the real engine)."""
    model = BuildModel(analyze("FROM msb-demo/busybox:1.35 AS one\nRUN a\nFROM scratch AS two\nCOPY --from=one /a /a\n"))
    model.apply(VertexUpdate("sha256:f", "[1/2] FROM docker.io/msb-demo/busybox:1.35"))
    model.apply(VertexUpdate("sha256:r", "[one 2/2] RUN a"))
    model.apply(VertexUpdate("sha256:c", "[two 1/1] COPY --from=one /a /a"))
    assert [s.name for s in model.stages] == ["one", "two"]
    assert [s.digest for s in model.stage("one").steps] == ["sha256:f", "sha256:r"]
    assert model.steps["sha256:f"].line_start == 1


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).resolve().parents[1] / "corpus" / "engine_events").glob("*.json")), ids=lambda p: p.stem
)
def test_real_engine_streams_from_the_corpus_give_no_false_mismatch(path):
    """Streams BuildKit 0.8 really sent (a cached step announced late; a nameless FROM from a
    concurrent build), captured by the analysis helper's plan-vs-engine scenarios."""
    import json

    doc = json.loads(path.read_text())
    analysis = analyze(doc["dockerfile"], target=doc["target"], build_args=doc["build_args"])
    model = BuildModel(analysis)
    for raw in doc["events"]:
        raw = dict(raw)
        kind = raw.pop("type")
        if kind == "VertexUpdate":
            model.apply(VertexUpdate(**{**raw, "inputs": tuple(raw["inputs"])}))
        elif kind == "ImageBuilt":
            model.apply(ImageBuilt(**raw))
    assert model.status == "succeeded" and model.plan_mismatch == []
    assert [run.name for run in model.stages] == [stage.display_name for stage in analysis.stages]
    needed = {analysis.stages[i].display_name for i in analysis.plan.needed}
    assert {run.name for run in model.stages if run.state != "skipped"} == needed


def test_foreign_named_step_continues_the_stage_of_its_input():
    """An identical RUN shared with a concurrent build arrives under that build's stage name; its
    input (our previous step) says which of our stages it belongs to."""
    model = BuildModel(analyze("FROM msb-demo/busybox:1.35 AS one\nRUN echo hi\nRUN echo more\nFROM scratch AS two\nCOPY --from=one /a /a\n"))
    model.apply(VertexUpdate("sha256:f", "[one 1/3] FROM docker.io/msb-demo/busybox:1.35"))
    model.apply(VertexUpdate("sha256:r", "[theirs 2/2] RUN echo hi", inputs=("sha256:f",)))
    model.apply(VertexUpdate("sha256:m", "[one 3/3] RUN echo more", inputs=("sha256:r",)))
    model.apply(VertexUpdate("sha256:z", "[theirs 3/3] RUN echo unknown", inputs=("sha256:nothing",)))
    assert [s.digest for s in model.stage("one").steps] == ["sha256:f", "sha256:r", "sha256:m"]
    assert model.steps["sha256:r"].line_start == 2 and model.steps["sha256:r"].original == "RUN echo hi"
    assert [s.digest for s in model.internal] == ["sha256:z"]


def test_a_step_buildkit_never_started_in_a_succeeded_build_came_from_the_cache():
    # Docker 28.5.2, seed-example --target test: [base 2/3] was announced and never started (its
    # WORKDIR came from the cache), then the image was made. Before: stage base 'running' for good.
    path = RECORDINGS / "current" / "seed-example-test-unstarted.jsonl"
    model = BuildModel(analyze(read_inputs(path)["dockerfile_text"], target="test"))
    for event in replay(path, None):
        model.apply(event)
    base = model.stage("base")
    steps = [(step.position, step.state) for step in base.steps]
    assert steps == [("1/3", "done"), ("2/3", "cached"), ("3/3", "cached")]
    assert {stage.name: stage.state for stage in model.stages} == {
        "base": "done", "build": "cached", "test": "cached", "final": "skipped"}
