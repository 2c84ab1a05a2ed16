"""The pure stage-graph layout: columns by wave, aligned rows, edge kinds that read without colour."""

from __future__ import annotations

from msb_tui.tui.graph_layout import ARROW, GraphEdge, GraphNode, layout_graph


def _chain():
    nodes = [
        GraphNode("img:golang", "golang:1.22", "image", ("image",), 0),
        GraphNode("build", "build", "stage", ("FROM golang",), 1, wave=0),
        GraphNode("test", "test", "stage", ("not needed",), 2, wave=None, needed=False),
        GraphNode("final", "final", "stage", ("FROM scratch",), 3, wave=1, target=True),
    ]
    edges = [
        GraphEdge("img:golang", "build"),
        GraphEdge("build", "test"),
        GraphEdge("build", "final", "copy"),
    ]
    return nodes, edges


def test_columns_follow_waves_and_images_come_first():
    nodes, edges = _chain()
    layout = layout_graph(nodes, edges, box_width=16, gap=6)
    assert layout.placed["img:golang"].column == 0
    assert layout.placed["build"].column == 1
    assert layout.placed["final"].column == 2
    assert layout.placed["test"].column == 2
    lines = layout.text_lines()
    assert lines[0].startswith("images")
    assert "wave 1" in lines[0] and "wave 2" in lines[0]


def test_a_chain_is_a_straight_line():
    nodes, edges = _chain()
    layout = layout_graph(nodes, edges, box_width=16, gap=6)
    assert layout.placed["img:golang"].y == layout.placed["build"].y


def test_edge_kinds_are_distinguishable_without_colour():
    nodes, edges = _chain()
    layout = layout_graph(nodes, edges, box_width=16, gap=6)
    text = "\n".join(layout.text_lines())
    assert "╌" in text  # COPY --from is dashed
    assert "─────" in text.replace("╌", "")  # FROM is solid
    assert text.count(ARROW) == 3
    roles = {cell.role for row in layout.rows for cell in row}
    assert {"edge-from", "edge-copy", "box-target", "box-dim", "box-image"} <= roles


def test_mount_edges_are_dotted():
    nodes = [GraphNode("a", "a", wave=0), GraphNode("b", "b", wave=0), GraphNode("c", "c", wave=1)]
    edges = [GraphEdge("a", "c", "mount"), GraphEdge("b", "c", "from")]
    layout = layout_graph(nodes, edges, box_width=12, gap=6)
    assert "┈" in "\n".join(layout.text_lines())


def test_target_has_a_double_border_and_titles_are_truncated():
    nodes = [GraphNode("x", "a-very-long-stage-name-indeed", target=True)]
    layout = layout_graph(nodes, [], box_width=12)
    box = layout.text_lines()[2:6]
    assert box[0].startswith("╔") and box[0].endswith("╗")
    assert "…" in box[0]
    assert all(len(line) == 12 for line in box)


def test_long_edges_never_cross_boxes():
    # a -> d skips over b and c, which sit in the same row as a.
    nodes = [GraphNode(k, k, wave=i) for i, k in enumerate("abcd")]
    edges = [GraphEdge("a", "b"), GraphEdge("b", "c"), GraphEdge("c", "d"), GraphEdge("a", "d", "copy")]
    layout = layout_graph(nodes, edges, box_width=10, gap=6)
    for key, placed in layout.placed.items():
        for y in range(placed.y, placed.y + placed.height):
            for x in range(placed.x, placed.x + placed.width):
                cell = layout.rows[y][x]
                assert cell.node == key, (key, x, y)
    assert "╌" in "\n".join(layout.text_lines())


def test_navigation_and_hit_testing():
    nodes, edges = _chain()
    layout = layout_graph(nodes, edges, box_width=16, gap=6)
    assert layout.neighbour(None, "down") == "img:golang"
    assert layout.neighbour("img:golang", "right") == "build"
    assert layout.neighbour("build", "right") == "final"
    assert layout.neighbour("final", "down") == "test"
    assert layout.neighbour("test", "up") == "final"
    box = layout.placed["final"]
    assert layout.node_at(box.x + 2, box.y + 1) == "final"
    assert layout.node_at(0, 0) is None


def test_cycles_and_unknown_edges_do_not_break_layout():
    nodes = [GraphNode("a", "a"), GraphNode("b", "b")]
    edges = [GraphEdge("a", "b"), GraphEdge("b", "a"), GraphEdge("a", "zzz")]
    layout = layout_graph(nodes, edges)
    assert set(layout.placed) == {"a", "b"}
    assert layout_graph([], []).placed == {}


def test_from_a_real_analysis_all_edge_kinds_and_external_images():
    from msb_tui.analysis import analyze
    from msb_tui.tui.graph_nodes import edges_from_analysis, nodes_from_analysis

    text = (
        "FROM golang:1.22 AS build\n"
        "RUN go build -o /app .\n"
        "FROM build AS test\n"
        "RUN go test ./...\n"
        "FROM alpine:3.20 AS tools\n"
        "RUN --mount=type=cache,from=build,target=/src true\n"
        "FROM scratch AS final\n"
        "COPY --from=build /app /app\n"
        "COPY --from=docker.io/library/busybox:1.36 /bin/busybox /busybox\n"
    )
    analysis = analyze(text)
    edges = {(e.source, e.target, e.kind) for e in edges_from_analysis(analysis)}
    assert ("image:golang:1.22", "build", "from") in edges
    assert ("build", "test", "from") in edges
    assert ("build", "tools", "mount") in edges
    assert ("build", "final", "copy") in edges
    assert any(e[0].startswith("image:") and "busybox" in e[0] and e[1:] == ("final", "copy") for e in edges)
    nodes = {n.key: n for n in nodes_from_analysis(analysis)}
    assert nodes["final"].target and nodes["final"].lines[0] == "FROM scratch"
    assert not nodes["test"].needed and nodes["test"].lines == ("skipped", "not needed")
    assert not nodes["tools"].needed
    layout = layout_graph(list(nodes.values()), edges_from_analysis(analysis), box_width=18)
    text_out = "\n".join(layout.text_lines())
    assert "┈" in text_out and "╌" in text_out and "─" in text_out


def test_states_replace_the_plan_line():
    from msb_tui.analysis import analyze
    from msb_tui.tui.graph_nodes import nodes_from_analysis

    analysis = analyze("FROM scratch AS a\nCOPY x /x\nFROM a AS b\nCOPY y /y\n")
    nodes = {n.key: n for n in nodes_from_analysis(analysis, {"a": "running", "b": "planned"})}
    assert nodes["a"].lines[1] == "● running"
    assert nodes["b"].lines[1] == "· planned"
