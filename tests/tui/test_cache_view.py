"""Why each step ran, in the build view: step tags, the cascade, a line per stage, the summary above
the panes, prediction disagreements, and the cause screen (``w``). Fed by a recording of a real
Go demo build and an explanation shaped as the cache check makes them."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from msb_tui.backends.replay import ReplaySource
from msb_tui.cache.explain import CacheExplanation, Cause, Disagreement, Prediction, StepExplanation
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.screens.cause import CauseScreen
from msb_tui.tui.widgets.build_header import BuildHeader
from msb_tui.tui.widgets.cache_summary import CacheSummary
from tests.tui.test_build_screen import BuildApp, _export_text, analysis_of, pane, wait_for

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
GO = RECORDINGS / "current" / "go.jsonl"


def explanation_from_model(model, *, file_name: str = "cmd/server/main.go", disagree: bool = False,
                           old_line: str | None = None, arg: dict | None = None) -> CacheExplanation:
    """The Go demo's steps as the recording has them: COPY . . (build 5/6) saw ``file_name``
    change and started the cascade; go mod download stayed cached."""
    steps = []
    for stage in model.stages:
        for run in stage.steps:
            number, total = (int(part) for part in run.position.split("/"))
            step = StepExplanation(stage.name, number, run.line_start, run.instruction, False, Cause.CACHED,
                                   seconds=run.duration, step_total=total)
            if (stage.name, number) == ("build", 5):
                step.ran, step.cause = True, Cause.FILES_CHANGED
                step.detail = {"source": ".", "count": 1, "changes": [
                    {"path": file_name, "kind": "modified", "old_size": 1210, "new_size": 1262}]}
            elif (stage.name, number) in (("build", 6), ("final", 1)):
                step.ran, step.cause, step.cascade_from = True, Cause.PARENT_RAN, "build:5"
            elif old_line is not None and (stage.name, number) == ("build", 2):
                step.ran, step.cause = True, Cause.LINE_CHANGED
                step.detail = {"old": old_line, "new": run.instruction}
            elif arg is not None and (stage.name, number) == ("build", 2):
                step.ran, step.cause, step.detail = True, Cause.ARG_CHANGED, arg
            steps.append(step)
    disagreements = [Disagreement("final:1", Prediction.CACHED, "ran", "[final 1/1] was predicted to come from "
                                  "the cache, but BuildKit ran it")] if disagree else []
    return CacheExplanation("previous.jsonl", steps, disagreements)


def go_app(**options) -> BuildApp:
    analysis, text = analysis_of(GO)
    return BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(GO, None), title="go", dockerfile_text=text,
                                        explain=lambda model, source: explanation_from_model(model, **options)))


async def explained(pilot, app) -> None:
    await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
    await wait_for(pilot, lambda: app.screen.columns[0].explanation is not None)
    await pilot.pause()


async def test_steps_are_tagged_with_their_cause_and_the_cascade_is_marked():
    app = go_app(disagree=True)
    async with app.run_test(size=(130, 36)) as pilot:
        await explained(pilot, app)
        build = {row.position: row for row in pane(app, "build").data.steps}
        assert (build["5/6"].why, build["5/6"].cascade) == ("1 file", "origin")
        assert (build["6/6"].why, build["6/6"].cascade) == ("↳ 5/6", "follows")
        assert (build["4/6"].why, build["4/6"].cascade) == ("", "")  # go mod download: cached
        [final] = pane(app, "final").data.steps
        assert (final.why, final.cascade, final.disagrees) == ("↳ build 5/6", "follows", True)
        assert pane(app, "build").data.why.startswith("2 of 6 ran")
        assert "from 5/6: cmd/server/main.go modified" in pane(app, "build").data.why
        assert pane(app, "final").data.why.startswith("1 of 1 ran")
        summary = app.screen.query_one(CacheSummary)
        assert summary.display
        shown = _export_text(app)
        assert "3 of 7 steps ran" in shown and "[build 5/6] COPY . ." in shown
        assert "prediction disagreed with BuildKit on 1 step" in shown
        assert "1 file" in shown and "↳ 5/6" in shown and "≠" in shown


async def test_w_opens_the_cause_with_the_changed_file_and_the_cascade():
    app = go_app()
    async with app.run_test(size=(130, 40)) as pilot:
        await explained(pilot, app)
        screen = await why_of(pilot, app, "5/6")
        table = screen.query_one("#cause-files", DataTable)
        assert [str(cell) for cell in table.get_row_at(0)] == ["cmd/server/main.go", "modified", "1,210", "1,262"]
        cascade = str(screen.query_one("#cause-cascade", Static).render())
        assert "started a cascade: 2 steps ran after it" in cascade
        assert "[build 6/6] RUN go build" in cascade and "[final 1/1] COPY --from=build" in cascade
        summary = str(screen.query_one("#cause-summary", Static).render())
        assert "1 file under . changed: cmd/server/main.go modified (1,210 B → 1,262 B)" in summary
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen))
        screen = await why_of(pilot, app, "6/6")
        summary = str(screen.query_one("#cause-summary", Static).render())
        assert "a cascade that started at [build 5/6] COPY . ." in summary


async def why_of(pilot, app, position: str) -> CauseScreen:
    build = pane(app, "build")
    build.focus()
    build.cursor = [row.position for row in build.data.steps].index(position)
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(app.screen, CauseScreen))
    return app.screen


async def test_untrusted_file_names_are_shown_as_written_never_as_markup():
    hostile = "[@click=app.quit]boom[/] \x1b]0;title\x07[bold]x"
    app = go_app(file_name=hostile)
    async with app.run_test(size=(130, 40)) as pilot:
        await explained(pilot, app)
        shown = _export_text(app)
        assert "[@click=app.quit]boom[/] [bold]x" in shown and "title" not in shown
        screen = await why_of(pilot, app, "5/6")
        table = screen.query_one("#cause-files", DataTable)
        assert str(table.get_row_at(0)[0]) == "[@click=app.quit]boom[/] [bold]x"
        await pilot.click("#cause-summary")
        await pilot.pause()
        assert app.is_running


async def test_a_changed_line_shows_before_and_now_as_written():
    app = go_app(old_line="WORKDIR [red]/old[/red]")
    async with app.run_test(size=(130, 40)) as pilot:
        await explained(pilot, app)
        screen = await why_of(pilot, app, "2/6")
        evidence = str(screen.query_one("#cause-evidence", Static).render())
        assert "before     WORKDIR [red]/old[/red]" in evidence
        assert "now        WORKDIR /src" in evidence


async def test_a_changed_secret_build_arg_shows_as_masked():
    # As cache/predict.py words it: a secret arg's values are "****" (the record keeps a salted hash).
    app = go_app(arg={"name": "NPM_TOKEN", "kind": "arg", "old": "****", "new": "****"})
    async with app.run_test(size=(130, 40)) as pilot:
        await explained(pilot, app)
        assert {row.position: row for row in pane(app, "build").data.steps}["2/6"].why == "arg NPM_TOKEN"
        screen = await why_of(pilot, app, "2/6")
        evidence = str(screen.query_one("#cause-evidence", Static).render())
        assert evidence == "build arg  NPM_TOKEN\nbefore     ****\nnow        ****"
        assert "build arg NPM_TOKEN changed: '****' → '****'" in str(screen.query_one("#cause-summary", Static).render())


async def test_without_a_previous_build_to_explain_nothing_is_claimed():
    analysis, text = analysis_of(GO)
    app = BuildApp(lambda: BuildScreen(analysis, lambda: ReplaySource(GO, None), title="go",
                                       explain=lambda model, source: None))
    async with app.run_test(size=(130, 36)) as pilot:
        await wait_for(pilot, lambda: "BuildFinished" in app.kinds())
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.screen.query_one(CacheSummary).display
        assert all(not row.why for row in pane(app, "build").data.steps)
        build = pane(app, "build")
        build.focus()
        assert build.check_action("why", ()) is False  # "w Why it ran" is not offered


async def test_rebuild_clears_the_previous_explanation():
    app = go_app()
    async with app.run_test(size=(130, 36)) as pilot:
        await explained(pilot, app)
        column = app.screen.columns[0]
        first = column.explanation
        app.screen.action_rebuild()
        await pilot.pause()
        assert column.explanation is None or column.explanation is not first
        await wait_for(pilot, lambda: column.explanation is not None and column.explanation is not first)
        assert pane(app, "build").data.why


# -- the real thing: a recorded rebuild of the Go demo after a one-file change ------------------------
# scripts/record_fixtures.py --lane current go-one-file: built, cmd/server/main.go changed, rebuilt
# with the cache check; its explanation is kept next to the recording (go-one-file.cache.json).
ONE_FILE = RECORDINGS / "current" / "go-one-file.jsonl"
REPO = Path(__file__).resolve().parents[2]


def one_file_app():
    from msb_tui.tui.app import LaunchOptions, MsbApp

    return MsbApp(LaunchOptions(path=REPO / "demo_dockerfiles" / "go", replay=ONE_FILE, speed=None))


async def test_a_replayed_rebuild_shows_the_explanation_kept_with_its_recording():
    app = one_file_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen) and app.screen.columns[0].explanation)
        await pilot.pause()
        build = {row.position: row for row in pane(app, "build").data.steps}
        assert (build["4/6"].state, build["4/6"].why) == ("cached", "")  # go mod download stayed cached
        assert (build["5/6"].why, build["5/6"].cascade) == ("1 file", "origin")  # COPY . .
        assert (build["6/6"].why, build["6/6"].cascade) == ("↳ 5/6", "follows")  # go build
        assert pane(app, "final").data.steps[0].why == "↳ build 5/6"
        shown = _export_text(app)
        assert "3 of 7 steps ran · [build 5/6] COPY . .: 1 file under . changed: cmd/server/main.go modified" in shown
        assert "prediction agreed with BuildKit on all 7" in shown
        screen = await why_of(pilot, app, "5/6")
        table = screen.query_one("#cause-files", DataTable)
        assert str(table.get_row_at(0)[0]) == "cmd/server/main.go"


def _settled_on_explanation(*keys: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen) and app.screen.columns[0].explanation)
        header = app.screen.query_one(BuildHeader)
        await wait_for(pilot, lambda: header.data.engine)  # "recorded on Docker 28.5.2 ..." (from a worker)
        await app.workers.wait_for_complete()
        app.clear_notifications()  # "built sha256:… press l": gone after a few seconds, not a fixed sight
        if keys:
            build = pane(app, "build")
            build.focus()
            build.cursor = [row.position for row in build.data.steps].index("5/6")
            for key in keys:
                await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, CauseScreen))
        for _ in range(3):
            await pilot.pause()
        await pilot.pause(0.1)

    return run_before


def test_snapshot_build_view_after_a_one_file_change(snap_compare, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    assert snap_compare(one_file_app(), terminal_size=(120, 36), run_before=_settled_on_explanation())


def test_snapshot_why_copy_ran_after_a_one_file_change(snap_compare, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    assert snap_compare(one_file_app(), terminal_size=(120, 36), run_before=_settled_on_explanation("w"))
