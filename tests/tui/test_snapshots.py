"""Snapshot tests: whole screens exported as SVG and compared with the stored baselines.

A small comparison of our own instead of pytest-textual-snapshot: 1.1.0 pins syrupy 4.8, which
needs pytest < 9 (we run pytest 9), and 1.0.0 would tie us to syrupy 7's storage. The SVG's
per-export random id is normalised; anything else that changes is a real change of the screen.

On a mismatch the new screen is written next to the baseline as ``NAME.new.svg`` (open both in a
browser). Update the baselines with ``MSB_SNAPSHOT_UPDATE=1 pytest tests/tui/test_snapshots.py``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from msb_tui.tui.app import LaunchOptions, MsbApp

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
REPO = Path(__file__).resolve().parents[2]


def normalise(svg: str) -> str:
    svg = re.sub(r"terminal-\d+", "terminal", svg)
    return svg.strip() + "\n"


async def settle(pilot) -> None:
    """Let lazy mounts, refreshes and animations (tab underlines) finish before the export."""
    for _ in range(3):
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


async def check(pilot, name: str) -> None:
    await settle(pilot)
    app = pilot.app
    svg = normalise(app.export_screenshot(title=name))
    baseline = SNAPSHOTS / f"{name}.svg"
    fresh = SNAPSHOTS / f"{name}.new.svg"
    if os.environ.get("MSB_SNAPSHOT_UPDATE") or not baseline.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        baseline.write_text(svg, encoding="utf-8")
        fresh.unlink(missing_ok=True)
        if not os.environ.get("MSB_SNAPSHOT_UPDATE"):
            pytest.fail(f"no baseline for {name}: wrote {baseline}, check it and commit it")
        return
    if baseline.read_text(encoding="utf-8") != svg:
        fresh.write_text(svg, encoding="utf-8")
        pytest.fail(f"{name} changed: compare {baseline} with {fresh} (MSB_SNAPSHOT_UPDATE=1 accepts it)")
    fresh.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    # Relative paths in titles, and no user state leaking into the History screen.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("NO_COLOR", raising=False)


async def test_graph_go_wide():
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/go"), offline_demo_args=True))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("left")
        await pilot.pause()
        await check(pilot, "graph_go_120x36")


async def test_graph_parallel_small_terminal():
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/parallel")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await check(pilot, "graph_parallel_80x24")


async def test_graph_light_theme_dockerfile_tab():
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/seed-example"), theme="light"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await check(pilot, "graph_seed_light_dockerfile")


async def test_help_screen():
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/go")))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        await check(pilot, "help_100x40")


async def test_history_screen(fixtures_dir):
    from msb_tui.paths import recordings_dir

    for name in ("parallel", "go", "broken"):
        shutil.copy(fixtures_dir / "recordings" / f"{name}.jsonl", recordings_dir() / f"{name}.jsonl")
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/parallel")))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        await check(pilot, "history_100x30")
