"""The cache prediction and explanation against a previous build, without an engine: the Go demo's
Dockerfile and context in a temporary folder, changed one way at a time."""

import json
import shutil
from pathlib import Path

import pytest

from msb_tui.cache import record as records
from msb_tui.cache.explain import Cause, Prediction, explain
from msb_tui.cache.manifest import make_manifest
from msb_tui.cache.predict import predict
from msb_tui.cache.steps import covers

DEMO = Path(__file__).resolve().parents[2] / "demo_dockerfiles" / "go"
ARGS = {"SDK_IMAGE": "msb-demo/golang:1.19-bookworm"}
SDK_ID = "sha256:" + "1" * 64


def _record(context: Path, *, args=ARGS, started=1.0, no_cache=False, images=None, marked=(), previous=None):
    text = (context / "Dockerfile").read_text()
    return records.CacheRecord(
        dockerfile=str(context / "Dockerfile"), target=None, target_stage="final", engine="engine:test",
        dockerfile_text=text, build_args=records.kept_args(args, marked, previous),
        bases={"build": args.get("SDK_IMAGE", "golang:1.22")},
        images=images or {args.get("SDK_IMAGE", "golang:1.22"): SDK_ID}, no_cache=no_cache, started=started,
        recording=str(context.parent / f"build-{started}.jsonl"), outcome="succeeded")


@pytest.fixture
def demo(tmp_path):
    context = tmp_path / "go"
    shutil.copytree(DEMO, context)
    return context


def _forecast(context, before, **kwargs):
    """The forecast of a build of ``context`` now, against ``before`` (record, manifest)."""
    record = _record(context, started=2.0, previous=before[0], **kwargs)
    manifest = make_manifest(context)
    return predict(record, manifest, before[0], before[1])


def _first(context, **kwargs):
    return _record(context, **kwargs), make_manifest(context)


def _state(forecast):
    return {f.id: (str(forecast.predicted[f.id]), str(forecast.own[f.id][0]) if f.id in forecast.own else None)
            for f in forecast.steps}


def test_one_source_file_changed(demo):
    before = _first(demo)
    with open(demo / "cmd/server/main.go", "a") as handle:
        handle.write("// one more line\n")
    forecast = _forecast(demo, before)
    assert _state(forecast) == {
        "build:1": ("cached", None), "build:2": ("cached", None), "build:3": ("cached", None),
        "build:4": ("cached", None), "build:5": ("run", "files_changed"), "build:6": ("run", None),
        "final:1": ("content", None),
    }
    detail = forecast.own["build:5"][1]
    size = (demo / "cmd/server/main.go").stat().st_size
    assert detail["changes"] == [{"path": "cmd/server/main.go", "kind": "modified", "old_size": size - 17,
                                  "new_size": size}]
    # BuildKit ran 5, 6 and the final copy (the binary differs): every step agrees.
    explanation = explain(forecast, reported={"build:1": True, "build:2": False, "build:3": False,
                                              "build:4": False, "build:5": True, "build:6": True, "final:1": True})
    assert explanation.disagreements == []
    steps = {s.id: s for s in explanation.steps}
    assert steps["build:6"].cause == Cause.PARENT_RAN and steps["build:6"].cascade_from == "build:5"
    assert steps["final:1"].cause == Cause.PARENT_RAN and steps["final:1"].detail["via"] == "build"
    assert steps["final:1"].cascade_from == "build:5"
    assert steps["build:1"].ran is False  # FROM: the base image is the same
    assert steps["build:4"].cause == Cause.CACHED


def test_go_mod_changed(demo):
    before = _first(demo)
    with open(demo / "go.mod", "a") as handle:
        handle.write("// x\n")
    state = _state(_forecast(demo, before))
    assert state["build:3"] == ("run", "files_changed")
    assert state["build:4"] == ("run", None)  # go mod download: its parent ran
    assert state["build:5"] == ("run", "files_changed")


