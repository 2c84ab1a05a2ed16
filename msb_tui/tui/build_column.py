"""One build in the build view: a header of figures, stage panes in a wrapping grid, the engine's
own steps, a failure panel and a Gantt timeline, fed by a ``BuildFeed`` in a thread worker.

Stopping the column (cancel, rebuild, unmount) cancels the feed, which closes the HTTP stream so
the engine stops the solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll

from msb_tui.backends.base import BuildSource, EventListSource
from msb_tui.builds.events import BuildFailed
from msb_tui.builds.feed import BuildFeed, EngineClock
from msb_tui.builds.model import BuildModel
from msb_tui.cache.advice import advise
from msb_tui.tui.cache_marks import stage_summary, step_marks
from msb_tui.tui.cache_source import context_files_of
from msb_tui.tui.messages import (
    BuildFinished,
    BuildProgressed,
    BuildStarted,
    BuildStopped,
    CheckSelected,
    StageStarted,
    StepExplainRequested,
    StepFailed,
    StepSelected,
)
from msb_tui.tui.screens.cause import CauseScreen
from msb_tui.tui.widgets.build_header import BuildHeader, header_data
from msb_tui.tui.widgets.cache_summary import CacheSummary
from msb_tui.tui.widgets.engine_pane import EnginePane, engine_pane_data
from msb_tui.tui.widgets.failure_panel import FailurePanel, failure_data
from msb_tui.tui.widgets.log_view import LogView
from msb_tui.tui.widgets.stage_pane import StagePane, pane_data
from msb_tui.tui.widgets.timeline import Timeline, timeline_data

PANE_WIDTH = 36
"""Narrowest useful stage pane; the grid shows as many columns of panes as fit."""


@dataclass
class BuildRun:
    """One build the screen shows: what was analysed, how to start it, and its column title."""

    analysis: Any
    start: Callable[[], BuildSource]
    title: str = "build"
    dockerfile_text: str | None = None
    # After the build: why each step ran (a CacheExplanation, or None when there is nothing to compare
    # with). Called in a thread worker with the model and the source.
    explain: Callable[[BuildModel, BuildSource], Any] | None = None


def dockerfile_text_of(analysis: Any) -> str | None:
    """The Dockerfile an analysis was made from, when it was read from a file."""
    if analysis is None or analysis.source_path is None:
        return None
    try:
        return Path(analysis.source_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def check_excerpt(dockerfile_text: str | None, line: int | None, around: int = 3) -> list[str]:
    """The Dockerfile lines around a build check's line, numbered, the line itself marked ``>``."""
    if not dockerfile_text or not line:
        return ["(the check names no Dockerfile line)" if not line else "(the Dockerfile is not known)"]
    lines = dockerfile_text.split("\n")  # as BuildKit numbers them
    first, last = max(1, line - around), min(len(lines), line + around)
    return [f"{'>' if number == line else ' '} {number:>4} | {lines[number - 1]}" for number in range(first, last + 1)]


