"""Issue 14: defects a new user hit in the app, each reproduced through Pilot on recordings of real builds."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import Static

from msb_tui.analysis import analyze
from msb_tui.builds.events import BuildCancelled
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.backends.base import EventListSource
from msb_tui.backends.replay import ReplaySource
from msb_tui.tui.widgets.build_header import BuildHeader
from msb_tui.tui.widgets.stage_pane import StagePane
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.screens.layers import LayersScreen, layer_instruction
from msb_tui.tui.widgets.stage_graph import StageGraph

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demo_dockerfiles"
RECORDINGS = ROOT / "tests" / "fixtures" / "recordings"

from tests.tui.test_build_screen import BuildApp, analysis_of, wait_for  # noqa: E402 - the bare host app and its poll


async def test_the_home_graph_comes_back_after_a_build_screen():
    """Item 1: the build screen's stylesheet hid every widget with id ``graph``, the home graph too."""
    app = MsbApp(LaunchOptions(path=DEMOS / "seed-example"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        home = app.screen
        assert isinstance(home, GraphScreen)
        app.open_replay(RECORDINGS / "seed-example.jsonl", None)
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is home
        graph = home.query_one(StageGraph)
        assert graph.display and graph.region.width > 80, graph.region
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert graph.display and graph.region.width > 40, graph.region


class CancelledLikeTheEngine(EventListSource):
    """A recorded build held open until ``c``, then ended as the runner ends it (a stamped BuildCancelled)."""

    def __init__(self, events, cancelled):
        super().__init__(events, hold_open=True)
        self.cancelled_event = cancelled

    def __iter__(self):
        for event in super().__iter__():
            yield self.cancelled_event if isinstance(event, BuildCancelled) else event


async def test_cancel_mid_step_keeps_the_stage_time_and_clears_cancelling():
    """Item 3: after ``c`` 11 s into ``go build`` the pane said "cancelled 0.5s" and the header kept "cancelling…"."""
    path = RECORDINGS / "go-cancelled.jsonl"
    events = list(replay(path, None))
    assert isinstance(events[-1], BuildCancelled) and events[-1].timestamp
    inputs = read_inputs(path)
    analysis = analyze(inputs["dockerfile_text"], build_args=inputs["build_args"])
    app = BuildApp(lambda: BuildScreen(analysis, lambda: CancelledLikeTheEngine(events[:-1], events[-1]), title="go"))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.columns[0].model.stage("build").state == "running")
        await pilot.press("c")
        await wait_for(pilot, lambda: "BuildStopped" in app.kinds())
        await app.workers.wait_for_complete()
        await pilot.pause()
        header = screen.query_one(BuildHeader)
        assert header.data.status == "cancelled" and "cancelling" not in header.data.note
        build = next(p for p in screen.query(StagePane) if p.data.name == "build")
        subtitle = str(build.border_subtitle)
        seconds = float(subtitle.split()[-1].rstrip("s"))
        assert subtitle.startswith("cancelled") and seconds > 10, subtitle


def build_go_stage(docker_api, offline_images, tag: str):
    """Build demo_dockerfiles/go's ``build`` stage as ``tag`` with msb-tui (recorded in the state folder)."""
    from msb_tui.builds.model import BuildModel
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    request = BuildInputs(DEMOS / "go", target="build", build_args=dict(offline_images), tags=(tag,))
    model = BuildModel()
    for event in open_backend("engine", client=docker_api).start(request):
        model.apply(event)
    assert model.status == "succeeded", model.error
    return model


@pytest.mark.engine
async def test_layers_of_a_stage_image_are_tied_to_that_stage(docker_api, offline_images, tmp_path, monkeypatch):
    """Item 4: palette "Layers of image…" on the Go demo's build-stage image tied its 36 B ``COPY go.mod ./``
    layer to "final, line 18"; the recording of the build that made the image says which stage it is."""
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path))
    tag = f"msb-test-tui/go-build:layers-{uuid.uuid4().hex[:12]}"  # unique: worktrees share engines
    build_go_stage(docker_api, offline_images, tag)
    try:
        app = MsbApp(LaunchOptions(path=DEMOS / "go", offline_demo_args=True), client_factory=lambda: docker_api)
        async with app.run_test(size=(160, 40)) as pilot:
            app.open_layers(tag)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LayersScreen)
            await wait_for(pilot, lambda: screen.report is not None, timeout=180)
            ties = {layer_instruction(e)[0]: layer_instruction(e)[1:] for e in screen.report.layers.entries}
            assert ties["COPY go.mod ./"] == ("build", "9"), ties
            assert "final" not in {stage for stage, _ in ties.values()}
            assert "stage build, from the recorded build" in str(screen.query_one("#layers-title", Static).render())
    finally:
        docker_api.remove_image(tag)


