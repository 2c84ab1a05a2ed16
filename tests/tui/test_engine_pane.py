"""The build view shows what current BuildKit adds around the stages: the engine's own steps in
their pane (context, metadata, export with its attestations), the timeline's engine rows, build
checks no stage holds, and which engine a recorded build ran on. Fed by recordings of real builds."""

from __future__ import annotations

from pathlib import Path

from test_build_screen import BuildApp, _export_text, analysis_of, wait_for

from msb_tui.backends.base import EventListSource
from msb_tui.backends.bundle import BundleSource
from msb_tui.backends.replay import ReplaySource
from msb_tui.builds.events import BuildWarning, ImageBuilt, VertexUpdate
from msb_tui.engine.info import EngineInfo
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.widgets.build_header import BuildHeader
from msb_tui.tui.widgets.engine_pane import ENGINE_PANE, EnginePane
from msb_tui.tui.widgets.log_view import LogView
from msb_tui.tui.widgets.timeline import Timeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORDINGS = FIXTURES / "recordings"


def _replay_app(name: str) -> BuildApp:
    path = RECORDINGS / name
    analysis, text = analysis_of(path)
    return BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title=name))


async def test_engine_pane_shows_the_export_and_its_attestation_for_the_final_image():
    app = _replay_app("containerd/go-provenance.jsonl")
    async with app.run_test(size=(120, 44)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        pane = app.screen.query_one(EnginePane)
        assert pane.data.name == ENGINE_PANE and pane.data.state == "done"
        rows = [(row.position.strip(), row.text) for row in pane.data.steps]
        assert rows[:4] == [("context", "load build definition from Dockerfile"), ("context", "load .dockerignore"),
                            ("context", "load build context"),
                            ("metadata", "docker.io/msb-demo/golang:1.19-bookworm → build")]
        assert ("", "↳ attestation manifest sha256:94b43a03756b… for the final image (stage final, dba4ff0c146f)") in rows
        assert rows[-1] == ("export", "resolving provenance for metadata file for the final image (stage final, dba4ff0c146f)")
        screen_text = _export_text(app)
        assert "attestation manifest sha256:94b43a03756b… for the final image" in screen_text  # a full-width pane
        labels = [row.label for row in app.screen.query_one(Timeline).data.rows]
        assert labels == ["[context]", "build", "test", "final", "[export]"]
        # Which engine the recording was made on.
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: header.data.engine)
        assert header.data.engine == ("recorded on Docker 28.5.2+dfsg4 · BuildKit 0.25 · containerd store"
                                      " at unix:///run/msb-tui/containerd/docker.sock")
        assert "recorded on Docker 28.5.2+dfsg4 · BuildKit 0.25" in header.render().plain


async def test_enter_on_an_engine_step_opens_its_log():
    app = _replay_app("containerd/go-provenance.jsonl")
    async with app.run_test(size=(120, 44)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        pane = app.screen.query_one(EnginePane)
        pane.focus()
        await pilot.press("down", "down", "enter")  # load build context
        log_view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: log_view.display)
        column = app.screen.columns[0]
        assert log_view.owner is column and log_view.digest == pane.selected_digest
        assert column.model.steps[log_view.digest].name == "[internal] load build context"


