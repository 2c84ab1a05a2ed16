"""Every Dockerfile of the shared corpus (90 malformed or borderline files, plus the demos) draws:
graph layout, stage details, Dockerfile colouring and the lint panel never raise, and the home
screen opens on each of the demos and a sample of the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.tui.graph_layout import layout_analysis
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
        layout = layout_analysis(analysis, box_width=width, gap=4)
        assert len(layout.placed) == len(analysis.stages) + len({k for k in layout.placed if k.startswith("image:")})
        for placed in layout.placed.values():  # boxes never overlap
            for other in layout.placed.values():
                if other is not placed:
                    assert not (placed.x == other.x and placed.y == other.y)
    for key in list(layout.placed) + [None]:
        stage_detail(analysis, key, lines)
    lint_text(analysis)


async def test_home_screen_opens_on_demos_and_corpus_samples():
    from msb_tui.tui.app import LaunchOptions, MsbApp

    sample = [p for p in FILES if "demo_dockerfiles" in str(p)] + FILES[::15]
    for path in sample:
        app = MsbApp(LaunchOptions(path=path))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("right", "down", "left", "up")
            await pilot.pause()
            assert app.is_running, path
