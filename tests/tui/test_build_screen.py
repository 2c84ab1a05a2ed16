"""The live build view, fed by recordings of real builds (tests/fixtures/recordings: the demos built on the real engine)."""

from __future__ import annotations

import asyncio
import html
import re
import time
from pathlib import Path

import pytest
from textual.app import App

from msb_tui.analysis import analyze
from msb_tui.builds.model import BuildModel
from msb_tui.builds.recording import read_inputs, replay
from msb_tui.tui import messages
from msb_tui.tui.build_column import BuildRun
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.backends.base import EventListSource
from msb_tui.backends.replay import ReplaySource
from msb_tui.tui.widgets.build_header import BuildHeader
from msb_tui.tui.widgets.failure_panel import FailurePanel
from msb_tui.tui.widgets.log_view import LogLines, LogView
from msb_tui.tui.widgets.stage_pane import StagePane
from msb_tui.tui.widgets.timeline import Timeline

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE.parent / "fixtures" / "recordings"
MY_RECORDINGS = HERE / "build_recordings"


def recording(name: str) -> Path:
    path = RECORDINGS / f"{name}.jsonl"
    return path if path.exists() else MY_RECORDINGS / f"{name}.jsonl"


def analysis_of(path: Path):
    """The analysis of the Dockerfile a recording built, with the recording's target and args."""
    inputs = read_inputs(path)
    text = inputs["dockerfile_text"]
    return analyze(text, target=inputs.get("target"), build_args=inputs.get("build_args") or {}), text


class BuildApp(App):
    """A bare app hosting the build screen; records the messages that bubble up to it."""

    def __init__(self, screen_factory):
        super().__init__()
        self.screen_factory = screen_factory
        self.seen: list = []

    def on_mount(self) -> None:
        self.push_screen(self.screen_factory())

    def on_build_started(self, message):
        self.seen.append(message)

    def on_stage_started(self, message):
        self.seen.append(message)

    def on_stage_finished(self, message):
        self.seen.append(message)

    def on_step_failed(self, message):
        self.seen.append(message)

    def on_build_finished(self, message):
        self.seen.append(message)

    def on_build_stopped(self, message):
        self.seen.append(message)

    def on_layers_requested(self, message):
        self.seen.append(message)

    def kinds(self) -> list[str]:
        return [type(m).__name__ for m in self.seen]


