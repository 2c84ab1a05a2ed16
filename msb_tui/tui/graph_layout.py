"""Lay out a stage graph on a character grid: boxes in columns by wave, edges drawn with box-drawing lines.

Pure code (no Textual, no Rich): the widget only maps each cell's ``role`` to a style. Columns follow
the plan's waves (external images to the left of the stages that use them), rows are aligned with a
node's parents so chains read as straight lines. Edge kinds stay distinguishable without colour:
``FROM`` solid (``─ │``), ``COPY --from`` dashed (``╌ ╎``), ``RUN --mount from=`` dotted (``┈ ┊``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import reduce
from itertools import groupby, pairwise
from operator import or_


EDGE_FROM = "from"
EDGE_COPY = "copy"
EDGE_MOUNT = "mount"

# Line characters per edge kind: horizontal, vertical.
_LINES = {
    EDGE_FROM: ("─", "│"),
    EDGE_COPY: ("╌", "╎"),
    EDGE_MOUNT: ("┈", "┊"),
}
_UP, _DOWN, _LEFT, _RIGHT = 1, 2, 4, 8
_JOINS = {
    _DOWN | _RIGHT: "╭",
    _DOWN | _LEFT: "╮",
    _UP | _RIGHT: "╰",
    _UP | _LEFT: "╯",
    _UP | _DOWN | _RIGHT: "├",
    _UP | _DOWN | _LEFT: "┤",
    _LEFT | _RIGHT | _DOWN: "┬",
    _LEFT | _RIGHT | _UP: "┴",
    _UP | _DOWN | _LEFT | _RIGHT: "┼",
}
# Box borders: (top-left, top-right, bottom-left, bottom-right, horizontal, vertical).
_BORDERS = {
    "stage": ("╭", "╮", "╰", "╯", "─", "│"),
    "target": ("╔", "╗", "╚", "╝", "═", "║"),
    "image": ("┌", "┐", "└", "┘", "─", "│"),
}
ARROW = "▶"

BOX_HEIGHT = 4  # top border, two text lines, bottom border
SLOT_HEIGHT = BOX_HEIGHT + 1  # one free corridor row under each box
HEADER_HEIGHT = 2


@dataclass(frozen=True)
class GraphNode:
    """One box: a stage (``kind="stage"``) or an external image (``kind="image"``)."""

    key: str
    title: str
    kind: str = "stage"
    lines: tuple[str, ...] = ()  # up to two text lines inside the box
    order: int = 0  # file order, to keep the drawing stable
    wave: int | None = None  # plan wave (0-based) for stages the target needs
    needed: bool = True
    target: bool = False


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    kind: str = EDGE_FROM


@dataclass
class Cell:
    char: str = " "
    role: str = ""  # "", "box", "box-target", "box-dim", "box-image", "title", "text", "edge-from", ...
    node: str | None = None  # the node a box cell belongs to (for clicks and selection)


@dataclass
class PlacedNode:
    node: GraphNode
    column: int
    slot: int
    x: int
    y: int
    width: int
    height: int = BOX_HEIGHT

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height


@dataclass
class GraphLayout:
    width: int
    height: int
    rows: list[list[Cell]]
    placed: dict[str, PlacedNode]
    columns: list[list[str]] = field(default_factory=list)  # node keys per column, top to bottom

    def text_lines(self) -> list[str]:
        """The drawing as plain strings (for tests and plain-text export)."""
        return ["".join(cell.char for cell in row).rstrip() for row in self.rows]

    def runs(self, y: int) -> list[tuple[str, str, str | None]]:
        """Row ``y`` as runs of (text, role, node) with equal role and node, for styling."""
        runs = groupby(self.rows[y], key=lambda cell: (cell.role, cell.node))
        return [("".join(cell.char for cell in cells), role, node) for (role, node), cells in runs]

    def node_at(self, x: int, y: int) -> str | None:
        for key, placed in self.placed.items():
            if placed.contains(x, y):
                return key
        return None

    def neighbour(self, key: str | None, direction: str) -> str | None:
        """The node to select when moving ``direction`` ("up", "down", "left", "right") from ``key``."""
        if not self.placed:
            return None
        if key not in self.placed:
            return self.columns[0][0] if self.columns and self.columns[0] else next(iter(self.placed))
        here = self.placed[key]
        step = -1 if direction in ("up", "left") else 1
        # Columns are never empty (layout_graph numbers only the used ones).
        col = here.column + step
        beside = self.columns[col] if 0 <= col < len(self.columns) else None
        if direction in ("up", "down"):
            column = self.columns[here.column]
            index = column.index(key) + step
            if 0 <= index < len(column):
                return column[index]
            # Wrap into the neighbouring column so every node is reachable with up/down alone.
            return beside[-1 if step < 0 else 0] if beside else key
        if not beside:
            return key
        return min(beside, key=lambda other: abs(self.placed[other].slot - here.slot))


def _drawable(nodes: list[GraphNode], edges: list[GraphEdge]) -> list[GraphEdge]:
    """The edges between two different nodes of ``nodes``."""
    keys = {node.key for node in nodes}
    return [edge for edge in edges
            if edge.source in keys and edge.target in keys and edge.source != edge.target]


def _columns(nodes: list[GraphNode], edges: list[GraphEdge]) -> dict[str, int]:
    """Column of each node: images at 0, stages after their parents and at least at their plan wave."""
    parents: dict[str, list[str]] = {node.key: [] for node in nodes}
    for edge in edges:
        parents[edge.target].append(edge.source)
    by_key = {node.key: node for node in nodes}
    column: dict[str, int] = {}
    visiting: set[str] = set()

    def place(key: str) -> int:
        if key in column:
            return column[key]
        if key in visiting:  # a cycle (an invalid Dockerfile): break it here
            return 0
        visiting.add(key)
        node = by_key[key]
        base = 0 if node.kind == "image" else 1
        if node.wave is not None:
            base = max(base, node.wave + 1)
        for parent in parents[key]:
            base = max(base, place(parent) + 1)
        visiting.discard(key)
        column[key] = base
        return base

    for node in nodes:
        place(node.key)
    # Close gaps (e.g. no external images at all): columns become 0..n-1.
    remap = {old: new for new, old in enumerate(sorted(set(column.values())))}
    return {key: remap[value] for key, value in column.items()}


def _slots(nodes: list[GraphNode], edges: list[GraphEdge], column: dict[str, int]) -> dict[str, int]:
    """Row slot of each node: as close as possible to the mean slot of its parents, in file order."""
    parents: dict[str, list[str]] = {node.key: [] for node in nodes}
    children: dict[str, list[str]] = {node.key: [] for node in nodes}
    for edge in edges:
        parents[edge.target].append(edge.source)
        children[edge.source].append(edge.target)
    slot: dict[str, int] = {}
    by_key = {node.key: node for node in nodes}
    ncols = max(column.values(), default=-1) + 1
    order = {node.key: node.order for node in nodes}
    for col in range(ncols):
        members = [node.key for node in nodes if column[node.key] == col]

        def desired(key: str) -> float:
            placed = [slot[p] for p in parents[key] if p in slot]
            return sum(placed) / len(placed) if placed else -1.0

        if col == 0:
            # Images and root stages: order them by the first stage that uses them.
            def first_use(key: str) -> tuple[int, int]:
                users = [order[c] for c in children[key]]
                return (min(users) if users else order[key], order[key])

            members.sort(key=first_use)
        else:
            # Needed stages first at equal height, so the path to the target stays straight.
            members.sort(key=lambda key: (desired(key), not by_key[key].needed, order[key]))
        last = -1
        for key in members:
            want = desired(key)
            last = slot[key] = max(last + 1, round(want) if want >= 0 else 0)
    return slot


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.rows = [[Cell() for _ in range(width)] for _ in range(height)]
        # The directions each edge kind left in a cell: a horizontal run of one kind crossing a
        # vertical run of another is drawn as a bridge (the horizontal line), not a junction.
        self.runs: list[list[dict[str, int]]] = [[{} for _ in range(width)] for _ in range(height)]
        self.boxed = [[False] * width for _ in range(height)]

    def put(self, x: int, y: int, char: str, role: str, node: str | None = None) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.rows[y][x] = Cell(char, role, node)

    def text(self, x: int, y: int, text: str, role: str, node: str | None, width: int) -> None:
        text = text if len(text) <= width else text[: max(0, width - 1)] + "…"
        for offset, char in enumerate(text):
            self.put(x + offset, y, char, role, node)

    def mark(self, x: int, y: int, bits: int, kind: str) -> None:
        if 0 <= x < self.width and 0 <= y < self.height and not self.boxed[y][x]:
            self.runs[y][x][kind] = self.runs[y][x].get(kind, 0) | bits

    def path(self, points: list[tuple[int, int]], kind: str) -> None:
        """An edge through ``points``, each leg horizontal or vertical."""
        for (x1, y1), (x2, y2) in pairwise(points):
            if y1 == y2:
                lo, hi = sorted((x1, x2))
                cells = [(x, y1, (_LEFT if x > lo else 0) | (_RIGHT if x < hi else 0)) for x in range(lo, hi + 1)]
            else:
                lo, hi = sorted((y1, y2))
                cells = [(x1, y, (_UP if y > lo else 0) | (_DOWN if y < hi else 0)) for y in range(lo, hi + 1)]
            for x, y, bits in cells if lo != hi else ():
                self.mark(x, y, bits, kind)

    def flush_lines(self) -> None:
        for y in range(self.height):
            for x in range(self.width):
                runs = self.runs[y][x]
                bits = reduce(or_, runs.values(), 0)
                if not bits:
                    continue
                # Solid wins at junctions so a merge never looks dashed by accident.
                kind = EDGE_FROM if EDGE_FROM in runs else next(iter(runs))
                across = [k for k, b in runs.items() if b == _LEFT | _RIGHT]
                if len(runs) == 2 and across and any(b == _UP | _DOWN for b in runs.values()):
                    kind = across[0]  # two kinds cross here: the horizontal one bridges the other
                    self.rows[y][x] = Cell(_LINES[kind][0], f"edge-{kind}", None)
                    continue
                horizontal, vertical = _LINES[kind]
                if bits in _JOINS:
                    char = _JOINS[bits]
                elif bits & (_LEFT | _RIGHT):
                    char = horizontal
                else:
                    char = vertical
                self.rows[y][x] = Cell(char, f"edge-{kind}", None)


def layout_graph(
    nodes: list[GraphNode],
    edges: list[GraphEdge],
    *,
    box_width: int = 22,
    gap: int = 6,
    column_titles: list[str] | None = None,
) -> GraphLayout:
    """Place ``nodes`` and route ``edges``; ``column_titles`` overrides the header of each column."""
    box_width = max(8, box_width)
    gap = max(4, gap)
    edges = _drawable(nodes, edges)
    if not nodes:
        return GraphLayout(0, 0, [], {}, [])
    column = _columns(nodes, edges)
    slot = _slots(nodes, edges, column)
    ncols = max(column.values()) + 1
    nslots = max(slot.values()) + 1
    width = ncols * box_width + (ncols - 1) * gap
    height = HEADER_HEIGHT + nslots * SLOT_HEIGHT
    canvas = _Canvas(width, height)

    def col_x(col: int) -> int:
        return col * (box_width + gap)

    placed: dict[str, PlacedNode] = {}
    for node in nodes:
        x, y = col_x(column[node.key]), HEADER_HEIGHT + slot[node.key] * SLOT_HEIGHT
        placed[node.key] = PlacedNode(node, column[node.key], slot[node.key], x, y, box_width)

    # Column headers: which wave runs there.
    has_images = any(node.kind == "image" and column[node.key] == 0 for node in nodes)
    for col in range(ncols):
        if column_titles and col < len(column_titles):
            title = column_titles[col]
        elif has_images and col == 0:
            title = "images"
        else:
            title = f"wave {col + (0 if has_images else 1)}"
        canvas.text(col_x(col), 0, title, "header", None, box_width)

    # Boxes first (edges never draw over them).
    for key, box in placed.items():
        node = box.node
        if node.kind == "image":
            style, role = "image", "box-image"
        elif node.target:
            style, role = "target", "box-target"
        else:
            style, role = "stage", "box" if node.needed else "box-dim"
        tl, tr, bl, br, h, v = _BORDERS[style]
        inside = box_width - 2
        middle = [v + " " * inside + v] * (BOX_HEIGHT - 2)
        lines = [tl + h * inside + tr, *middle, bl + h * inside + br]
        for dy, line in enumerate(lines):
            canvas.text(box.x, box.y + dy, line, role, key, box_width)
            canvas.boxed[box.y + dy][box.x : box.x + box_width] = [True] * box_width
        title = f" {node.title} "
        canvas.text(box.x + 1, box.y, title, "title-" + role, key, box_width - 2)
        for index, line in enumerate(node.lines[:2]):
            canvas.text(box.x + 2, box.y + 1 + index, line, "text-" + role, key, box_width - 4)

    # Route edges: out of the source's right side, along its row (or a free corridor row), down a lane
    # in the gap left of the target's column, into the target's left side with an arrow.
    lanes_used: Counter[int] = Counter()  # per column
    lane_of: dict[tuple[str, int], int] = {}
    exits: set[str] = set()
    entries: set[str] = set()
    lane_count = gap - 2
    ordered = sorted(edges, key=lambda e: (column[e.target], slot[e.target], column[e.source], slot[e.source]))
    for edge in ordered:
        src, dst = placed[edge.source], placed[edge.target]
        if dst.column <= src.column:
            continue  # cycles only (invalid input); never drawn backwards over boxes
        # FROM leaves and enters a box on its first text row, COPY --from and RUN --mount on the
        # second, so edges of different kinds never merge into one line (or one arrow).
        row = 0 if edge.kind == EDGE_FROM else 1
        exits.add(edge.source)
        entries.add(edge.target)
        sy = src.y + 1 + row
        ty = dst.y + 1 + row
        sx = src.x + box_width  # first cell right of the source box
        # One lane per target and kind: edges that merge there carry the same kind into the same arrow.
        if (edge.target, row) not in lane_of:
            lane_of[edge.target, row] = lanes_used[dst.column]
            lanes_used[dst.column] += 1
        lane_x = col_x(dst.column) - gap + 1 + lane_of[edge.target, row] % lane_count
        arrow_x = dst.x - 1
        kind = edge.kind
        row_free = all(
            not (other.column > src.column and other.column < dst.column and other.y <= sy < other.y + BOX_HEIGHT)
            for other in placed.values()
        )
        if dst.column == src.column + 1 or row_free:
            canvas.path([(sx, sy), (lane_x, sy), (lane_x, ty), (arrow_x, ty)], kind)
        else:
            # Leave through the gap after the source column, travel along the corridor row under the
            # source's slot (always free of boxes), then come down the target's lane.
            out_x = col_x(src.column) + box_width + 1 + lanes_used[src.column + 1] % lane_count
            lanes_used[src.column + 1] += 1
            corridor = src.y + BOX_HEIGHT
            canvas.path([(sx, sy), (out_x, sy), (out_x, corridor), (lane_x, corridor), (lane_x, ty), (arrow_x, ty)], kind)
        canvas.mark(sx, sy, _LEFT, kind)
    canvas.flush_lines()
    # Attach points on the boxes and arrowheads.
    for key in exits:
        src = placed[key]
        tee = "╟" if src.node.target and src.node.kind != "image" else "├"
        role = canvas.rows[src.y][src.x].role
        for index in {0 if e.kind == EDGE_FROM else 1 for e in edges if e.source == key}:
            canvas.put(src.x + box_width - 1, src.y + 1 + index, tee, role, key)
    for key in entries:
        dst = placed[key]
        for index in {0 if e.kind == EDGE_FROM else 1 for e in edges if e.target == key}:
            canvas.put(dst.x - 1, dst.y + 1 + index, ARROW, "arrow", None)
    by_slot = sorted(placed, key=lambda key: placed[key].slot)
    columns = [[key for key in by_slot if placed[key].column == col] for col in range(ncols)]
    return GraphLayout(width, height, canvas.rows, placed, columns)


def column_count(nodes: list[GraphNode], edges: list[GraphEdge]) -> int:
    """How many columns ``layout_graph`` will use (to size boxes before laying out)."""
    return max(_columns(nodes, _drawable(nodes, edges)).values(), default=-1) + 1


def legend_rows(width: int) -> list[list[tuple[str, str]]]:
    """The legend's (symbol, label) pairs wrapped into rows no wider than ``width``."""
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0
    for index in range(0, len(LEGEND), 2):
        pair = LEGEND[index : index + 2]
        size = sum(len(text) for text, _ in pair)
        if rows[-1] and used + size > width:
            rows.append([])
            used = 0
        rows[-1].extend(pair)
        used += size
    return rows


LEGEND: list[tuple[str, str]] = [
    ("──▶", "edge-from"),
    (" FROM   ", ""),
    ("╌╌▶", "edge-copy"),
    (" COPY --from   ", ""),
    ("┈┈▶", "edge-mount"),
    (" RUN --mount   ", ""),
    ("╔═╗", "box-target"),
    (" target   ", ""),
    ("╭─╮", "box-dim"),
    (" skipped   ", ""),
    ("┌─┐", "box-image"),
    (" image   ", ""),
    ("wave N", "header"),
    (" stages that can run side by side, once the waves before are built", ""),
]