class BuildColumn(Vertical):
    """One build: header, stage panes (a wrapping grid), failure panel and timeline."""

    def __init__(self, run: BuildRun, *, id: str | None = None, on_states: Callable[[dict[str, str]], None] | None = None) -> None:
        super().__init__(id=id)
        self.run = run
        self.on_states = on_states
        self.feed: BuildFeed | None = None
        self.model: BuildModel | None = None
        self.clock = EngineClock()

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield BuildHeader(self.run.title, id="header", clock=self.now)
        yield CacheSummary(id="cache-summary")
        with VerticalScroll(id="body"):
            yield Grid(id="panes")
            yield FailurePanel(id="failure")
        yield Timeline(id="timeline", clock=self.now)

    def now(self) -> float:
        """Now on the engine's clock (see ``EngineClock``)."""
        return self.clock.now()

    def _pane(self, stage) -> StagePane:
        return StagePane(self._pane_data(stage), clock=self.now)

    def _pane_data(self, stage):
        """A lane of a multi-platform build that ends without steps says which lane ran them; once the
        build ended, the cache explanation's marks and the stage's line."""
        note = self.model.no_steps_note(stage) if stage.platform else ""
        why = stage_summary(self.explanation, stage.name) if self.explanation is not None else ""
        return pane_data(stage, note=note, marks=self._marks, why=why)

    @property
    def panes(self) -> dict[str, StagePane]:
        """The stages' panes by lane key (not the engine's pane)."""
        return {pane.data.key: pane for pane in self.query(StagePane) if not isinstance(pane, EnginePane)}

    def on_mount(self) -> None:
        self.start()

    def on_resize(self) -> None:
        self._fit_grid()

    def _fit_grid(self) -> None:
        grid = self.query_one("#panes", Grid)
        count = max(1, len(grid.children))
        width = self.size.width or 80
        columns = max(1, min(count, width // PANE_WIDTH))
        lanes = len(self.model.platforms) if self.model is not None else 0
        if lanes > 1 and columns >= lanes:
            columns -= columns % lanes  # a multi-platform build: a stage's lanes side by side, one row each
        grid.styles.grid_size_columns = columns

    def focus_panes(self) -> None:
        """Focus the first running stage's pane, else the first pane."""
        panes = sorted(self.panes.values(), key=lambda pane: pane.data.state != "running")
        if panes:
            panes[0].focus()

    # -- the build -----------------------------------------------------------------------
    def start(self) -> None:
        """Start (or restart) the build: a fresh model, a fresh feed, a thread worker."""
        if self.feed is not None:
            self.feed.cancel()
        self.model = BuildModel(self.run.analysis)
        self._stage_states = {stage.key: stage.state for stage in self.model.stages}
        self._failed_seen: set[str] = set()
        self._ended_posted = False
        self._note = ""
        self._most_at_once = 0
        self._engine = ""
        self._context_progress: tuple[str, int, int] | None = None
        self._show_explanation(None)
        grid = self.query_one("#panes", Grid)
        grid.remove_children()
        self.query(EnginePane).remove()
        grid.mount_all([self._pane(stage) for stage in self.model.stages])
        self.query_one(FailurePanel).update_data(None)
        self._fit_grid()
        try:
            source = self.run.start()
        except Exception as error:  # noqa: BLE001 - e.g. the engine is down: show it, don't crash
            source = EventListSource([BuildFailed(message=f"could not start the build: {error}")])
        self._source = source
        self.clock = EngineClock(source.clock_rate)
        source.context_progress = self._on_context_progress
        # Which engine it runs (or ran) on: may ask the engine or read a file, so off the UI thread.
        self.run_worker(lambda: self._learn_engine(source), thread=True, group="engine-info", exit_on_error=False)
        feed = BuildFeed(source, self.model, lambda batch: self.post_message(BuildProgressed(batch, feed)))
        self.feed = feed
        self._refresh_figures()
        self.post_message(BuildStarted(self.model, self.run.title))
        self.run_worker(feed.run, thread=True, group="build", name=f"build:{self.run.title}", exit_on_error=False)

    def _learn_engine(self, source: BuildSource) -> None:
        info = source.engine_info()
        if info is not None:
            self.app.call_from_thread(self._show_engine, info.headline(recorded=source.recorded))

    def _show_engine(self, label: str) -> None:
        self._engine = label
        if self.is_attached and self.feed is not None:
            with self.feed.lock:
                self._refresh_figures()

    def cancel(self) -> None:
        if self.feed is not None and self.feed.running:
            self._note = "cancelling…"
            self.feed.cancel()
            self._refresh_figures()

    @property
    def running(self) -> bool:
        """The build has not ended (its last batch may still be on its way to the screen)."""
        return self.feed is not None and self.feed.running and not self._ended_posted

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.cancel()

    # -- batches from the feed -----------------------------------------------------------
    @on(BuildProgressed)
    def _on_progress(self, message: BuildProgressed) -> None:
        message.stop()
        feed = message.feed
        try:
            if feed is self.feed:
                self._apply(message.batch)
        finally:
            # The next batch may go once this one is painted (the reader yields until then).
            self.call_after_refresh(feed.taken)

    def _apply(self, batch) -> None:
        feed, model = self.feed, self.model
        log_view = self._log_view()
        with feed.lock:
            stages = {stage.key: stage for stage in model.stages}
            touched = set(batch.stages)
            for step in batch.steps.values():
                self.clock.observe(step.completed or step.started)
                touched.add(step.lane)
            touched.update(entry.step.lane for entry in batch.logs.values())
            panes = self.panes
            grid = self.query_one("#panes", Grid)
            engine_pane = next(iter(self.query(EnginePane)), None)
            self._add_and_remove_panes(stages, panes, grid)
            for name in touched:
                if name in panes and name in stages:
                    panes[name].update_data(self._pane_data(stages[name]))
            self._update_engine_pane(grid, engine_pane)
            # The full log, if it shows one of these steps.
            if log_view is not None and log_view.owner is self and log_view.digest in batch.logs:
                entry = batch.logs[log_view.digest]
                if entry.truncated:
                    step = entry.step
                    log_view.show_step(self, step.digest, step.name, list(step.log.lines), step.log.dropped)
                else:
                    log_view.append_lines(list(entry.lines))
            if batch.mismatches:
                # The full sentences stay in model.plan_mismatch; the header only flags them.
                count = len(model.plan_mismatch) or len(batch.mismatches)
                classic = "classic builder: runs every stage"
                self._note = classic if self._source.classic else f"⚠ plan mismatch ({count})"
            if model.status == "failed" or any(step.state == "failed" for step in batch.steps.values()):
                self.query_one(FailurePanel).update_data(failure_data(model, self._dockerfile_text()))
            # Transitions first: the end of the build clears the note ("cancelling…") before the
            # header is drawn for the last time.
            events = self._transitions(stages, batch)
            self._refresh_figures()
        for event in events:
            self.post_message(event)
            if isinstance(event, BuildFinished) and self.run.explain is not None:
                self._explain(feed)
        if events and self._ended_posted:
            self.screen.refresh_bindings()  # "c Cancel" leaves the footer once the build ended
        if model.status == "failed":
            self.call_after_refresh(self._show_failure)

    def _add_and_remove_panes(self, stages: dict, panes: dict[str, StagePane], grid: Grid) -> None:
        """Panes for stages the analysis did not know; in a multi-platform build whose platforms
        were not declared, the lanes learned from the step names replace the stages (``panes``
        follows)."""
        new = [stage for name, stage in stages.items() if name not in panes]
        gone = [pane for name, pane in panes.items() if name not in stages]
        if not new and not gone:
            return
        for pane in gone:
            pane.remove()
            del panes[pane.data.key]
        keys = list(stages)
        for stage in new:  # in the model's order (a lane next to its stage's other lanes)
            following = (panes[key] for key in keys[keys.index(stage.key) + 1:] if key in panes)
            pane = self._pane(stage)
            grid.mount(pane, before=next(following, None))
            panes[stage.key] = pane
        self.call_after_refresh(self._fit_grid)

    def _update_engine_pane(self, grid: Grid, pane: EnginePane | None) -> None:
        """The engine's own steps (context, metadata, export, attestations) in a pane after the
        stages' (call under the feed lock)."""
        data = engine_pane_data(self.model)
        if data is None:
            return
        if pane is None:  # under the stages' grid, full width: its lines are long (digests, image names)
            self.query_one("#body", VerticalScroll).mount(EnginePane(data, clock=self.now), after=grid)
        elif pane.data != data:
            pane.update_data(data)

    def _transitions(self, stages: dict, batch) -> list:
        """Semantic messages for what changed since the previous batch."""
        out: list = []
        for name, stage in stages.items():
            old = self._stage_states.get(name, "planned")
            self._stage_states[name] = stage.state
            if old == "planned" and stage.state not in ("planned", "skipped"):
                out.append(StageStarted(stage))
        for step in batch.steps.values():
            if step.state == "failed" and step.digest not in self._failed_seen:
                self._failed_seen.add(step.digest)
                out.append(StepFailed(step))
        model = self.model
        if not self._ended_posted and (batch.finished or batch.ended):
            status = model.status
            if status in ("succeeded", "failed", "cancelled") or batch.ended:
                self._ended_posted = True
                self._note = "" if status != "running" else "the stream ended early"
                out.append(BuildStopped(model) if status == "cancelled" else BuildFinished(model))
        return out

    # -- why each step ran (the cache explanation) --------------------------------------
    def _explain(self, feed: BuildFeed) -> None:
        """Compare this build with the previous one, off the UI thread (it reads recordings)."""
        model, source, explain = self.model, self._source, self.run.explain

        def work() -> None:
            explanation, advice, note = None, [], getattr(source, "problem", None) or ""
            try:
                explanation = explain(model, source)
                if explanation is not None and self.run.analysis is not None:
                    advice = advise(explanation, self.run.analysis, context_files_of(source))
            except Exception as error:  # noqa: BLE001 - a damaged record must not take the build view down
                note = note or f"could not explain the build: {error}"
            self.app.call_from_thread(self._explained, feed, explanation, advice, note)

        self.run_worker(work, thread=True, group="explain", exit_on_error=False)

    def _explained(self, feed: BuildFeed, explanation: Any, advice: list, note: str) -> None:
        if feed is self.feed and self.is_attached:  # not a build that was replaced meanwhile
            self._show_explanation(explanation, advice, note)

    def _show_explanation(self, explanation: Any, advice: list | None = None, note: str = "") -> None:
        """Tags on the steps, a line per stage, the summary above the panes (None clears them)."""
        self.explanation, self.advice = explanation, advice or []
        self.query_one(CacheSummary).show(explanation, self.advice, note)
        self._marks = {}
        if explanation is None or self.feed is None:
            return
        with self.feed.lock:
            self._marks = step_marks(explanation, self.model.steps.values())
            panes = self.panes
            for stage in self.model.stages:
                if stage.key in panes:
                    panes[stage.key].update_data(self._pane_data(stage))
        self.screen.refresh_bindings()

    @on(StepExplainRequested)
    def _on_explain_requested(self, message: StepExplainRequested) -> None:
        message.stop()
        mark = self._marks.get(message.digest)
        if mark is None:
            self.notify("no explanation for this step (not compared with a previous build)", timeout=3)
            return
        self.app.push_screen(CauseScreen(mark.step, self.explanation, self.advice))

    def _show_failure(self) -> None:
        panel = self.query_one(FailurePanel)
        if panel.display and panel.has_class("-shown"):
            self.query_one("#body", VerticalScroll).scroll_to_widget(panel, animate=False)

    def _refresh_figures(self) -> None:
        """Header, timeline and graph states from the model (call under the feed lock)."""
        model = self.model
        self._most_at_once = max(self._most_at_once, len(model.running_steps()))
        header = header_data(model, self.run.title, self._context_note(), self._engine)
        if self._most_at_once > header.max_parallel:  # totals() counts finished steps only
            header = replace(header, max_parallel=self._most_at_once)
        self.query_one(BuildHeader).update_data(header)
        self.query_one(Timeline).update_data(timeline_data(model))
        if self.on_states is not None:
            self.on_states(model.stage_states())

    def _on_context_progress(self, phase: str, done: int, total: int) -> None:
        """From the build thread while the context is packed and sent (one tuple: atomic)."""
        self._context_progress = (phase, done, total)

    def _context_note(self) -> str:
        progress = self._context_progress
        if progress is None or self.model.status != "pending":
            return self._note
        phase, done, total = progress
        if phase == "tar":
            return f"packing the context: {done:,} files, {total / 1e6:.1f} MB"
        return f"sending the context: {done / 1e6:.1f} of {total / 1e6:.1f} MB"

    def tick(self) -> None:
        """Live timers: elapsed, running steps, the growing timeline."""
        if self.model is None or self.model.status not in ("running", "pending"):
            return
        if self._context_progress is not None and self.model.status == "pending":
            with self.feed.lock:
                self._refresh_figures()
        now = self.now()
        self.query_one(BuildHeader).tick()
        for pane in self.query(StagePane):
            pane.tick(now)
        self.query_one(Timeline).refresh()

    # -- the full log of a step, or a build check on its Dockerfile line ------------------
    def _dockerfile_text(self) -> str | None:
        text = self.run.dockerfile_text or self._source.dockerfile_text
        return text or dockerfile_text_of(self.run.analysis)

    def _log_view(self) -> LogView | None:
        try:
            return self.screen.query_one(LogView)
        except Exception:  # noqa: BLE001 - not mounted on a build screen (tests)
            return None

    def _show_in_log(self, key: str, title: str, lines: list[str], dropped: int = 0) -> None:
        log_view = self._log_view()
        if log_view is None:
            return
        log_view.display = True
        self.screen.add_class("-log-open")
        log_view.show_step(self, key, title, lines, dropped)
        log_view.log_lines.focus()

    @on(StepSelected)
    def _on_step_selected(self, message: StepSelected) -> None:
        message.stop()
        self.open_log(message.digest)

    @on(CheckSelected)
    def _on_check_selected(self, message: CheckSelected) -> None:
        """A build check, shown in the log view on its Dockerfile line with the lines around it."""
        message.stop()
        lines = check_excerpt(self._dockerfile_text(), message.line)
        self._show_in_log(f"check:{message.line}", f"build check: {message.text}", lines)

    def open_log(self, digest: str) -> None:
        if self.feed is None:
            return
        with self.feed.lock:
            step = self.model.steps.get(digest)
            if step is None:
                return
            lines, dropped, name = list(step.log.lines), step.log.dropped, step.name
        self._show_in_log(digest, name, lines, dropped)