@pytest.mark.engine
async def test_layers_of_an_image_without_a_recording_say_the_tie_is_unknown(docker_api, offline_images, tmp_path,
                                                                              monkeypatch):
    """Item 4: with no record of the build that made an image, its layers are not tied to the app's target."""
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path))
    tag = f"msb-test-tui/go-build:unrecorded-{uuid.uuid4().hex[:12]}"
    build_go_stage(docker_api, offline_images, tag)
    for recording in (tmp_path / "recordings").glob("*.jsonl"):
        recording.unlink()
    try:
        app = MsbApp(LaunchOptions(path=DEMOS / "go", offline_demo_args=True), client_factory=lambda: docker_api)
        async with app.run_test(size=(160, 40)) as pilot:
            app.open_layers(tag)
            await pilot.pause()
            screen = app.screen
            await wait_for(pilot, lambda: screen.report is not None, timeout=180)
            assert {e.source.kind for e in screen.report.layers.entries} == {"unknown"}
            assert "lines: unknown" in str(screen.query_one("#layers-title", Static).render())
    finally:
        docker_api.remove_image(tag)


async def test_layers_of_a_missing_image_say_so_without_http(docker_api, tmp_path):
    """Item 12: a missing image showed "404 Client Error for http+docker://localhost/…"."""
    app = MsbApp(LaunchOptions(path=DEMOS / "go"), client_factory=lambda: docker_api)
    async with app.run_test(size=(120, 30)) as pilot:
        app.open_layers("msb-ui-test/no-such-image:1")
        await pilot.pause()
        title = app.screen.query_one("#layers-title", Static)
        await wait_for(pilot, lambda: "on this engine" in str(title.render()) or "Error" in str(title.render()), 30)
        text = str(title.render())
        assert "no image named msb-ui-test/no-such-image:1 on this engine" in text and "http" not in text, text


async def test_j_and_k_move_the_selection_and_v_builds_side_by_side():
    """Item 9: ``k`` started a second (classic vs BuildKit) build while ``j`` did nothing."""
    app = MsbApp(LaunchOptions(path=DEMOS / "parallel"))
    started = []
    app.action_compare_builders = lambda: started.append("versus")  # no engine needed to see the key's effect
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        graph = app.screen.query_one(StageGraph)
        first = graph.selected
        await pilot.press("k")
        await pilot.pause()
        above = graph.selected
        assert above != first and not started
        await pilot.press("j")
        await pilot.pause()
        assert graph.selected == first
        await pilot.press("v")
        await pilot.pause()
        assert started == ["versus"]


