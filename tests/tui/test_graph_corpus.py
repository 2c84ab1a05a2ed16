"""Every Dockerfile of the shared corpus (malformed or borderline files, plus the demos) draws:
the graph places every stage, each stage's details name it and its lines, the lint panel counts
every error and finding, and the home screen opens on the demos and a sample of the corpus with
the target selected and the arrow keys moving between placed nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.sanitize import plain
from msb_tui.tui.graph_layout import layout_graph
from msb_tui.tui.graph_nodes import edges_from_analysis, nodes_from_analysis, stage_keys
from msb_tui.tui.screens.graph import lint_text, stage_detail
from msb_tui.tui.widgets.dockerfile_view import highlight_dockerfile

REPO = Path(__file__).resolve().parents[2]
FILES = sorted((REPO / "tests" / "corpus").glob("*.Dockerfile")) + sorted((REPO / "demo_dockerfiles").glob("*/Dockerfile*"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name + "/" + p.name if p.parent.name != "corpus" else p.stem)
def test_every_file_draws(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    analysis = analyze(text)
    lines = highlight_dockerfile(text)
    assert len(lines) == len(text.splitlines())
    for width in (14, 24):
        nodes, edges = nodes_from_analysis(analysis), edges_from_analysis(analysis)
        layout = layout_graph(nodes, edges, box_width=width, gap=4)
        assert len(layout.placed) == len(analysis.stages) + len({k for k in layout.placed if k.startswith("image:")})
        for placed in layout.placed.values():  # boxes never overlap
            for other in layout.placed.values():
                if other is not placed:
                    assert not (placed.x == other.x and placed.y == other.y)
    keys = stage_keys(analysis.stages)
    assert set(keys.values()) <= set(layout.placed)
    for stage in analysis.stages:
        detail = stage_detail(analysis, keys[stage.index], lines).plain
        assert detail.startswith(plain(stage.display_name)), detail[:80]
        assert f"stage {stage.index} · lines {stage.line_start}–{stage.line_end}" in detail
    for key in layout.placed:
        if key.startswith("image:"):
            assert stage_detail(analysis, key, lines).plain.startswith(f"external image\n{plain(key[6:])}\n")
    assert stage_detail(analysis, None, lines).plain == "select a stage (arrow keys or click)"
    lint = lint_text(analysis).plain
    if analysis.errors or analysis.lint:
        assert lint.startswith(f"{len(analysis.errors)} error(s), {len(analysis.lint)} finding(s)")
        assert lint.count("error: ") >= len(analysis.errors)
    else:
        assert lint == "no findings: the Dockerfile passes every lint rule"


async def test_home_screen_opens_on_demos_and_corpus_samples():
    from msb_tui.tui.app import LaunchOptions, MsbApp
    from msb_tui.tui.widgets.stage_graph import StageGraph

    sample = [p for p in FILES if "demo_dockerfiles" in str(p)] + FILES[::15]
    for path in sample:
        app = MsbApp(LaunchOptions(path=path))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            graph = app.screen.query_one(StageGraph)
            placed = set(graph.layout_result.placed)
            assert set(stage_keys(app.analysis.stages).values()) <= placed, path
            if app.analysis.plan is not None:
                target = app.analysis.target
                assert graph.selected == stage_keys(app.analysis.stages)[target.index], path
            seen = {graph.selected}
            for key in ("right", "down", "left", "up"):
                await pilot.press(key)
                await pilot.pause()
                seen.add(graph.selected)
            assert seen <= placed if placed else seen == {None}, (path, seen)
