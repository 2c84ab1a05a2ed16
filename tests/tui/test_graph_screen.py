"""The home screen on real demo Dockerfiles: graph, selection, target and build-arg changes, literal text."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static, TabbedContent

from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.widgets.dockerfile_view import DockerfileView
from msb_tui.tui.widgets.stage_graph import StageGraph

REPO = Path(__file__).resolve().parents[2]

HOSTILE = (
    "ARG BASE=busybox\n"
    "FROM ${BASE} AS build\n"
    'RUN echo "[bold]loud[/]" && echo [@click=app.quit]x[/] \\\n'
    "    && printf '\x1b]0;pwned\x07\x1b[2J'\n"
    "FROM scratch AS final\n"
    "COPY --from=build /x /x\n"
)


def svg_text(svg: str) -> str:
    """The visible text of an exported screenshot (text nodes joined, entities decoded)."""
    import html
    import re

    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace("\xa0", " ")


async def _ready(pilot) -> None:
    """Wait for the side panel, which mounts lazily after the first paint."""
    for _ in range(50):
        await pilot.pause()
        if getattr(pilot.app.screen, "side_ready", False):
            return
        await pilot.pause(0.05)
    raise AssertionError("the side panel never mounted")


def _static_text(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_go_demo_shows_plan_and_target(demos):
    app = MsbApp(LaunchOptions(path=demos / "go", offline_demo_args=True))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        graph = screen.query_one(StageGraph)
        assert graph.selected == "final"  # the target is selected first
        drawing = "\n".join(graph.layout_result.text_lines())
        assert "╔" in drawing and "build" in drawing and "test" in drawing
        assert graph.layout_result.placed["test"].node.needed is False
        detail = _static_text(screen, "#stage-detail")
        assert "the target" in detail and "COPY --from=build" in detail
        assert app.build_args["SDK_IMAGE"] == "msb-demo/golang:1.19-bookworm"


async def test_arrow_keys_select_and_detail_follows(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("left")
        graph = app.screen.query_one(StageGraph)
        assert graph.selected == "build"
        await pilot.pause()
        detail = _static_text(app.screen, "#stage-detail")
        assert "needed by final (COPY --from)" in detail
        assert "RUN go build" in detail
        await pilot.press("right", "down")
        assert graph.selected == "test"
        await pilot.pause()
        assert "skipped" in _static_text(app.screen, "#stage-detail")


async def test_click_selects_a_stage(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        graph = app.screen.query_one(StageGraph)
        box = graph.layout_result.placed["build"]
        await pilot.click(StageGraph, offset=(box.x + 3, box.y + 1))
        assert graph.selected == "build"


async def test_changing_target_replans_at_once(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("t")
        await pilot.pause()
        # Options: build, test, final -> pick "test".
        await pilot.press("up", "enter")
        await pilot.pause()
        assert app.target == "test"
        graph = app.screen.query_one(StageGraph)
        placed = graph.layout_result.placed
        assert placed["test"].node.target and placed["test"].node.needed
        assert placed["final"].node.needed is False
        assert "target test" in _static_text(app.screen, "#graph-title")


async def test_build_arg_input_updates_plan(demos):
    app = MsbApp(LaunchOptions(path=demos / "go"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"SDK_IMAGE=example/sdk:9", "enter")
        await pilot.pause()
        assert app.build_args == {"SDK_IMAGE": "example/sdk:9"}
        graph = app.screen.query_one(StageGraph)
        assert "image:example/sdk:9" in graph.layout_result.placed


async def test_untrusted_dockerfile_text_renders_literally(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(HOSTILE)
    app = MsbApp(LaunchOptions(path=dockerfile))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("left")  # select "build"
        await pilot.pause()
        detail = _static_text(app.screen, "#stage-detail")
        assert '"[bold]loud[/]"' in detail
        assert "[@click=app.quit]x[/]" in detail
        assert "\x1b" not in detail and "\x07" not in detail
        view = app.screen.query_one(DockerfileView)
        assert "[@click=app.quit]x[/]" in view.line_text(3)
        app.screen.query_one(TabbedContent).active = "dockerfile"
        await pilot.pause()
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        assert "echo [@click=app.quit]x" in svg_text(svg) and '"[bold]loud[/]"' in svg_text(svg)
        assert app.is_running  # nothing clickable quit the app


async def test_narrow_terminal_stacks_panels(demos):
    app = MsbApp(LaunchOptions(path=demos / "parallel"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        assert app.screen.query_one("#graph-body").has_class("-narrow")
        graph = app.screen.query_one(StageGraph)
        assert graph.size.width == 80
    app = MsbApp(LaunchOptions(path=demos / "parallel"))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        assert not app.screen.query_one("#graph-body").has_class("-narrow")


async def test_theme_toggle_and_help(demos):
    app = MsbApp(LaunchOptions(path=demos / "go", theme="light"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        assert app.current_theme.dark is False
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is True
        await pilot.press("question_mark")
        await pilot.pause()
        from msb_tui.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)


async def test_lint_panel_lists_findings(demos):
    app = MsbApp(LaunchOptions(path=demos / "broken", dockerfile=demos / "broken" / "Dockerfile.missing-stage"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("i")
        await pilot.pause()
        text = _static_text(app.screen, "#lint-text")
        assert "line" in text
        analysis = app.analysis
        assert (len(analysis.lint) + len(analysis.errors)) > 0


async def test_missing_dockerfile_still_opens(tmp_path):
    app = MsbApp(LaunchOptions(path=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        assert isinstance(app.screen, GraphScreen)
        assert "cannot read" in _static_text(app.screen, "#stage-detail")


async def test_dockerfile_view_scrolls_to_the_selected_stage(tmp_path):
    lines = ["FROM scratch AS first"] + [f"COPY f{i} /f{i}" for i in range(120)] + ["FROM first AS last", "COPY x /x"]
    (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
    app = MsbApp(LaunchOptions(path=tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await _ready(pilot)
        await pilot.press("d")
        await pilot.pause()
        view = app.screen.query_one(DockerfileView)
        top = view.scroll_offset.y
        assert top > 50 and top < 122 <= top + view.size.height  # "last" (line 122, the target) is in view