async def test_build_checks_no_stage_holds_are_in_the_engine_pane():
    events = [VertexUpdate("sha256:ctx", "[internal] load remote build context", started=1.0, completed=1.1),
              BuildWarning("sha256:ctx", "InvalidDefinitionDescription: a comment of the build as a whole", 1),
              VertexUpdate("sha256:s", "[only 1/1] RUN make", started=1.1, completed=2.0),
              BuildWarning("sha256:s", "JSONArgsRecommended: JSON arguments recommended for CMD (line 1)", 1, line=1),
              ImageBuilt("sha256:1")]
    app = BuildApp(lambda: BuildScreen(None, lambda: EventListSource(events), title="checks"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        pane = app.screen.query_one(EnginePane)
        assert pane.data.warnings == ("InvalidDefinitionDescription: a comment of the build as a whole",)
        assert "⚠ InvalidDefinitionDescription" in pane.render().plain
        only = next(p for p in app.screen.columns[0].panes.values() if p.data.name == "only")
        assert only.data.warnings == ("line 1: JSONArgsRecommended: JSON arguments recommended for CMD",)


async def test_a_bundle_says_the_engine_its_trace_names():
    app = BuildApp(lambda: BuildScreen(None, lambda: BundleSource(FIXTURES / "buildx" / "target-a.dockerbuild"),
                                       title="bundle"))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: header.data.engine)
        assert header.data.engine == "recorded on API 1.51 at unix:///run/msb-tui/current/docker.sock"


def test_engine_headlines():
    info = EngineInfo(version="28.5.2", buildkit_version="0.25", image_store="classic", host="unix:///x.sock")
    assert info.headline() == "on Docker 28.5.2 · BuildKit 0.25 · classic store at unix:///x.sock"
    assert info.headline(recorded=True) == "recorded on Docker 28.5.2 · BuildKit 0.25 · classic store at unix:///x.sock"
    assert EngineInfo(buildkit_version="0.29").headline() == "on BuildKit 0.29"
    assert EngineInfo().headline(recorded=True) == "recorded on an engine"


def test_replays_know_their_engine_also_from_older_headers():
    source = ReplaySource(RECORDINGS / "current" / "go.jsonl")
    assert source.recorded and source.engine_info().summary() == "Docker 28.5.2+dfsg4 · BuildKit 0.25 · classic store"
    # Recorded on Docker 20.10 before the header kept the BuildKit version: it follows from the release.
    assert ReplaySource(RECORDINGS / "go.jsonl").engine_info().summary() == "Docker 20.10.24+dfsg1 · BuildKit 0.8"


def test_timeline_starts_with_the_build_not_with_a_shared_vertexs_older_times():
    from msb_tui.builds.model import BuildModel
    from msb_tui.tui.widgets.timeline import timeline_data

    model = BuildModel()
    model.apply(VertexUpdate("sha256:ctx", "[internal] load remote build context", started=1000.0))
    # Cached vertexes shared with a solve 40 s earlier carry its times (seen on 28.5.2).
    model.apply(VertexUpdate("sha256:from", "[b 1/2] FROM docker.io/x", started=960.0, completed=960.1, cached=True))
    model.apply(VertexUpdate("sha256:run", "[b 2/2] RUN make", started=1000.5))
    data = timeline_data(model)
    assert data.start == 1000.0
    assert min(span.start for row in data.rows for span in row.spans) == 1000.0


def test_engine_pane_waits_for_the_export_while_the_build_runs():
    from msb_tui.builds.model import BuildModel
    from msb_tui.tui.widgets.engine_pane import engine_pane_data

    model = BuildModel()
    model.apply(VertexUpdate("sha256:ctx", "[internal] load remote build context", started=1.0, completed=1.1))
    model.apply(VertexUpdate("sha256:run", "[b 1/1] RUN make", started=1.1))
    assert engine_pane_data(model).state == "planned"
    model.apply(VertexUpdate("sha256:run", "[b 1/1] RUN make", started=1.1, completed=2.0))
    model.apply(VertexUpdate("sha256:exp", "exporting to image", started=2.0))
    assert engine_pane_data(model).state == "running"
    model.apply(VertexUpdate("sha256:exp", "exporting to image", started=2.0, completed=2.5))
    model.apply(ImageBuilt("sha256:1"))
    assert engine_pane_data(model).state == "done"


async def test_enter_on_a_build_check_shows_it_on_its_dockerfile_line():
    app = _replay_app("containerd/engine-steps.jsonl")
    async with app.run_test(size=(120, 44)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        column = app.screen.columns[0]
        pane = column.panes["build"]
        assert pane.data.warning_lines == (4,)
        pane.focus()
        await pilot.press("down", "down", "down")  # past the three steps: the check
        assert pane.selected_digest is None and "⚠ line 4: FromAsCasing" in pane.render().plain
        await pilot.press("enter")
        log_view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: log_view.display)
        assert log_view.owner is column and log_view.digest == "check:4"
        lines = log_view.log_lines.lines
        assert ">    4 | FROM ${BASE_IMAGE} as build" in lines
        assert lines[0] == "     1 | # What current BuildKit adds around a build: build checks (FromAsCasing on line 4,"


def test_check_excerpt_without_a_line_or_a_dockerfile():
    from msb_tui.tui.build_column import check_excerpt

    assert check_excerpt("FROM a\n", None) == ["(the check names no Dockerfile line)"]
    assert check_excerpt(None, 3) == ["(the Dockerfile is not known)"]
    assert check_excerpt("a\nb\nc\n", 1, around=1) == [">    1 | a", "     2 | b"]