async def test_q_during_a_build_asks_before_quitting():
    """Item 9: ``q`` on the build screen quit the whole app mid-build without asking."""
    from msb_tui.tui.screens.pickers import ConfirmScreen

    path = RECORDINGS / "go-cancelled.jsonl"
    events = list(replay(path, None))[:-1]
    app = MsbApp(LaunchOptions(path=DEMOS / "go"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        source = EventListSource(events, hold_open=True)
        app.push_screen(BuildScreen(app.analysis, lambda: source, title="go"))
        await pilot.pause()
        screen = app.screen
        await wait_for(pilot, lambda: screen.building and screen.columns[0].model.status == "running")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.is_running
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and screen.building
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert source._cancelled.is_set()  # quitting stopped the build


async def test_an_unknown_target_says_so_and_lists_the_stages():
    """Item 7: ``--target nope`` then ``b`` said "the Dockerfile has errors (line None)"."""
    app = MsbApp(LaunchOptions(path=DEMOS / "go", target="nope"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert said and all("line None" not in text for text in said), said
        assert "no stage named nope in Dockerfile: press t to pick one of build, test, final" in said[-1], said
        assert isinstance(app.screen, GraphScreen)  # nothing was sent to an engine


async def test_a_missing_stage_failure_shows_the_line_and_the_lint_hint():
    """Item 6: a ``COPY --from=bulid`` build showed only the registry DNS error for ``bulid:latest``.
    ``missing-stage.jsonl``: demo_dockerfiles/broken/Dockerfile.missing-stage built on the 20.10 engine."""
    from msb_tui.tui.widgets.failure_panel import FailurePanel

    app = MsbApp(LaunchOptions(path=DEMOS / "broken", dockerfile=DEMOS / "broken" / "Dockerfile.missing-stage"))
    async with app.run_test(size=(140, 40)) as pilot:
        app.open_replay(RECORDINGS / "missing-stage.jsonl", None)
        await pilot.pause()
        panel = app.screen.query_one(FailurePanel)
        await wait_for(pilot, lambda: panel.data is not None and panel.data.findings)
        shown = panel.render().plain
        assert "no such host" in shown  # the engine's error stays
        assert "lint, line 9: --from=bulid names no stage" in shown and "did you mean `build`?" in shown, shown
        assert "▶ 9 │ COPY --from=bulid /out/app /app" in shown, shown


async def test_no_cache_is_a_toggle_and_troubleshoot_reuses_the_cache(monkeypatch):
    """Item 8: after ``--no-cache`` troubleshoot (and stage sizes) rebuilt everything; no in-app toggle."""
    from types import SimpleNamespace

    requests = []

    class RecordingBackend:
        """Takes the build inputs the app sends and holds each build open (no engine needed)."""

        def engine(self):
            return SimpleNamespace(version="20.10.24")

        def start(self, inputs=None):
            requests.append(inputs)
            return EventListSource([], hold_open=True)

    monkeypatch.setattr(MsbApp, "backend", lambda self, name=None, record=True: RecordingBackend())
    app = MsbApp(LaunchOptions(path=DEMOS / "go", no_cache=True))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        title = app.screen.query_one("#graph-title", Static)
        assert "--no-cache" in str(title.render())
        await pilot.press("x")  # troubleshoot the selected stage, then b builds it
        await pilot.pause()
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen))
        assert requests[-1].no_cache is False
        assert "reusing the build cache" in str(app.screen_stack[-2].query_one("#trouble-body", Static).render())
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen))
        assert requests[-1].no_cache is True  # the target's build follows --no-cache
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert "--no-cache" not in str(title.render())
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen))
        assert requests[-1].no_cache is False
        assert app.build_inputs("build", tags=(), no_cache=False).no_cache is False
        await pilot.press("escape")


class ShellLessEngine:
    """An engine answering for a FROM-scratch image: its config, and no shell starts in it."""

    def inspect_image(self, image):
        return {"Config": {"Env": ["PATH=/usr/local/bin", "CGO_ENABLED=0"], "WorkingDir": "/src",
                           "Entrypoint": ["/server"]}}

    def create_container(self, *args, **kwargs):
        raise RuntimeError('exec: "/bin/sh": stat /bin/sh: no such file or directory')


async def test_troubleshoot_shows_what_it_promises_and_no_entrypoint_none():
    """Item 12: the troubleshoot screen promised files, environment and what the next stage COPYs but
    showed none of them, and printed ``--entrypoint none`` for a stage without a shell."""
    from types import SimpleNamespace

    from msb_tui.tui.screens.troubleshoot import TroubleshootScreen

    app = MsbApp(LaunchOptions(path=DEMOS / "go"), client_factory=ShellLessEngine)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = TroubleshootScreen("build")
        app.push_screen(screen)
        await pilot.pause()
        body = screen.query_one("#trouble-body", Static)
        assert "line 18 COPY --from=build /out/server /server  (final)" in str(body.render())
        screen.built(SimpleNamespace(status="succeeded", image_id="sha256:" + "ab" * 32, error=None))
        await wait_for(pilot, lambda: screen.shell == "none")
        shown = str(body.render())
        assert "CGO_ENABLED=0" in shown and "working folder: /src" in shown and "entrypoint: /server" in shown
        assert "--entrypoint none" not in shown and "this image has no shell" in shown, shown


async def test_cancel_leaves_the_footer_when_the_build_ends():
    """Item 12: "c Cancel" stayed in the footer after a build ended."""
    from textual.widgets import Footer

    path = RECORDINGS / "seed-example.jsonl"
    analysis, _ = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="seed"))

    def footer_keys() -> str:
        return " ".join(str(item.render()) for item in app.screen.query_one(Footer).query("FooterKey"))

    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Cancel" not in footer_keys() and "Rebuild" in footer_keys(), footer_keys()


