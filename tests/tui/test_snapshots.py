"""Snapshot tests (pytest-textual-snapshot): whole screens exported as SVG and compared with the
baselines in ``__snapshots__/test_snapshots/``. Accept a deliberate change of a screen with
``pytest tests/tui/test_snapshots.py --snapshot-update``; on a mismatch the plugin writes an HTML
report (``snapshot_report.html``) showing both screens."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from msb_tui.tui.app import LaunchOptions, MsbApp

REPO = Path(__file__).resolve().parents[2]


async def settle(pilot) -> None:
    """Let lazy mounts, refreshes and animations (tab underlines) finish before the export."""
    for _ in range(3):
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.1)


def pressing(*keys: str):
    """A ``run_before`` that waits for the first paint, presses ``keys``, then lets the screen settle."""

    async def run_before(pilot) -> None:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)

    return run_before


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch, tmp_path):
    # Relative paths in titles, and no user state leaking into the History screen.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_graph_go_wide(snap_compare):
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/go"), offline_demo_args=True))
    assert snap_compare(app, terminal_size=(120, 36), run_before=pressing("left"))


def test_graph_parallel_small_terminal(snap_compare):
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/parallel")))
    assert snap_compare(app, terminal_size=(80, 24), run_before=pressing())


def test_graph_light_theme_dockerfile_tab(snap_compare):
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/seed-example"), theme="light"))
    assert snap_compare(app, terminal_size=(120, 36), run_before=pressing("d"))


def test_help_screen(snap_compare):
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/go")))
    assert snap_compare(app, terminal_size=(100, 40), run_before=pressing("f1"))


def test_history_screen(snap_compare, fixtures_dir):
    from msb_tui.paths import recordings_dir

    for name in ("parallel", "go", "broken"):
        shutil.copy(fixtures_dir / "recordings" / f"{name}.jsonl", recordings_dir() / f"{name}.jsonl")
    app = MsbApp(LaunchOptions(path=Path("demo_dockerfiles/parallel")))
    assert snap_compare(app, terminal_size=(100, 30), run_before=pressing("h"))
