"""Show a Dockerfile with line numbers and syntax colours, built as Rich ``Text`` (never markup).

The tokenizer is deliberately tiny: instruction keywords, ``--flags``, quoted strings, ``$VARS`` and
comments, with line continuations tracked so a continued ``RUN`` line is not read as an instruction.
Dockerfile text is untrusted: control sequences are stripped and brackets stay literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from msb_tui.sanitize import plain

KEYWORDS = frozenset(
    "FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD "
    "STOPSIGNAL HEALTHCHECK SHELL".split()
)


@dataclass(frozen=True)
class Palette:
    keyword: str = "bold #c678dd"
    flag: str = "#56b6c2"
    string: str = "#98c379"
    variable: str = "#e5c07b"
    comment: str = "italic #7f848e"
    stage: str = "bold #61afef"
    number: str = "#7f848e"
    highlight: str = "on #2c313a"
    finding: str = "bold #e06c75"


DARK = Palette()
LIGHT = Palette(
    keyword="bold #a626a4",
    flag="#0184bc",
    string="#50a14f",
    variable="#986801",
    comment="italic #8a8a8a",
    stage="bold #4078f2",
    number="#8a8a8a",
    highlight="on #e5e9f0",
    finding="bold #e45649",
)

_TOKEN = re.compile(
    r"""(?P<flag>(?<![^\s])--[A-Za-z][\w-]*(?:=(?:"[^"]*"|'[^']*'|\S*))?)"""
    r"""|(?P<string>"(?:\\.|[^"\\])*"?|'[^']*'?)"""
    r"""|(?P<variable>\$\{[^}\s]*\}?|\$[A-Za-z_][A-Za-z0-9_]*)"""
)
_HEAD = re.compile(r"^(\s*)([A-Za-z]+)(\s|$)")
_AS = re.compile(r"(\s)(AS|as|As|aS)(\s+)(\S+)\s*$")


def _highlight_body(out: Text, body: str, palette: Palette) -> None:
    position = 0
    for match in _TOKEN.finditer(body):
        if match.start() > position:
            out.append(body[position : match.start()])
        out.append(match.group(), style=getattr(palette, match.lastgroup or "string"))
        position = match.end()
    out.append(body[position:])


def highlight_line(line: str, *, continuation: bool = False, palette: Palette = DARK) -> tuple[Text, bool]:
    """Colour one Dockerfile line; returns the ``Text`` and whether the next line continues this one."""
    line = plain(line)
    out = Text(no_wrap=True, end="")
    stripped = line.strip()
    if stripped.startswith("#"):
        out.append(line, style=palette.comment)
        return out, continuation
    body = line
    head = None if continuation else _HEAD.match(line)
    if head and head.group(2).upper() in KEYWORDS:
        out.append(head.group(1))
        out.append(head.group(2), style=palette.keyword)
        body = line[head.end(2) :]
        if head.group(2).upper() == "FROM":
            alias = _AS.search(body)
            if alias:
                _highlight_body(out, body[: alias.start()], palette)
                out.append(alias.group(1))
                out.append(alias.group(2), style=palette.keyword)
                out.append(alias.group(3))
                out.append(alias.group(4), style=palette.stage)
                out.append(body[alias.end(4) :])
                return out, stripped.endswith("\\")
    _highlight_body(out, body, palette)
    return out, stripped.endswith("\\") or (continuation and not stripped)


def highlight_dockerfile(text: str, palette: Palette = DARK) -> list[Text]:
    """Every line of a Dockerfile, coloured (one ``Text`` per line, no trailing newline)."""
    lines: list[Text] = []
    continuation = False
    for line in text.splitlines():
        coloured, continuation = highlight_line(line, continuation=continuation, palette=palette)
        lines.append(coloured)
    return lines


def numbered(lines: list[Text], first: int, last: int, *, width: int, palette: Palette,
             marks: dict[int, str] | None = None) -> Text:
    """Lines ``first``..``last`` (1-based, inclusive) with a line-number gutter, as one ``Text``."""
    out = Text(no_wrap=True, end="")
    marks = marks or {}
    for number in range(max(1, first), min(len(lines), last) + 1):
        mark = marks.get(number)
        out.append(f"{number:>{width}} ", style=palette.number)
        out.append("● " if mark else "  ", style=palette.finding if mark else "")
        out.append_text(lines[number - 1])
        out.append("\n")
    out.rstrip()
    return out


class DockerfileView(ScrollView, can_focus=True):
    """The whole Dockerfile, numbered, with one line range highlighted (the selected stage)."""

    DEFAULT_CSS = """
    DockerfileView { height: 1fr; }
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._source = text
        self._palette = DARK
        self._lines: list[Text] = []
        self._highlight: tuple[int, int] | None = None
        self._marks: dict[int, str] = {}
        self._pending_scroll: int | None = None
        self._recolour()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _: self._on_theme(), init=True)

    def _on_theme(self) -> None:
        palette = DARK if self.app.current_theme.dark else LIGHT
        if palette is not self._palette:
            self._palette = palette
            self._recolour()
            self.refresh()

    def _recolour(self) -> None:
        self._lines = highlight_dockerfile(self._source, self._palette)
        gutter = len(str(max(1, len(self._lines)))) + 3
        width = gutter + max((line.cell_len for line in self._lines), default=0)
        self.virtual_size = Size(width, len(self._lines))

    def set_text(self, text: str) -> None:
        self._source = text
        self._recolour()
        self.refresh()

    def set_marks(self, marks: dict[int, str]) -> None:
        """Lines with lint findings (line number -> severity), marked in the gutter."""
        self._marks = dict(marks)
        self.refresh()

    def show_lines(self, start: int | None, end: int | None) -> None:
        """Highlight lines ``start``..``end`` (1-based) and scroll them into view."""
        if start is None:
            self._highlight = None
        else:
            self._highlight = (start, end or start)
            # A view in a hidden tab (or mounted a moment ago) has no size: scroll once it has one.
            self._pending_scroll = max(0, start - 2)
            self.call_after_refresh(self._apply_scroll)
        self.refresh()

    def _apply_scroll(self) -> None:
        if self._pending_scroll is not None and self.size.height > 0:
            self.scroll_to(y=self._pending_scroll, animate=False)
            self._pending_scroll = None

    def on_resize(self) -> None:
        self.call_after_refresh(self._apply_scroll)

    def on_show(self) -> None:
        self.call_after_refresh(self._apply_scroll)

    def line_text(self, number: int) -> str:
        return self._lines[number - 1].plain

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.size.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        number = index + 1
        gutter = len(str(max(1, len(self._lines))))
        row = Text(no_wrap=True, end="")
        row.append(f"{number:>{gutter}} ", style=self._palette.number)
        mark = self._marks.get(number)
        row.append("● " if mark else "  ", style=self._palette.finding if mark else "")
        row.append_text(self._lines[index])
        console = self.app.console
        segments = list(row.render(console, end=""))
        strip = Strip(segments, row.cell_len).crop(scroll_x, scroll_x + width)
        base = self.rich_style
        if self._highlight and self._highlight[0] <= number <= self._highlight[1]:
            base = base + Style.parse(self._palette.highlight)
        return strip.extend_cell_length(width).apply_style(base)
