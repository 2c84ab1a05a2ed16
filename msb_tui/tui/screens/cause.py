"""Why one step ran instead of coming from the cache: the cause in plain words and its evidence
(files changed with sizes, a build arg old → new with secrets masked, the Dockerfile line before
and after, the base image digests), the cascade it belongs to, what it took, where the prediction
and BuildKit disagreed, and the reorder advice that would have kept it cached.

Opened from a stage pane with ``w`` once the build ended. Every value shown came from the
Dockerfile, the context or the user's build args: ``Text`` only, never markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from msb_tui.cache.advice import ReorderAdvice, cascade_origin
from msb_tui.cache.explain import CacheExplanation, Cause, StepExplanation, describe
from msb_tui.durations import format_duration
from msb_tui.sanitize import safe_text

FILES_SHOWN = 500
"""Changed files listed in the table (a checkout of another branch can change thousands)."""


def _clean(value: Any) -> Text:
    return safe_text("" if value is None else str(value), keep_colours=False)


def _size(value: Any) -> str:
    """Exact bytes: a one-line edit must show (1,200 → 1,240, not 1.2 kB → 1.2 kB)."""
    return f"{value:,}" if isinstance(value, int) else "–"


def _line(label: str, value: Any, style: str = "") -> Text:
    text = Text(f"{label:<11}", style="bold")
    body = value if isinstance(value, Text) else _clean(value)
    body.stylize(style)
    text.append_text(body)
    return text


class CauseScreen(ModalScreen):
    """The explanation of one step (see module docstring). Escape or q closes it."""

    CSS_PATH = "cause.tcss"
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
    ]

    def __init__(self, step: StepExplanation, explanation: CacheExplanation, advice: list[ReorderAdvice]) -> None:
        super().__init__()
        self.step = step
        self.steps = explanation.steps
        self.disagreement = next((d for d in explanation.disagreements if d.step == step.id), None)
        self.advice = [item for item in advice
                       if item.stage == step.stage and step.line in (item.install_line, item.copy_line)]

    def compose(self) -> ComposeResult:
        step = self.step
        with Vertical(id="cause-dialog"):
            verdict = "ran" if step.ran else "came from the cache" if step.ran is False else "(did not finish)"
            title = Text(f"Why {step.label} ", style="bold")
            title.append_text(_clean(step.instruction))
            title.append(f" {verdict}")
            title.truncate(200, overflow="ellipsis")
            yield Static(title, id="cause-title")
            with VerticalScroll(id="cause-body"):
                yield Static(self._summary(), id="cause-summary")
                files = list(step.detail.get("changes") or ()) if step.cause == Cause.FILES_CHANGED else []
                if files:
                    yield self._files_table(files)
                extra = self._evidence()
                if extra.plain:
                    yield Static(extra, id="cause-evidence")
                yield Static(self._cascade(), id="cause-cascade")
                for item in self.advice:
                    yield Static(self._advice(item), classes="cause-advice")
            yield Footer(compact=True)

    def _summary(self) -> Text:
        step = self.step
        lines = [_line("step", step.instruction)]
        where = f"line {step.line}" if step.line is not None else "no Dockerfile line"
        took = f", took {format_duration(step.seconds)}" if step.ran and step.seconds is not None else ""
        lines.append(_line("where", f"{where}{took}"))
        names = {other.id: f"{other.label} {other.instruction}" for other in self.steps}
        lines.append(_line("cause", describe(step, names=names), "bold"))
        if self.disagreement is not None:
            lines.append(_line("prediction", f"≠ {self.disagreement.message}", "bold red"))
        else:
            lines.append(_line("prediction", f"{step.predicted} (BuildKit agreed)"))
        return Text("\n").join(lines)

    def _files_table(self, files: list[dict]) -> DataTable:
        table = DataTable(id="cause-files", cursor_type="row", zebra_stripes=True)
        table.add_columns("changed file", "change", "bytes before", "bytes after")
        for change in files[:FILES_SHOWN]:
            table.add_row(_clean(change.get("path")), Text(str(change.get("kind") or "")),
                          Text(_size(change.get("old_size")), justify="right"),
                          Text(_size(change.get("new_size")), justify="right"))
        more = int(self.step.detail.get("count") or len(files)) - min(len(files), FILES_SHOWN)
        if more > 0:
            table.add_row(Text(f"… {more:,} more", style="italic"), Text(""), Text(""), Text(""))
        return table

    def _evidence(self) -> Text:
        """Args, Dockerfile line, base image: old → new."""
        step, detail = self.step, self.step.detail
        lines: list[Text] = []
        if step.cause == Cause.ARG_CHANGED:  # secret values were masked when the build was recorded
            text = _line("env" if detail.get("kind") == "env" else "build arg", detail.get("name"), "bold")
            for label, key in (("\nbefore     ", "old"), ("\nnow        ", "new")):
                text.append(label, style="bold")
                value = detail.get(key)
                text.append_text(_clean(value) if value is not None else Text("(unset)", style="italic"))
            lines.append(text)
        elif step.cause == Cause.LINE_CHANGED:
            if detail.get("changed_line") not in (None, step.line):
                lines.append(_line("line", detail.get("changed_line")))
            lines.append(_line("before", detail.get("old") if detail.get("old") is not None else "(no such line)", "red"))
            lines.append(_line("now", detail.get("new"), "green"))
        elif step.cause == Cause.BASE_CHANGED:
            lines.append(_line("image", detail.get("image")))
            lines.append(_line("before", detail.get("old")))
            lines.append(_line("now", detail.get("new")))
        return Text("\n").join(lines)

    def _cascade(self) -> Text:
        """Where this step sits in a cascade of re-runs: what started it, what followed."""
        step = self.step
        if not step.ran:
            return Text("came from the cache: nothing it depends on changed", style="italic")
        origin = cascade_origin(step, self.steps) or step
        followers = [s for s in self.steps if s.ran and s.cause == Cause.PARENT_RAN
                     and cascade_origin(s, self.steps) is origin]
        if origin is step:
            text = Text("started a cascade: ", style="bold")
            text.append(f"{len(followers)} step{'' if len(followers) == 1 else 's'} ran after it")
        else:
            text = Text("in a cascade started by ", style="bold")
            text.append_text(_clean(f"{origin.label} {origin.instruction}"))
            text.append(f" (line {origin.line})")
        for follower in followers[:12]:
            text.append("\n  ↳ ")
            text.append_text(_clean(f"{follower.label} {follower.instruction}"))
            if follower.seconds is not None:
                text.append(f"  {format_duration(follower.seconds)}", style="dim")
        if len(followers) > 12:
            text.append(f"\n  … {len(followers) - 12} more")
        spent = sum(s.seconds or 0.0 for s in followers) + (origin.seconds or 0.0)
        if spent:
            text.append(f"\nthe cascade took {format_duration(spent)} of step time")
        return text

    def _advice(self, item: ReorderAdvice) -> Text:
        text = Text("How to keep it cached (CacheBustingCopy)\n", style="bold")
        text.append_text(_clean(item.summary()))
        text.append("\n")
        for line in item.suggestion:
            text.append("\n    ")
            text.append_text(_clean(line))
        return text