def test_arg_used_in_run_and_env(demo):
    dockerfile = demo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("RUN go build", "ARG VERSION=dev\nRUN go build"))
    before = _first(demo)
    forecast = _forecast(demo, before, args={**ARGS, "VERSION": "1.2"})
    assert _state(forecast)["build:5"] == ("cached", None)
    cause, detail = forecast.own["build:6"]
    assert cause == Cause.ARG_CHANGED and detail["name"] == "VERSION" and (detail["old"], detail["new"]) == ("dev", "1.2")
    # An ENV line changed: the RUN after it sees it, the COPY before it does not.
    dockerfile.write_text(dockerfile.read_text().replace("CGO_ENABLED=0", "CGO_ENABLED=1"))
    forecast = _forecast(demo, before)
    state = _state(forecast)
    assert state["build:3"] == ("cached", None)
    cause, detail = forecast.own["build:4"]
    assert cause == Cause.ARG_CHANGED and (detail["kind"], detail["name"], detail["old"], detail["new"]) == (
        "env", "CGO_ENABLED", "0", "1")
    # The Dockerfile is in the context (the demo's .dockerignore keeps it): COPY . . sees it changed.
    assert forecast.own["build:5"][1]["changes"][0]["path"] == "Dockerfile"


def test_dockerfile_line_edited(demo):
    before = _first(demo)
    dockerfile = demo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("-o /out/server", "-v -o /out/server"))
    forecast = _forecast(demo, before)
    cause, detail = forecast.own["build:6"]
    assert cause == Cause.LINE_CHANGED
    assert "-v -o" in detail["new"] and "-v" not in detail["old"] and detail["old_line"] == 12
    # The Dockerfile is in the context (the demo does not exclude it): COPY . . sees it changed.
    assert forecast.own["build:5"][1]["changes"][0]["path"] == "Dockerfile"
    assert _state(forecast)["build:4"] == ("cached", None)


def test_no_cache_and_no_previous(demo):
    before = _first(demo)
    forecast = _forecast(demo, before, no_cache=True)
    # --no-cache runs RUN, COPY and ADD; a WORKDIR still comes from the cache (BuildKit 0.25, measured).
    assert _state(forecast) == {"build:1": ("cached", None), "build:2": ("cached", None)} | {
        id_: ("run", "no_cache") for id_ in ("build:3", "build:4", "build:5", "build:6", "final:1")}
    # A step after one run only by --no-cache is judged as usual (its cache key did not change).
    explanation = explain(forecast, reported={"build:2": False, "build:3": True, "build:4": True})
    assert explanation.step("build:4").cause == Cause.NO_CACHE and explanation.disagreements == []
    nothing = predict(_record(demo), make_manifest(demo))
    assert {state for state, _ in _state(nothing).values()} == {"unknown"}
    explanation = explain(nothing, reported={"build:5": True, "build:6": False})
    assert explanation.step("build:5").cause == Cause.NO_PREVIOUS and explanation.disagreements == []


def test_base_image_changed(demo):
    before = _first(demo)
    forecast = _forecast(demo, before, images={ARGS["SDK_IMAGE"]: "sha256:" + "2" * 64})
    cause, detail = forecast.own["build:1"]
    assert cause == Cause.BASE_CHANGED and detail["old"] == SDK_ID and detail["new"].startswith("sha256:2")
    explanation = explain(forecast, reported={f"build:{n}": True for n in range(1, 7)} | {"final:1": True})
    assert explanation.step("build:2").cascade_from == "build:1"
    assert explanation.disagreements == []


def test_disagreements_and_not_on_engine(demo):
    before = _first(demo)
    forecast = _forecast(demo, before)  # nothing changed: everything cached
    assert {state for state, _ in _state(forecast).values()} == {"cached"}
    explanation = explain(forecast, reported={"build:1": True, "build:2": False, "build:3": False,
                                              "build:4": True, "build:5": True, "build:6": True, "final:1": False})
    assert explanation.step("build:4").cause == Cause.NOT_ON_ENGINE
    assert explanation.step("build:5").cause == Cause.PARENT_RAN
    assert explanation.step("build:5").cascade_from == "build:4"
    assert [d.step for d in explanation.disagreements] == ["build:4", "build:5", "build:6"]
    # Predicted to run, taken from the cache: flagged too.
    with open(demo / "go.mod", "a") as handle:
        handle.write("// y\n")
    forecast = _forecast(demo, before)
    explanation = explain(forecast, reported={f"build:{n}": False for n in range(2, 7)} | {"final:1": False})
    assert [d.step for d in explanation.disagreements] == ["build:3", "build:4", "build:5", "build:6"]
    assert explanation.disagreements[0].reported == "cached"