async def wait_for(pilot, predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


def _export_text(app) -> str:
    """What the terminal shows, as plain text (from the SVG export, which holds every cell)."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


def pane(app, name: str) -> StagePane:
    return next(p for p in app.screen.query(StagePane) if p.data.name == name)


def running_prefix(path: Path):
    """Events of a real recording up to the first moment two stages run at once."""
    events = list(replay(path, None))
    model = BuildModel()
    for index, event in enumerate(events):
        model.apply(event)
        if len({step.stage for step in model.running_steps()}) >= 2:
            return events[: index + 1]
    raise AssertionError("the recording never runs two stages at once")


async def test_parallel_stages_are_shown_running_at_the_same_time():
    path = recording("parallel")
    analysis, text = analysis_of(path)
    prefix = running_prefix(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: EventListSource(prefix, hold_open=True), title="parallel"))
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: header.data.running_now >= 2)
        running = [p for p in app.screen.query(StagePane) if p.data.state == "running"]
        assert len(running) >= 2
        assert all(p.has_class("-running") for p in running)
        assert header.data.max_parallel >= 2
        shown = _export_text(app)
        assert "RUNNING" in shown and "running 2" in shown
        timeline = app.screen.query_one(Timeline)
        rows = {row.label: row for row in timeline.data.rows}
        assert sum(1 for p in running if rows[p.data.name].spans) >= 2
        started = {m.stage.name for m in app.seen if isinstance(m, messages.StageStarted)}
        assert {p.data.name for p in running} <= started
        app.screen.cancel_all()
        await app.workers.wait_for_complete()


async def test_full_replay_succeeds_with_overlap_on_the_timeline_and_cached_steps():
    path = recording("parallel")
    analysis, text = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="parallel"))
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await app.workers.wait_for_complete()
        await pilot.pause()
        column = app.screen.columns[0]
        model = column.model
        assert model.status == "succeeded"
        finished = next(m for m in app.seen if isinstance(m, messages.BuildFinished))
        assert finished.model is model and model.image_id
        totals = model.totals()
        assert totals.cache_hits >= 1 and totals.max_parallel >= 2
        header = app.screen.query_one(BuildHeader).data
        assert header.cache_hits == totals.cache_hits and header.status == "succeeded"
        # Cached steps say so in their pane, and are marked on the timeline.
        cached_panes = [p for p in app.screen.query(StagePane) if any(s.state == "cached" for s in p.data.steps)]
        assert cached_panes
        assert "CACHED" in cached_panes[0].render().plain
        timeline = app.screen.query_one(Timeline)
        assert "▒" in timeline.render().plain
        # Backend and frontend overlap in time: their bars share columns.
        rendered = {line.split(" ", 1)[0]: line for line in timeline.render().plain.splitlines()}
        backend = rendered["backend"][14:]
        frontend = rendered["frontend"][14:]
        overlap = [i for i, (a, b) in enumerate(zip(backend, frontend)) if a.strip() and b.strip()]
        assert len(overlap) > len(backend.strip()) // 2


async def test_skipped_stage_keeps_its_pane_with_the_plans_reason():
    path = recording("seed-example")
    analysis, text = analysis_of(path)
    reason = analysis.plan.skip_reasons[next(s.index for s in analysis.stages if s.name == "test")]
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="seed"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        test_pane = pane(app, "test")
        assert test_pane.data.state == "skipped" and test_pane.has_class("-skipped")
        assert test_pane.data.skip_reason == reason
        assert reason.split()[0] in test_pane.render().plain
        assert "skipped" in test_pane.render().plain
        # All four stages have a pane at 80x24, in file order, then the engine's own steps.
        assert [p.data.name for p in app.screen.query(StagePane)] == ["base", "build", "test", "final", "engine steps"]


async def test_failure_panel_shows_step_error_last_lines_and_dockerfile_context():
    path = recording("broken")
    analysis, text = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="broken"))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        panel = app.screen.query_one(FailurePanel)
        assert panel.has_class("-shown") and panel.display
        data = panel.data
        model = app.screen.columns[0].model
        failed = model.failed_step()
        assert data.step_name == failed.name and "exit 2" in failed.name
        assert "exit code: 2" in data.error
        assert list(data.last_lines) == list(failed.log.lines)[-20:]
        assert any("compiling module 5" in line for line in data.last_lines)
        # Dockerfile lines around the failing RUN (lines 8-10 in the demo), numbered, range marked.
        lines = text.splitlines()
        numbers = [number for number, _, _ in data.context]
        assert numbers == list(range(failed.line_start - 3, failed.line_end + 4))
        marked = [number for number, _, failing in data.context if failing]
        assert marked == list(range(failed.line_start, failed.line_end + 1))
        assert all(line_text == lines[number - 1] for number, line_text, _ in data.context)
        rendered = panel.render().plain
        assert f"▶ {failed.line_start:>2} │ RUN for i in" in rendered
        assert "last" in rendered and "log lines" in rendered
        kinds = app.kinds()
        assert "StepFailed" in kinds and kinds.index("StepFailed") < kinds.index("BuildFinished")


async def test_step_log_opens_with_enter_and_is_searchable():
    path = recording("broken")
    analysis, text = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="broken"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        column = app.screen.columns[0]
        with column.feed.lock:
            step = max(column.model.steps.values(), key=lambda s: s.log.total)
            expected = list(step.log.lines)
        assert len(expected) >= 5, "the broken build's failing step logs its modules"
        target = pane(app, step.stage)
        target.focus()
        await pilot.pause()
        index = next(i for i, row in enumerate(target.data.steps) if row.digest == step.digest)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        log_view = app.screen.query_one(LogView)
        lines = app.screen.query_one(LogLines)
        assert log_view.display and log_view.digest == step.digest
        assert lines.lines == expected
        # Search: '/' opens the box, enter finds, 'n' goes to the next match.
        needle = "MODULE"  # case-insensitive
        await pilot.press("slash")
        await pilot.press(*needle)
        await pilot.press("enter")
        await pilot.pause()
        assert lines.current is not None and needle.lower() in expected[lines.current].lower()
        first = lines.current
        matches = [i for i, line in enumerate(expected) if needle.lower() in line.lower()]
        await pilot.press("n")
        await pilot.pause()
        assert lines.current == matches[(matches.index(first) + 1) % len(matches)]
        # Typing 'n' in the search box is text, not "next match".
        await pilot.press("slash", *"main", "enter")
        await pilot.pause()
        assert lines.query == "main" and "'main'" in expected[lines.current]
        # Escape closes the log, a second escape leaves the screen.
        await pilot.press("escape")
        await pilot.pause()
        assert not log_view.display


HOSTILE = [
    "[bold]not bold[/]",
    "[/]",
    "[@click=app.quit]x[/]",
    "\x1b]0;pwned title\x07osc gone",
    "\x1b[2J\x1b[Hcleared? no",
    "\x1b[31mred stays\x1b[0m",
]


def hostile_events():
    from msb_tui.builds.events import BuildFailed, LogChunk, VertexUpdate

    name = "[evil 1/1] RUN echo '[bold]x[/]' [@click=app.quit]q[/]"
    data = ("\n".join(HOSTILE) + "\n").encode()
    return [
        VertexUpdate("sha256:e1", name, started=1000.0),
        LogChunk("sha256:e1", data, timestamp=1000.5),
        VertexUpdate("sha256:e1", name, started=1000.0, completed=1001.0, error="boom [/] [@click=app.quit]z[/]"),
        BuildFailed("boom [/] [@click=app.quit]z[/]"),
    ]


async def test_untrusted_text_renders_literally_and_never_acts():
    app = BuildApp(lambda: BuildScreen(None, lambda: EventListSource(hostile_events()), title="[b]t[/b]"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        evil = pane(app, "evil")
        evil.focus()
        await pilot.press("enter")
        await pilot.pause()
        log_lines = app.screen.query_one(LogLines)
        assert len(log_lines.lines) == len(HOSTILE)
        shown = _export_text(app)
        for literal in ("[bold]not bold[/]", "[@click=app.quit]x[/]", "osc gone", "cleared? no", "red stays", "[b]t[/b]"):
            assert literal in shown, literal
        assert "pwned title" not in shown
        assert "boom [/] [@click=app.quit]z[/]" in shown
        assert "\x1b" not in app.export_screenshot()
        # Clicking the would-be link does nothing: the app keeps running.
        await pilot.click(LogLines, offset=(8, 2))
        await pilot.click(FailurePanel, offset=(10, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_cancel_key_stops_a_running_replay_quickly():
    path = recording("parallel")
    analysis, text = analysis_of(path)
    sources = []

    def start():
        sources.append(ReplaySource(path, 1.0))
        return sources[-1]

    app = BuildApp(lambda: BuildScreen(analysis, start, title="parallel"))
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: header.data.running_now >= 1)
        started = time.monotonic()
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "BuildStopped" in app.kinds())
        assert time.monotonic() - started < 2.0
        assert sources[0].cancelled
        assert app.screen.columns[0].model.status == "cancelled"
        assert header.data.status == "cancelled"


async def test_escape_leaves_and_cancels_rebuild_restarts():
    path = recording("parallel")
    analysis, text = analysis_of(path)
    sources = []

    def start():
        sources.append(ReplaySource(path, 1.0))
        return sources[-1]

    app = BuildApp(lambda: BuildScreen(analysis, start, title="parallel"))  # pushed over the default screen
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(BuildHeader).data.running_now >= 1)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(sources) == 2)
        assert sources[0].cancelled and not sources[1].cancelled
        assert app.kinds().count("BuildStarted") == 2
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, BuildScreen)
        assert sources[1].cancelled


async def test_layers_key_posts_the_built_image():
    path = recording("seed-example")
    analysis, text = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="seed"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.press("l")
        await pilot.pause()
        requested = [m for m in app.seen if isinstance(m, messages.LayersRequested)]
        assert requested and requested[0].image_id == app.screen.columns[0].model.image_id
        assert requested[0].image_id.startswith("sha256:")


async def test_compare_classic_next_to_buildkit():
    buildkit = recording("seed-example")
    classic = recording("seed-example-classic")
    analysis, text = analysis_of(buildkit)
    compare = BuildRun(analysis, lambda: ReplaySource(classic, None), "classic builder")
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(buildkit, None), title="BuildKit", compare=compare))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.kinds().count("BuildFinished") == 2)
        left, right = app.screen.columns
        assert left.model.status == right.model.status == "succeeded"
        states_left = {s.name: s.state for s in left.model.stages}
        states_right = {s.name: s.state for s in right.model.stages}
        assert states_left["test"] == "skipped"  # BuildKit skips what the target does not need
        assert states_right["test"] == "done"  # the classic builder runs every stage
        # Classic: stages one after another; on its timeline bars touch at most at one boundary cell.
        ran = sorted((s.started, s.completed) for s in right.model.stages if s.started is not None)
        assert len(ran) == 4
        assert all(later[0] >= earlier[1] - 0.05 for earlier, later in zip(ran, ran[1:]))
        rows = right.query_one(Timeline).render().plain.splitlines()
        bars = [row[14:] for row in rows if row.split(" ", 1)[0] in states_right]
        assert len(bars) == 4
        shared = [c for c in range(max(map(len, bars))) if sum(1 for b in bars if c < len(b) and b[c] == "█") > 1]
        assert len(shared) <= 3
        assert "skipped" in left.query_one(Timeline).render().plain
        shown = _export_text(app)
        assert "BuildKit" in shown and "classic builder" in shown


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_layout_fits_small_and_fills_large_terminals(size):
    path = recording("parallel")
    analysis, text = analysis_of(path)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(path, None), title="parallel"))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        panes = list(app.screen.query(StagePane))
        assert len(panes) == 5  # four stages and the engine's steps
        grid = app.screen.query_one("#panes")
        columns = grid.styles.grid_size_columns
        if size[0] == 80:
            assert columns == 2
        else:
            assert columns >= 3  # wide: panes side by side
            assert app.screen.query_one("#graph").display  # the stage graph beside them
        for p in panes:
            assert p.region.width >= 30 and p.region.right <= size[0]


async def test_typing_in_the_log_search_does_not_trigger_screen_keys():
    from msb_tui.builds.events import LogChunk, VertexUpdate

    events = [VertexUpdate("sha256:s1", "[only 1/1] RUN make", started=1000.0), LogChunk("sha256:s1", b"cc\nlc\n")]
    app = BuildApp(lambda: BuildScreen(None, lambda: EventListSource(events, hold_open=True), title="typing"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(BuildHeader).data.running_now == 1)
        pane(app, "only").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(app.screen.query_one(LogLines).lines) == 2)
        await pilot.press("slash", "c", "l", "enter")  # 'c' cancels and 'l' opens layers elsewhere
        await pilot.pause()
        column = app.screen.columns[0]
        assert column.running and column.model.status == "running"
        assert app.screen.query_one(LogLines).query == "cl"
        assert "LayersRequested" not in app.kinds()
        await pilot.press("c")  # outside the box, 'c' cancels
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "BuildStopped" in app.kinds())


async def test_context_upload_progress_shows_before_the_first_step():
    import threading

    from msb_tui.backends.base import Source

    class Uploading(Source):
        """Like a BuildStream: reports context progress before the engine says anything."""

        def __init__(self):
            self._cancelled = threading.Event()

        def cancel(self):
            self._cancelled.set()

        def __iter__(self):
            self.context_progress("tar", 120, 5_000_000)
            self.context_progress("upload", 2_500_000, 5_000_000)
            self._cancelled.wait(10)
            from msb_tui.builds.events import BuildCancelled

            yield BuildCancelled()

    app = BuildApp(lambda: BuildScreen(None, Uploading, title="upload"))
    async with app.run_test(size=(120, 30)) as pilot:
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: "sending the context: 2.5 of 5.0 MB" in header.data.note)
        assert header.data.status == "pending"
        app.screen.cancel_all()
        await app.workers.wait_for_complete()


async def test_a_source_that_cannot_start_shows_a_failed_build():
    def start():
        raise ConnectionRefusedError("engine down [/]")

    app = BuildApp(lambda: BuildScreen(None, start, title="down"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await pilot.pause()
        panel = app.screen.query_one(FailurePanel)
        assert panel.has_class("-shown")
        assert "could not start the build: engine down [/]" in panel.render().plain
        assert app.screen.columns[0].model.status == "failed"
