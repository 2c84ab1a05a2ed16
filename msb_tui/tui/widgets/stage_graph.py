"""The stage graph widget: draws ``graph_layout`` output, lets the user pick a stage, shows live states.

Used on the home screen (static plan) and embedded by the build screen, which calls
``set_states({stage_display_name: state})`` as stages start and finish.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from msb_tui.builds.runs import State
from msb_tui.tui.graph_layout import GraphLayout, column_count, layout_graph, legend_rows
from msb_tui.tui.graph_nodes import edges_from_analysis, nodes_from_analysis

DARK_ROLES = {
    "header": "bold #7f848e",
    "box": "#abb2bf",
    "title-box": "bold #e6e6e6",
    "text-box": "#abb2bf",
    "box-target": "bold #61afef",
    "title-box-target": "bold #61afef",
    "text-box-target": "#dcdfe4",
    "box-dim": "#4b5263",
    "title-box-dim": "#5c6370",
    "text-box-dim": "italic #5c6370",
    "box-image": "#d19a66",
    "title-box-image": "bold #d19a66",
    "text-box-image": "#9b7a5a",
    "edge-from": "#abb2bf",
    "edge-copy": "#56b6c2",
    "edge-mount": "#e5c07b",
    "arrow": "#abb2bf",
}
LIGHT_ROLES = {
    "header": "bold #6a6a6a",
    "box": "#383a42",
    "title-box": "bold #202227",
    "text-box": "#383a42",
    "box-target": "bold #4078f2",
    "title-box-target": "bold #4078f2",
    "text-box-target": "#202227",
    "box-dim": "#b0b0b0",
    "title-box-dim": "#a0a1a7",
    "text-box-dim": "italic #a0a1a7",
    "box-image": "#b35c00",
    "title-box-image": "bold #b35c00",
    "text-box-image": "#8a5a2a",
    "edge-from": "#383a42",
    "edge-copy": "#0184bc",
    "edge-mount": "#986801",
    "arrow": "#383a42",
}
STATE_STYLES = {
    State.RUNNING: "bold #e5c07b",
    State.DONE: "#98c379",
    State.CACHED: "#56b6c2",
    State.FAILED: "bold #e06c75",
    State.CANCELLED: "#d19a66",
    State.INTERRUPTED: "#d19a66",
    State.SKIPPED: "#5c6370",
}


def only_needed(nodes: list, edges: list) -> tuple[list, list]:
    """The nodes the plan needs (and the images they use), with the edges between them."""
    kept = {node.key for node in nodes if node.kind == "stage" and node.needed}
    kept |= {edge.source for edge in edges if edge.target in kept and edge.source.startswith("image:")}
    return ([node for node in nodes if node.key in kept],
            [edge for edge in edges if edge.source in kept and edge.target in kept])


class StageGraph(ScrollView, can_focus=True):
    """Boxes and edges of the stage graph; arrow keys / click select a stage."""

    DEFAULT_CSS = """
    StageGraph { height: 1fr; }
    """
    BINDINGS = [
        Binding("up,k", "move('up')", "Up", show=False),
        Binding("down,j", "move('down')", "Down", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("enter", "activate", "Open", show=False),
    ]

    selected: reactive[str | None] = reactive(None, layout=False)

    class Selected(Message):
        """The selection moved to ``key`` (a stage's display name, or ``image:<ref>``)."""

        def __init__(self, graph: "StageGraph", key: str | None) -> None:
            super().__init__()
            self.graph = graph
            self.key = key

        @property
        def control(self) -> "StageGraph":
            return self.graph

    class Activated(Selected):
        """Enter (or a double click) on a node."""

    def __init__(self, analysis=None, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._analysis = analysis
        self._states: dict[str, str] = {}
        self._layout: GraphLayout | None = None
        self._laid_out_for: int | None = None
        self._legend: list[list[tuple[str, str]]] = []
        self.hide_skipped = False  # big graphs: only the stages the target needs (and their images)
        self._roles = DARK_ROLES

    # --- public API ---------------------------------------------------------------------------
    @property
    def layout_result(self) -> GraphLayout | None:
        return self._layout

    def set_analysis(self, analysis) -> None:
        self._analysis = analysis
        self._relayout(force=True)

    def set_states(self, states: dict[str, str]) -> None:
        """Colour stages with live build states (``{display_name: "running"|"done"|...}``)."""
        if states != self._states:
            self._states = dict(states)
            self._relayout(force=True)

    def toggle_skipped(self) -> bool:
        """Hide (or show again) the stages the target does not need; True when they are hidden now."""
        self.hide_skipped = not self.hide_skipped
        self._relayout(force=True)
        return self.hide_skipped

    def find(self, text: str, after: str | None = None) -> str | None:
        """Select the next stage (after ``after``, wrapping) whose name contains ``text``; its key, or None."""
        if not self._layout or not text:
            return None
        keys = [key for column in self._layout.columns for key in column]
        keys.sort(key=lambda key: self._layout.placed[key].node.order)
        start = keys.index(after) + 1 if after in keys else 0
        needle = text.lower()
        for key in keys[start:] + keys[:start]:
            if needle in self._layout.placed[key].node.title.lower():
                self.selected = key
                return key
        return None

    # --- layout -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _: self._on_theme(), init=True)
        self._relayout(force=True)

    def _on_theme(self) -> None:
        self._roles = DARK_ROLES if self.app.current_theme.dark else LIGHT_ROLES
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()
        self.refresh()  # every line: a narrower widget shows other boxes than before
        self._scroll_to_selected()

    def _scroll_to_selected(self) -> None:
        if self._layout is not None and self.selected in self._layout.placed:
            placed = self._layout.placed[self.selected]
            self.scroll_to_region(Region(placed.x, placed.y, placed.width, placed.height), animate=False)

    def _box_geometry(self, columns: int) -> tuple[int, int]:
        """(box width, gap) so ``columns`` columns fit the widget when they can (else it scrolls)."""
        available = (self.size.width or 80) - 1
        columns = max(1, columns)
        for gap in (6, 5, 4):
            fit = (available - gap * (columns - 1)) // columns
            if fit >= 20:
                return min(30, fit), gap
        return max(14, (available - 4 * (columns - 1)) // columns), 4

    def _relayout(self, force: bool = False) -> None:
        if self._analysis is None:
            self._layout = None
            self.virtual_size = Size(0, 0)
            self.refresh()
            return
        width = self.size.width
        if not force and self._laid_out_for == width:
            return
        self._laid_out_for = width
        edges = edges_from_analysis(self._analysis)
        nodes = nodes_from_analysis(self._analysis, self._states, edges)
        if self.hide_skipped:
            nodes, edges = only_needed(nodes, edges)
        box_width, gap = self._box_geometry(max(1, column_count(nodes, edges)))
        self._layout = layout_graph(nodes, edges, box_width=box_width, gap=gap)
        self._legend = legend_rows(max(20, (self.size.width or 80) - 1))
        height = self._layout.height + (1 + len(self._legend) if self._legend else 0)
        legend_width = max((sum(len(t) for t, _ in row) for row in self._legend), default=0)
        self.virtual_size = Size(max(self._layout.width, legend_width), height)
        if self.selected not in self._layout.placed:
            self.selected = self._default_selection()
        self.refresh()
        # Open on the selection (the target): in a big graph it is often off-screen at first.
        self.call_after_refresh(self._scroll_to_selected)

    def _default_selection(self) -> str | None:
        layout = self._layout
        if not layout or not layout.placed:
            return None
        for key, placed in layout.placed.items():
            if placed.node.target:
                return key
        stages = [key for key, placed in layout.placed.items() if placed.node.kind == "stage"]
        return stages[-1] if stages else next(iter(layout.placed))

    def watch_selected(self, new: str | None) -> None:
        self._scroll_to_selected()
        self.post_message(self.Selected(self, new))

    # --- input --------------------------------------------------------------------------------
    def action_move(self, direction: str) -> None:
        if self._layout:
            self.selected = self._layout.neighbour(self.selected, direction)

    def action_activate(self) -> None:
        self.post_message(self.Activated(self, self.selected))

    def on_click(self, event) -> None:
        if not self._layout:
            return
        x = event.x + int(self.scroll_offset.x)
        y = event.y + int(self.scroll_offset.y)
        key = self._layout.node_at(x, y)
        if key is not None:
            self.focus()
            if key == self.selected and getattr(event, "chain", 1) >= 2:
                self.action_activate()
            self.selected = key

    # --- drawing ------------------------------------------------------------------------------
    def _style(self, role: str, node: str | None) -> Style:
        style = Style.parse(self._roles.get(role, "")) if role else Style()
        if node is not None:
            state = self._states.get(node)
            if state in STATE_STYLES and role.startswith(("box", "title-box")):
                style = style + Style.parse(STATE_STYLES[state])
            if node == self.selected:
                if role.startswith("title"):
                    style = style + Style(reverse=True, bold=True)
                else:
                    style = style + Style(bold=True)
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        row = y + scroll_y
        base = self.rich_style
        layout = self._layout
        text = Text(no_wrap=True, end="")
        if layout is None:
            if row == 0:
                text.append("no stages to draw", style="italic")
        elif row < layout.height:
            for chunk, role, node in layout.runs(row):
                text.append(chunk, style=self._style(role, node))
        elif self._legend and layout.height + 1 <= row < layout.height + 1 + len(self._legend):
            for chunk, role in self._legend[row - layout.height - 1]:
                text.append(chunk, style=Style.parse(self._roles.get(role, "")) if role else Style())
        else:
            return Strip.blank(width, base)
        strip = Strip(list(text.render(self.app.console, end="")), text.cell_len)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width).apply_style(base)