def test_secret_args_are_kept_hashed_and_changes_seen(demo):
    dockerfile = demo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("RUN go build", "ARG NPM_TOKEN\nRUN go build"))
    before = _first(demo, args={**ARGS, "NPM_TOKEN": "hunter2-old"})
    assert "hunter2" not in json.dumps(before[0].to_json())
    same = _forecast(demo, before, args={**ARGS, "NPM_TOKEN": "hunter2-old"})
    assert _state(same)["build:6"] == ("cached", None)
    changed = _forecast(demo, before, args={**ARGS, "NPM_TOKEN": "hunter2-new"})
    cause, detail = changed.own["build:6"]
    assert cause == Cause.ARG_CHANGED and detail["name"] == "NPM_TOKEN" and detail["old"] == detail["new"] == "****"
    assert "hunter2" not in json.dumps(explain(changed).to_json())


@pytest.mark.parametrize("source, path, covered", [
    (".", "a/b.go", True), ("./", "x", True), ("go.mod", "go.mod", True), ("./go.mod", "go.mod", True),
    ("go.mod", "go.sum", False), ("cmd", "cmd/server/main.go", True), ("cmd/", "cmd/server/main.go", True),
    ("*.go", "main.go", True), ("*.go", "cmd/main.go", False), ("cmd/*/main.go", "cmd/server/main.go", True),
    ("go.*", "go.sum", True), ("[a-c]*", "cmd/x", True), ("/src", "src/a", True), ("src", "srcs/a", False),
])
def test_covers(source, path, covered):
    assert covers(source, path) is covered


def test_find_previous_newest_succeeded_same_build(tmp_path, demo):
    folder = tmp_path / "recordings"
    folder.mkdir()
    for started, outcome, target in [(1.0, "succeeded", "final"), (2.0, "succeeded", "final"),
                                     (3.0, "failed", "final"), (4.0, "succeeded", "test"), (9.0, "succeeded", "final")]:
        rec = _record(demo, started=started)
        rec.outcome, rec.target_stage, rec.recording = outcome, target, str(folder / f"{started}.jsonl")
        records.save(rec)
        assert (folder / f"{started}.cache.json").stat().st_mode & 0o777 == 0o600
    now = _record(demo, started=5.0)
    assert records.find_previous(now, folder).started == 2.0


