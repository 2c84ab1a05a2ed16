"""The lines above the stage panes once a build ended: why its steps ran instead of coming from the
cache (the first cause and its cascade), how the prediction fared against BuildKit, and the reorder
advice with what it would have saved. Hidden until there is something to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from msb_tui.cache.advice import ReorderAdvice
from msb_tui.cache.explain import CacheExplanation
from msb_tui.sanitize import safe_text
from msb_tui.tui.cache_marks import build_summary


class CacheSummary(Static):
    """``show(explanation, advice)``; ``show(None, note=...)`` says why there is no explanation."""

    def on_mount(self) -> None:
        self.display = False

    def show(self, explanation: CacheExplanation | None, advice: list[ReorderAdvice] = (), note: str = "") -> None:
        if explanation is None and not note:
            self.display = False
            return
        text = Text("why: ", style="bold")
        text.append_text(safe_text(build_summary(explanation, list(advice)) if explanation is not None else note,
                                   keep_colours=False))
        for item in advice:
            text.append("\n⚑ ", style="bold")
            text.append_text(safe_text(item.summary(), keep_colours=False))
        if explanation is not None:
            text.append("  (w on a step: why it ran)", style="dim")
        self.update(text)
        self.display = True
