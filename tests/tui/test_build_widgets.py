"""The build view's widgets on their own: timeline layout, Dockerfile context, the log list."""

from __future__ import annotations

from textual.app import App, ComposeResult

from msb_tui.tui.widgets.failure_panel import dockerfile_context
from msb_tui.tui.widgets.log_view import LogLines
from msb_tui.durations import format_duration
from msb_tui.tui.widgets.stage_pane import PaneData, StagePane, StepRow
from msb_tui.tui.widgets.timeline import BAR, CACHED, RUNNING, Span, TimelineRow, layout_row


def test_layout_row_scales_spans_to_the_wall_time():
    row = TimelineRow("build", "done", (Span(10.0, 15.0, "done"),))
    cells = layout_row(row, start=10.0, wall=10.0, width=20, now=20.0)
    assert "".join(cells) == BAR * 10 + " " * 10


def test_layout_row_marks_cached_steps_without_hiding_work():
    row = TimelineRow("base", "done", (Span(0.0, 0.0, "cached"), Span(0.0, 5.0, "done"), Span(9.0, 9.0, "cached")))
    cells = layout_row(row, start=0.0, wall=10.0, width=10, now=10.0)
    assert cells[:5] == [BAR] * 5  # work drawn over the cache mark at the same instant
    assert cells[9] == CACHED  # a zero-length cached step still shows one cell


def test_layout_row_running_span_grows_to_now():
    row = TimelineRow("test", "running", (Span(2.0, None, "running"),))
    cells = layout_row(row, start=0.0, wall=8.0, width=8, now=6.0)
    assert "".join(cells) == "  " + RUNNING * 4 + "  "


def test_dockerfile_context_numbers_lines_and_marks_the_failing_range():
    text = "\n".join(f"line {n}" for n in range(1, 21))
    context = dockerfile_context(text, 8, 10)
    assert [n for n, _, _ in context] == list(range(5, 14))
    assert [n for n, _, failing in context if failing] == [8, 9, 10]
    assert context[0][1] == "line 5"
    assert [n for n, _, _ in dockerfile_context(text, 1, 1)] == [1, 2, 3, 4]  # clipped at the top
    assert [n for n, _, _ in dockerfile_context(text, 20, None)] == [17, 18, 19, 20]
    assert dockerfile_context(None, 3, 3) == () and dockerfile_context(text, None, None) == ()


def test_format_duration():
    assert format_duration(0.04) == "0.0s"
    assert format_duration(12.34) == "12.3s"
    assert format_duration(125) == "2m05s"
    assert format_duration(3720) == "1h02m"
    assert format_duration(None) == ""


class LogApp(App):
    def compose(self) -> ComposeResult:
        yield LogLines(max_lines=100)

    def on_mount(self) -> None:
        self.query_one(LogLines).focus()


async def test_log_lines_stay_bounded_and_keep_true_line_numbers():
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(LogLines)
        for batch in range(10):
            log.append_lines([f"line {batch * 50 + i + 1}" for i in range(50)])
        await pilot.pause()
        assert len(log.lines) <= 125  # pruned in chunks, never far above max_lines
        last = log.lines[-1]
        assert last == "line 500"
        assert log.first_number + len(log.lines) - 1 == 500  # numbers count the dropped lines
        assert log.is_vertical_scroll_end  # it followed the end
        # Scrolled up by the user: new lines no longer drag the view down.
        await pilot.press("home")
        await pilot.pause()
        log.append_lines(["line 501", "line 502"])
        await pilot.pause()
        assert log.scroll_y == 0 and not log.follow
        await pilot.press("end")
        await pilot.pause()
        log.append_lines(["line 503"])
        assert log.follow and log.is_vertical_scroll_end


async def test_log_lines_search_wraps_both_ways_case_insensitively():
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(LogLines)
        log.set_lines(["alpha", "Error one", "beta", "gamma", "error two", "delta"])
        await pilot.pause()
        assert log.find("ERROR", start=0) == 1
        assert log.find("ERROR") == 4
        assert log.find("ERROR") == 1  # wrapped
        assert log.find("ERROR", forward=False) == 4  # and backwards
        assert log.find("nothing here") is None and log.current is None


async def test_log_lines_render_markup_and_escapes_literally():
    app = LogApp()
    async with app.run_test(size=(60, 10)) as pilot:
        log = app.query_one(LogLines)
        log.set_lines(["[bold]x[/]", "\x1b]8;;http://e.vil\x07link\x1b]8;;\x07", "\x1b[32mgreen\x1b[0m"])
        await pilot.pause()
        texts = ["".join(segment.text for segment in log.render_line(y)) for y in range(3)]
        assert "[bold]x[/]" in texts[0]
        assert "link" in texts[1] and "e.vil" not in texts[1] and "\x1b" not in texts[1]
        assert "green" in texts[2] and "\x1b" not in texts[2]


class PaneApp(App):
    AUTO_FOCUS = None

    def __init__(self, data):
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        yield StagePane(self.data)


def _long_stage(running_index: int, steps: int = 30) -> PaneData:
    rows = []
    for i in range(steps):
        state = "done" if i < running_index else ("running" if i == running_index else "planned")
        started = float(i) if i <= running_index else None
        completed = float(i + 1) if i < running_index else None
        rows.append(StepRow(f"d{i}", state, f"{i + 1}/{steps}", f"RUN step-{i + 1}", started, completed))
    return PaneData("long", "running", steps=tuple(rows), tail=("working…",), tail_digest=f"d{running_index}", started=1.0)


async def test_a_tall_stage_pane_keeps_the_running_step_in_view_and_clicks_pick_steps():
    app = PaneApp(_long_stage(25))
    async with app.run_test(size=(60, 30)) as pilot:
        pane = app.query_one(StagePane)
        await pilot.pause()
        text = pane.render().plain
        assert "RUN step-26" in text and "working…" in text  # unfocused: the running step shows
        assert "RUN step-1 " not in text
        pane.focus()
        await pilot.pause()
        assert "RUN step-1 " in pane.render().plain  # focused: the cursor (step 1) shows
        await pilot.click(StagePane, offset=(5, 3))  # third content line = third step
        assert pane.cursor == 2