def test_text_and_explain_command(tmp_path, demo, monkeypatch, capsys):
    """What msb-tui build prints at its end, and msb-tui explain on the kept record."""
    from msb_tui.cache.explain import explanation_text
    from msb_tui.cli import main

    before = _first(demo)
    with open(demo / "cmd/server/main.go", "a") as handle:
        handle.write("// one more line\n")
    forecast = _forecast(demo, before)
    explanation = explain(forecast, reported={"build:1": True, "build:2": False, "build:3": False, "build:4": False,
                                              "build:5": True, "build:6": True, "final:1": True},
                          seconds={"build:6": 42.5})
    text = explanation_text(explanation)
    assert "3 of 6 steps ran, 3 came from the cache" in text
    assert "[build 5/6] COPY . . (line 11) ran: 1 file under . changed: cmd/server/main.go modified" in text
    assert "[build 6/6] RUN go build" in text and "ran 42.5s: the step it is built on ran, a cascade that " \
        "started at [build 5/6] COPY . ." in text
    assert "agreed on every step" in text
    # A file name is untrusted text: its control sequences never reach the terminal.
    (demo / "evil\x1b[2J.go").write_text("x")
    noisy = explain(_forecast(demo, before), reported={"build:5": True})
    assert "evil.go added" in explanation_text(noisy) and "\x1b" not in explanation_text(noisy)
    (demo / "evil\x1b[2J.go").unlink()
    # Kept next to a recording, explain reads it back (latest = the newest recording with a record).
    folder = tmp_path / "state" / "recordings"
    folder.mkdir(parents=True)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    recording = folder / "20260101T000000-go-1-1.jsonl"
    recording.write_text('{"kind": "msb-tui-recording", "version": 1, "inputs": {}}\n')
    record = forecast.record
    record.recording, record.explanation = str(recording), explanation.to_json()
    records.save(record)
    assert main(["explain"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"build: {recording}\n") and "cmd/server/main.go modified" in shown
    assert main(["explain", str(recording), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"][4]["cause"] == "files_changed"
    assert main(["explain", str(tmp_path / "nothing.jsonl")]) == 1
    other = folder / "old.jsonl"
    other.write_text("x")
    assert main(["explain", str(other)]) == 1
    assert "recorded without its cache inputs" in capsys.readouterr().err


def test_lines_inserted_removed_and_reordered(demo):
    dockerfile = demo / "Dockerfile"
    original = dockerfile.read_text()
    before = _first(demo)

    def forecast_for(text):
        dockerfile.write_text(text)
        return _forecast(demo, before)

    inserted = forecast_for(original.replace("COPY go.mod ./\n", "RUN echo hi\nCOPY go.mod ./\n"))
    assert inserted.own["build:3"] == (Cause.LINE_CHANGED, {"old": None, "new": "RUN echo hi", "old_line": None})
    assert "build:4" not in inserted.own and inserted.predicted["build:4"] == Prediction.RUN  # the cascade
    removed = forecast_for(original.replace("RUN go mod download\n", ""))
    cause, detail = removed.own["build:4"]  # COPY . . now follows COPY go.mod: its chain changed
    assert cause == Cause.LINE_CHANGED and (detail["removed"], detail["removed_line"]) == ("RUN go mod download", 10)
    assert removed.predicted["build:3"] == Prediction.CACHED and removed.predicted["build:5"] == Prediction.RUN
    swapped = forecast_for(original.replace("ENV CGO_ENABLED=0\n", "").replace(
        "WORKDIR /src\n", "ENV CGO_ENABLED=0\n").replace("COPY go.mod ./\n", "COPY go.mod ./\nWORKDIR /src\n"))
    assert swapped.own["build:2"][0] == Cause.LINE_CHANGED and swapped.own["build:2"][1]["moved"]
    edited = forecast_for(original.replace("go mod download", "go mod download -x"))
    assert edited.own["build:4"][1]["old"] == "RUN go mod download"
    assert [id_ for id_, p in edited.predicted.items() if p == Prediction.CACHED] == ["build:1", "build:2", "build:3"]


def test_copy_link_is_not_judged_by_the_steps_below_it(demo):
    dockerfile = demo / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("COPY . .", "COPY --link . ."))
    before = _first(demo)
    with open(demo / "go.mod", "a") as handle:
        handle.write("// z\n")
    forecast = _forecast(demo, before)
    assert forecast.own["build:5"][0] == Cause.FILES_CHANGED  # its own files changed: it runs
    assert forecast.predicted["build:5"] == Prediction.RUN
    before = _first(demo)
    forecast = _forecast(demo, before, images={ARGS["SDK_IMAGE"]: "sha256:" + "3" * 64})  # a new base image
    assert forecast.predicted["build:4"] == Prediction.RUN
    assert forecast.predicted["build:5"] == Prediction.CONTENT  # only the steps below it changed
    assert forecast.predicted["build:6"] == Prediction.RUN


def test_target_stage_built_on_another_stage(demo):
    """--target test: the test stage starts FROM build, so it runs when build's last step runs."""
    def record(started, previous=None):
        rec = _record(demo, started=started, previous=previous)
        rec.target, rec.target_stage = "test", "test"
        return rec

    before = record(1.0), make_manifest(demo)
    with open(demo / "cmd/server/main.go", "a") as handle:
        handle.write("// two\n")
    forecast = predict(record(2.0), make_manifest(demo), *before)
    assert [f.id for f in forecast.steps] == [f"build:{n}" for n in range(1, 7)] + ["test:1"]
    assert forecast.predicted["test:1"] == Prediction.RUN
    explanation = explain(forecast, reported={f"build:{n}": n >= 5 for n in range(1, 7)} | {"test:1": True})
    assert explanation.step("test:1").cascade_from == "build:5" and explanation.disagreements == []


def test_mismatches_are_said_as_steps_end(demo):
    from msb_tui.builds.changes import StepChanged
    from msb_tui.builds.runs import State, StepRun
    from msb_tui.cache.check import CacheCheck

    before = _first(demo)
    forecast = _forecast(demo, before)  # nothing changed: every step predicted from the cache
    check = CacheCheck(forecast.record, None, forecast)

    def ended(position, state):
        return StepChanged(StepRun("sha256:x", "n", stage="build", position=position, state=state))

    assert check.mismatches([ended("1/6", State.DONE), ended("4/6", State.RUNNING), ended("3/6", State.CACHED)]) == []
    assert check.mismatches([ended("4/6", State.DONE)]) == [
        "[build 4/6] was predicted to come from the cache, but BuildKit ran it"]
    assert check.mismatches([ended("4/6", State.DONE)]) == []  # said once