async def test_stage_sizes_table_has_the_focus_so_enter_works():
    """Item 12: in Stage sizes, enter did nothing until Tab focused the table."""

    def no_engine():
        raise RuntimeError("no engine in this test")

    app = MsbApp(LaunchOptions(path=DEMOS / "go"), client_factory=no_engine)
    async with app.run_test(size=(140, 40)) as pilot:
        app.open_layers("msb-ui-test/any:1")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "size-table", app.focused


@pytest.mark.engine
async def test_compare_two_images_in_the_app(docker_api, offline_images):
    """Item 12: comparing two images existed only in the CLI."""
    from msb_tui.tui.screens.compare import CompareScreen

    app = MsbApp(LaunchOptions(path=DEMOS / "go"), client_factory=lambda: docker_api)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.action_compare_images()
        await pilot.pause()
        await pilot.press(*offline_images["BASE_IMAGE"], "enter")
        await pilot.pause()
        await pilot.press(*"msb-demo/busybox:1.35", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_for(pilot, lambda: screen.comparison is not None, timeout=60)
        shown = str(screen.query_one("#compare-text", Static).render())
        assert "Shared layers (same diff id): 1" in shown and "same size" in shown, shown


async def test_screenshot_without_a_downloads_folder_goes_to_the_current_folder(tmp_path, monkeypatch):
    """Item 10: the palette's Screenshot said only "Failed to save screenshot" without ~/Downloads."""
    home, here = tmp_path / "home", tmp_path / "here"
    home.mkdir()
    here.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    app = MsbApp(LaunchOptions(path=DEMOS / "go"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.deliver_screenshot()
        await wait_for(pilot, lambda: list(here.glob("*.svg")) and app._notifications)
        saved = list(here.glob("*.svg"))
        said = " ".join(str(n.message) for n in app._notifications)
        assert len(saved) == 1 and str(saved[0]) in said, said


def footer_overflow(app) -> list[str]:
    """The footer keys of the current screen that do not fit left of the palette key (cut or hidden)."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    footer = app.screen.query_one(Footer)
    keys = list(footer.query(FooterKey))
    palette = [key for key in keys if key.has_class("-command-palette")]
    limit = palette[0].region.x if palette else footer.region.right
    return [f"{key.key_display or key.key} {key.description}" for key in keys
            if key not in palette and key.region.right > limit]


async def test_footer_and_title_fit_80x24(tmp_path, monkeypatch):
    """Item 10: at 80 columns the footer was cut to "q Qui" and the title to the Dockerfile's path."""
    from msb_tui.tui.screens.compare import CompareScreen
    from msb_tui.tui.screens.history import HistoryScreen
    from msb_tui.tui.screens.troubleshoot import TroubleshootScreen

    monkeypatch.chdir(ROOT)

    def no_engine():
        raise RuntimeError("no engine in this test")

    app = MsbApp(LaunchOptions(path=DEMOS / "go", offline_demo_args=True), client_factory=no_engine)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert footer_overflow(app) == []
        title = app.screen.query_one("#graph-title", Static)
        shown = title.render().plain if hasattr(title.render(), "plain") else str(title.render())
        assert "demo_dockerfiles/go/  target final  2/3 stages, 2 waves" in shown[:80], shown
        source = EventListSource([], hold_open=True)
        screens = [("build", lambda: BuildScreen(app.analysis, lambda: source, title="build final")),
                   ("layers", lambda: LayersScreen("msb-ui-test/any:1")), ("history", HistoryScreen),
                   ("troubleshoot", lambda: TroubleshootScreen("build")), ("compare", lambda: CompareScreen("a", "b"))]
        for name, factory in screens:
            app.push_screen(factory())
            await pilot.pause()
            await pilot.pause()
            assert footer_overflow(app) == [], name
            app.pop_screen()
            await pilot.pause()
        source.cancel()


async def test_the_side_panel_numbers_and_explains_waves_as_the_cli():
    """Item 11: "wave" was not explained in the app (and counted differently from the CLI)."""
    from msb_tui.tui.screens.graph import plan_reason

    app = MsbApp(LaunchOptions(path=DEMOS / "parallel"))
    stages = {stage.name: stage for stage in app.analysis.stages}
    assert "wave 1 of 2 (runs side by side with its wave)" in plan_reason(app.analysis, stages["backend"])
    async with app.run_test(size=(160, 48)) as pilot:
        graph = app.screen.query_one(StageGraph)
        await wait_for(pilot, lambda: graph._legend)
        legend = " ".join(text for row in graph._legend for text, _ in row)
        assert "wave N  stages that can run side by side" in legend, legend


BIG = ROOT / "tests" / "corpus" / "hostile-fan-500-skipped-stages.Dockerfile"  # 501 stages, 500 skipped


async def test_a_big_graph_opens_on_the_target_and_can_hide_skipped_stages():
    """Item 13: the view opened on skipped stages with the target off-screen; no "hide skipped"."""
    app = MsbApp(LaunchOptions(path=BIG))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        graph = app.screen.query_one(StageGraph)
        await wait_for(pilot, lambda: graph.layout_result is not None and graph.selected is not None)
        target = graph.layout_result.placed[graph.selected]
        assert target.node.target
        await pilot.pause()
        visible = graph.scrollable_content_region.size
        x, y = graph.scroll_offset
        assert x <= target.x and target.x + target.width <= x + visible.width + 1, (graph.scroll_offset, target)
        assert y <= target.y and target.y + target.height <= y + visible.height, (graph.scroll_offset, target)
        assert len(graph.layout_result.placed) == 501
        await pilot.press("S")
        await pilot.pause()
        assert [p.node.title for p in graph.layout_result.placed.values()] == ["stage-500"]
        await pilot.press("S")
        await pilot.pause()
        assert len(graph.layout_result.placed) == 501
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert graph.selected == target.node.key


async def test_slash_finds_stages_and_the_target_picker_filters():
    """Item 13: no search in the graph; the target picker could not filter by typing."""
    from msb_tui.tui.screens.pickers import TargetPicker

    app = MsbApp(LaunchOptions(path=BIG))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        graph = app.screen.query_one(StageGraph)
        await pilot.press("slash", *"u42", "enter")
        await pilot.pause()
        assert graph.selected == "u42"
        await pilot.press("slash", "enter")  # the same text again: the next match
        await pilot.pause()
        assert graph.selected == "u420"
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TargetPicker)
        await pilot.press(*"u49")
        await pilot.pause()
        assert app.screen.shown == ["u49"] + [f"u{n}" for n in range(490, 500)]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.target == "u490"


async def test_the_side_panel_lists_only_the_args_a_stage_uses():
    """Item 13: the side panel listed every global ARG for every stage."""
    from msb_tui.tui.screens.graph import stage_detail

    app = MsbApp(LaunchOptions(path=DEMOS / "go", offline_demo_args=True))
    keys = {stage.name: stage.name for stage in app.analysis.stages}
    build = stage_detail(app.analysis, keys["build"], []).plain
    final = stage_detail(app.analysis, keys["final"], []).plain
    assert "SDK_IMAGE = msb-demo/golang:1.19-bookworm" in build
    assert "SDK_IMAGE" not in final and "1 other global ARG not used by this stage" in final, final


def test_from_and_copy_edges_never_merge_into_one_arrow():
    """Item 11: edges merged at junctions, so FROM and COPY arrows could not be told apart."""
    from msb_tui.analysis import analyze as analyze_text
    from msb_tui.tui.graph_layout import layout_graph
    from msb_tui.tui.graph_nodes import edges_from_analysis, nodes_from_analysis

    analysis = analyze_text((DEMOS / "parallel" / "Dockerfile").read_text())
    edges = edges_from_analysis(analysis)
    layout = layout_graph(nodes_from_analysis(analysis, {}, edges), edges, box_width=24, gap=6)
    final = layout.placed["final"]
    lines = layout.text_lines()
    from_row, copy_row = lines[final.y + 1], lines[final.y + 2]
    assert from_row[final.x - 2 : final.x] == "─▶", from_row  # the FROM busybox arrow, solid
    assert copy_row[final.x - 2 : final.x] == "╌▶", copy_row  # the three COPY --from arrows, dashed
    roles = {cell.role for row in layout.rows for cell in row[final.x - 3 : final.x - 1]}
    assert roles <= {"edge-from", "edge-copy", "arrow", ""}, roles
