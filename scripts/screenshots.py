#!/usr/bin/env python3
"""Drive the app headless over real demo recordings and save screenshots as SVG and PNG in screenshots/.

    .venv/bin/python scripts/screenshots.py [--only NAME ...] [--size 120x36] [--no-engine]

Shots: the stage graph (go, parallel, a small terminal), a live build mid-way with parallel stages
running (the real-time replay is paused part-way), a finished build with its timeline and a skipped
stage, a multi-platform build (a lane per stage and platform), a failure, and the Layers view with each stage's size next to the final image (this one
builds ``demo_dockerfiles/go`` on the engine with the offline demo images; skipped with --no-engine),
why each step ran after a one-file change (a recorded rebuild of the Go demo) and one step's cause,
the tour, and the app in a browser (``msb-tui serve`` in Debian's headless Chromium; these PNGs are
the browser's own screenshots).

PNG: the SVG's font family is swapped for DejaVu Sans Mono (Debian ``fonts-dejavu-core``) and
rendered with resvg-py, which keeps box-drawing characters aligned.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "screenshots"
RECORDINGS = REPO / "tests" / "fixtures" / "recordings"
DEMOS = REPO / "demo_dockerfiles"
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
SCREENS_TAG = "msb-tui-screens/go:latest"


def svg_to_png(svg: str, path: Path) -> None:
    import resvg_py

    svg = re.sub(r'font-family:\s*"?Fira Code"?(,\s*monospace)?', 'font-family: "DejaVu Sans Mono"', svg)
    png = resvg_py.svg_to_bytes(svg_string=svg, font_dirs=[FONT_DIR], monospace_family="DejaVu Sans Mono")
    path.write_bytes(bytes(png))


def save(app, name: str) -> None:
    svg = app.export_screenshot(title=f"msb-tui — {name}")
    (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")
    svg_to_png(svg, OUT / f"{name}.png")
    print(f"  {name}.svg / {name}.png")


def make_app(path: Path, **options):
    from msb_tui.tui.app import LaunchOptions, MsbApp

    return MsbApp(LaunchOptions(path=path, **options))


async def shot_graph(size) -> None:
    app = make_app(DEMOS / "go", offline_demo_args=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("left")  # the build stage: instructions, ARGs, plan reason
        await pilot.pause()
        save(app, "graph-go")
    app = make_app(DEMOS / "parallel", offline_demo_args=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        save(app, "graph-parallel")
    app = make_app(DEMOS / "go", offline_demo_args=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        save(app, "graph-80x24")


async def shot_live(size) -> None:
    """The parallel demo replayed in real time, captured while its three stages run together
    (at the requested size, then on a big terminal where the build view shows the live stage graph)."""
    await _live(size, "build-live-parallel")
    await _live((180, 45), "build-live-parallel-wide")


async def _live(size, name: str) -> None:
    # Half speed: a loaded machine still catches the three stages running together.
    app = make_app(DEMOS / "parallel", replay=RECORDINGS / "parallel.jsonl", speed=0.5)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        started = time.monotonic()
        while time.monotonic() - started < 10:
            await pilot.pause(0.1)
            model = _model(app)
            if model is not None and len(model.running_steps()) >= 3 and time.monotonic() - started > 1.5:
                break
        save(app, name)
        app.screen.action_back()
        await pilot.pause()


def _model(app):
    columns = getattr(app.screen, "columns", None)
    return columns[0].model if columns else None


async def _finished_replay(name: str, recording: str, demo: str, size) -> None:
    app = make_app(DEMOS / demo, replay=RECORDINGS / recording, speed=None)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        save(app, name)


async def shot_finished(size) -> None:
    await _finished_replay("build-finished-go", "go.jsonl", "go", size)


async def shot_multiplatform(size) -> None:
    """A buildx build for linux/amd64 and linux/arm64 (containerd lane): one pane per stage and platform."""
    await _finished_replay("build-multiplatform", "containerd/multiplatform.jsonl", "multiplatform",
                           (size[0], max(size[1], 44)))


async def shot_why(size) -> None:
    """Why each step ran after a one-file change: the Go demo rebuilt once cmd/server/main.go changed
    (the recording scripts/record_fixtures.py --lane current go-one-file makes, with its explanation),
    then the cause of its COPY . . (key w)."""
    from msb_tui.tui.build_screen import BuildScreen
    from msb_tui.tui.screens.cause import CauseScreen
    from msb_tui.tui.widgets.build_header import BuildHeader
    from msb_tui.tui.widgets.stage_pane import StagePane

    app = make_app(DEMOS / "go", replay=RECORDINGS / "current" / "go-one-file.jsonl", speed=None)
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            screen = app.screen
            if isinstance(screen, BuildScreen) and screen.columns[0].explanation is not None \
                    and screen.query_one(BuildHeader).data.engine:
                break
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause(0.3)
        save(app, "build-why-one-file")
        pane = next(p for p in app.screen.query(StagePane) if p.data.name == "build")
        pane.focus()
        pane.cursor = [row.position for row in pane.data.steps].index("5/6")  # COPY . .
        await pilot.press("w")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CauseScreen)
        save(app, "build-why-cause")


async def shot_failure(size) -> None:
    await _finished_replay("build-failed", "broken.jsonl", "broken", size)


async def shot_history(size) -> None:
    import os
    import shutil
    import tempfile

    state = Path(tempfile.mkdtemp(prefix="msb-screens-"))
    os.environ["MSB_TUI_STATE"] = str(state)
    from msb_tui.paths import recordings_dir

    for path in RECORDINGS.glob("*.jsonl"):
        shutil.copy(path, recordings_dir() / path.name)
    app = make_app(DEMOS / "parallel")
    size = (max(size[0], 160), max(size[1], 40))  # room for two builds side by side
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        table = app.screen.query_one("#recordings")
        names = [table.get_row_at(i)[5].plain for i in range(table.row_count)]
        for name in ("parallel.jsonl", "go.jsonl"):
            table.move_cursor(row=names.index(name))
            await pilot.press("space")
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        save(app, "history-compare")
        await pilot.press("0", "v")  # the two marked builds replayed side by side, as fast as possible
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        save(app, "history-side-by-side")
    shutil.rmtree(state, ignore_errors=True)
    del os.environ["MSB_TUI_STATE"]


async def shot_layers(size) -> None:
    """Build the go demo (offline images), open its layers, build the SDK stage alone and compare."""
    from msb_tui.builds.events import BuildFailed, ImageBuilt
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs
    from msb_tui.engine.connection import connect
    from msb_tui.offline import offline_build_args
    from msb_tui.tui.screens.stage_sizes import StageSizes

    client = connect()
    text = (DEMOS / "go" / "Dockerfile").read_text()
    request = BuildInputs(context=DEMOS / "go", build_args=offline_build_args(text), tags=(SCREENS_TAG,))
    image = None
    for event in open_backend("engine", client=client, record=True).start(request):
        if isinstance(event, ImageBuilt):
            image = event.image_id
        elif isinstance(event, BuildFailed):
            raise SystemExit(f"the go demo did not build: {event.message}")
    app = make_app(DEMOS / "go", offline_demo_args=True)
    built = []
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            app.open_layers(SCREENS_TAG)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            save(app, "layers-go")
            await pilot.press("c")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            sizes = app.screen.query_one(StageSizes).stages.values()
            built = [item.image_id for item in sizes if item.image_id]
            save(app, "layers-stage-sizes")
            app.screen.query_one("#layers-tabs").active = "waste-pane"
            await pilot.pause()
            save(app, "layers-waste")
            # The SDK stage's own image: what the final image leaves behind (toolchain, sources, caches).
            stage = next(iter(app.screen.query_one(StageSizes).stages.values()))
            app.open_layers(stage.image_id, target=stage.stage)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            save(app, "layers-build-stage")
            app.screen.query_one("#layers-tabs").active = "waste-pane"
            await pilot.pause()
            save(app, "layers-build-stage-leaks")
    finally:
        for ref in [SCREENS_TAG, *built]:
            try:
                client.remove_image(ref, noprune=False)
            except Exception:  # noqa: BLE001 - still used by another tag: leave it
                pass
    print(f"  (built {image[:19] if image else '?'})")


async def shot_tour(size) -> None:
    """The tour on its bundled recordings, at the classic-vs-BuildKit step (terminal)."""
    from msb_tui.tui.tour import TourApp, TourCaption

    app = TourApp(recordings_only=True)
    app.tour.index = next(i for i, step in enumerate(app.tour.steps) if step.key == "classic")
    async with app.run_test(size=(max(size[0], 140), max(size[1], 40))) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if app.screen.query(TourCaption) and getattr(app.screen, "columns", None):
                if all(not column.running for column in app.screen.columns):
                    break
        await pilot.pause(0.3)
        save(app, "tour-classic")


def _browser_shots() -> None:
    sys.path.insert(0, str(REPO / "tests" / "web"))
    import driver

    with driver.browser() as instance, tempfile.TemporaryDirectory(prefix="msb-shots-") as logs:
        with driver.serve(["--tour", "--recordings"], cwd=REPO, log_dir=Path(logs)) as served:
            page = driver.open_page(instance, served.url(), width=1600, height=900)
            driver.wait_for_text(page, "1/8", "The stage graph")
            driver.focus_terminal(page)
            for number in range(2, 4):
                page.keyboard.press("ArrowRight")
                driver.wait_for_text(page, f"{number}/8")
            driver.wait_for_text(page, "SUCCEEDED", timeout=30)
            page.wait_for_timeout(6000)  # the "built …" notification goes away
            page.screenshot(path=str(OUT / "browser-tour.png"))
            print("  browser-tour.png")
        with driver.serve(["--demo", "seed-example"], cwd=REPO, log_dir=Path(logs)) as served:
            page = driver.open_page(instance, served.url(), width=1600, height=900)
            driver.wait_for_text(page, "3/4 stages, 3 waves")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(OUT / "browser-graph.png"))
            print("  browser-graph.png")


async def shot_browser(size) -> None:
    """msb-tui serve in Debian's headless Chromium: the tour (parallel stages) and the graph."""
    await asyncio.to_thread(_browser_shots)


SHOTS = {
    "graph": shot_graph,
    "live": shot_live,
    "finished": shot_finished,
    "failure": shot_failure,
    "why": shot_why,
    "multiplatform": shot_multiplatform,
    "history": shot_history,
    "layers": shot_layers,
    "tour": shot_tour,
    "browser": shot_browser,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), help="take only these shots")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS (default 120x36)")
    parser.add_argument("--no-engine", action="store_true", help="skip shots that need the Docker engine")
    args = parser.parse_args()
    cols, rows = (int(part) for part in args.size.lower().split("x"))
    OUT.mkdir(exist_ok=True)
    names = args.only or list(SHOTS)
    if args.no_engine and "layers" in names:
        names.remove("layers")
    for name in names:
        print(f"{name}:")
        asyncio.run(SHOTS[name]((cols, rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
