"""A step's full log: a virtual list (only visible lines are rendered), bounded, searchable.

``LogLines`` keeps at most ``max_lines`` lines (the model's ``LogTail`` bounds them upstream too),
takes them in batches, renders only what is on screen (so a flood costs nothing off-screen) and
follows the end while the user is at the bottom. ``LogView`` adds a title and search: ``/`` opens
the search box, enter finds, ``n``/``N`` jump to the next/previous match. Lines are untrusted:
controls are stripped and colours kept via ``safe_text``; nothing is markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from msb_tui.sanitize import plain, safe_text, strip_controls

MAX_LINES = 5000


class LogLines(ScrollView, can_focus=True):
    """Virtual list of log lines with line numbers and search highlights."""

    DEFAULT_CSS = """
    LogLines { height: 1fr; background: $surface; }
    LogLines > .log-lines--number { color: $text-muted; }
    LogLines > .log-lines--match { background: $warning 40%; }
    LogLines > .log-lines--current { background: $accent 40%; text-style: bold; }
    """
    COMPONENT_CLASSES = {"log-lines--number", "log-lines--match", "log-lines--current"}

    def __init__(self, *, max_lines: int = MAX_LINES, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.max_lines = max_lines
        self.lines: list[str] = []  # the kept tail of the step's log
        self._plain: list[str | None] = []  # lower-cased plain text, computed on first search
        self.first_number = 1  # line number of lines[0] in the step's whole log
        # The horizontal scroll range: len() is exact for the usual ASCII logs (wide characters
        # only make it a little short) and far cheaper than measuring cells.
        self._width = 0
        self.query = ""
        self.current: int | None = None  # index into lines of the current match
        self.follow = True  # stick to the end as lines arrive (until the user scrolls up)

    # -- content -------------------------------------------------------------------------
    def set_lines(self, lines: Iterable[str], first_number: int = 1) -> None:
        self.lines = list(lines)[-self.max_lines :]
        self._plain = [None] * len(self.lines)
        self.first_number = first_number
        self.current = None
        self._width = max(map(len, self.lines), default=0)
        self._resize()
        self._to_end()
        self.refresh()

    def _to_end(self) -> None:
        self.follow = True
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.follow = new_value >= self.max_scroll_y - 0.5

    def append_lines(self, lines: list[str]) -> None:
        if not lines:
            return
        follow = self.follow and self.current is None
        self.lines.extend(lines)
        self._plain.extend([None] * len(lines))
        self._width = max(self._width, *map(len, lines))
        excess = len(self.lines) - self.max_lines
        if excess > self.max_lines // 4 or (excess > 0 and len(lines) >= self.max_lines):
            del self.lines[:excess]
            del self._plain[:excess]
            self.first_number += excess
            if self.current is not None:
                self.current = self.current - excess if self.current >= excess else None
            if not follow:
                self.scroll_to(y=max(0, self.scroll_y - excess), animate=False, immediate=True, force=True)
        self._resize()
        if follow:
            self._to_end()
        self.refresh()

    def _resize(self) -> None:
        gutter = len(str(self.first_number + len(self.lines))) + 3
        self.virtual_size = Size(self._width + gutter, len(self.lines))

    # -- search --------------------------------------------------------------------------
    def _plain_line(self, index: int) -> str:
        text = self._plain[index]
        if text is None:
            text = self._plain[index] = plain(self.lines[index]).lower()
        return text

    def find(self, query: str, *, forward: bool = True, start: int | None = None) -> int | None:
        """Index of the next (or previous) line containing ``query`` (case-insensitive), wrapping."""
        self.query = query
        needle = query.lower()
        count = len(self.lines)
        if not needle or not count:
            self.current = None
            self.refresh()
            return None
        if start is None:
            if self.current is not None:
                start = self.current + (1 if forward else -1)
            else:
                start = int(self.scroll_y) if forward else int(self.scroll_y) + self.size.height - 1
        step = 1 if forward else -1
        for offset in range(count):
            index = (start + step * offset) % count
            if needle in self._plain_line(index):
                self.current = index
                self.scroll_to(y=max(0, index - self.size.height // 2), animate=False, immediate=True, force=True)
                self.refresh()
                return index
        self.current = None
        self.refresh()
        return None

    # -- rendering -----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.lines):
            return Strip([Segment(" " * width, base)], width)
        number_width = len(str(self.first_number + len(self.lines)))
        number_text = f"{self.first_number + index:>{number_width}} │ "
        number_style = self.get_component_rich_style("log-lines--number")
        raw = self.lines[index]
        matched = bool(self.query) and self.query.lower() in self._plain_line(index)
        cleaned = strip_controls(raw)
        if not matched and "\x1b" not in cleaned:
            # The common case (plain text, no match): segments directly, no Rich layout.
            strip = Strip([Segment(number_text, number_style), Segment(cleaned)])
        else:
            number = Text(number_text, style=number_style)
            body = safe_text(raw)
            body.no_wrap = True
            if matched:
                style = self.get_component_rich_style("log-lines--current" if index == self.current else "log-lines--match")
                lowered = body.plain.lower()
                needle = self.query.lower()
                position = lowered.find(needle)
                while position >= 0:
                    body.stylize(style, position, position + len(needle))
                    position = lowered.find(needle, position + max(1, len(needle)))
                if index == self.current:
                    number.stylize(style)
            strip = Strip((number + body).render(self.app.console)).simplify()
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base)


class LogView(Vertical):
    """The full log of one step, with a title line and ``/``-search."""

    class Closed(Message):
        """The user closed the log (escape)."""

    DEFAULT_CSS = """
    LogView { height: 1fr; border-top: solid $accent; }
    LogView #log-title { height: 1; padding: 0 1; background: $boost; }
    LogView #log-search { display: none; height: 3; }
    LogView.-searching #log-search { display: block; }
    """

    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("n", "next_match(1)", "Next match"),
        Binding("N", "next_match(-1)", "Prev match", key_display="N"),
        Binding("escape", "close", "Close log", show=True),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.digest: str | None = None
        self.owner: object | None = None  # the build column whose step is shown
        self._title = ""
        self._note = ""

    def compose(self):
        yield Static(id="log-title")
        yield LogLines(id="log-lines")
        yield Input(placeholder="search the log (enter: find, escape: close)", id="log-search")

    @property
    def log_lines(self) -> LogLines:
        return self.query_one(LogLines)

    def show_step(self, owner: object, digest: str, title: str, lines: Iterable[str], dropped: int = 0) -> None:
        """Show a step's log: ``lines`` is its kept tail, ``dropped`` how many came before it."""
        self.owner, self.digest = owner, digest
        self._title = title
        self.log_lines.set_lines(lines, first_number=dropped + 1)
        self._note = f"{dropped} earlier lines not kept" if dropped else ""
        self._update_title()

    def append_lines(self, lines: list[str]) -> None:
        self.log_lines.append_lines(lines)
        self._update_title()

    def _update_title(self) -> None:
        # Figures first, the (long, untrusted) step name last: a narrow title cuts the name only.
        log = self.log_lines
        title = Text("log ", style="bold")
        title.append(f"{len(log.lines)} lines", style="dim")
        if self._note:
            title.append(f" ({self._note})", style="dim")
        if log.query:
            found = "no match" if log.current is None else f"line {log.first_number + log.current}"
            title.append("  /")
            title.append_text(Text(log.query))
            title.append(f": {found}", style="dim")
        title.append("  ")
        title.append_text(safe_text(self._title, keep_colours=False))
        title.no_wrap = True
        title.overflow = "ellipsis"
        self.query_one("#log-title", Static).update(title, layout=False)  # fixed height 1

    def action_search(self) -> None:
        self.add_class("-searching")
        box = self.query_one("#log-search", Input)
        box.value = self.log_lines.query
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.log_lines.current = None
        self.log_lines.find(event.value, forward=True)
        self.remove_class("-searching")
        self.log_lines.focus()
        self._update_title()

    def action_next_match(self, direction: int) -> None:
        if self.log_lines.query:
            self.log_lines.find(self.log_lines.query, forward=direction > 0)
            self._update_title()

    def action_close(self) -> None:
        if self.has_class("-searching"):
            self.remove_class("-searching")
            self.log_lines.focus()
            return
        self.display = False
        self.digest = None
        self.post_message(self.Closed())
        owner = self.owner
        self.owner = None
        focus_back = getattr(owner, "focus_panes", None)
        if focus_back is not None:
            focus_back()
