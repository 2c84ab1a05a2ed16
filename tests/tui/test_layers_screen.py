"""The Layers view on a real (tiny) image: sizes, instructions, waste, file trees, stage size comparison."""

from __future__ import annotations

import uuid

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static, Tree

from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.layers import LayersScreen
from msb_tui.tui.screens.stage_sizes import StageSizes, bar, ratio_sentence

DOCKERFILE = """\
FROM scratch AS build
COPY big.bin /big.bin
COPY ["hostile.txt", "/[bold][@click=app.quit]y[b]"]

FROM scratch AS final
COPY --from=build /big.bin /app.bin
COPY small.txt /app.bin
COPY ["hostile.txt", "/[bold][@click=app.quit]y[b]"]
COPY ["hostile.txt", "/[bold]x[/]y"]
COPY weird/ /weird/
"""
# Unique per run: several worktrees run this test at once on the same shared engines, and each
# removes its tag at the end (seen: one run's removal broke another's layers view).
TAG = f"msb-test-tui/layers:{uuid.uuid4().hex[:12]}"


def test_ratio_sentence_and_bars():
    assert ratio_sentence("build", 750_000_000, "final", 4_500_000) == "build 750.0 MB → final 4.5 MB, 167x smaller"
    assert ratio_sentence("a", 100, "b", 400).endswith("4.0x larger")
    assert bar(5, 10, width=4).plain == "██  "
    assert bar(0, 10, width=4).plain == "    "


@pytest.fixture
def tiny_image(docker_api, tmp_path, tmp_path_factory, monkeypatch):
    """The tiny image, built and recorded by msb-tui (its layers are tied to lines through the recording)."""
    from msb_tui.builds.events import ImageBuilt
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "big.bin").write_bytes(b"\0" * 300_000)
    (tmp_path / "small.txt").write_text("small\n")
    (tmp_path / "hostile.txt").write_text("hostile name\n")
    (tmp_path / "weird").mkdir()
    (tmp_path / "weird" / "esc\x1b[31mred\x1b]0;title\x07").write_text("escape sequences in a file name\n")
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path_factory.mktemp("state")))
    stream = open_backend("engine", client=docker_api).start(BuildInputs(context=tmp_path, tags=(TAG,)))
    image = next((e.image_id for e in stream if isinstance(e, ImageBuilt)), None)
    assert image, "the tiny image did not build"
    yield tmp_path, image
    try:
        docker_api.remove_image(TAG, force=True)
    except Exception:  # noqa: BLE001
        pass


@pytest.mark.engine
async def test_layers_view_of_a_real_image(tiny_image, docker_api):
    context, image = tiny_image
    app = MsbApp(LaunchOptions(path=context))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app.open_layers(TAG)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LayersScreen)
        assert screen.report is not None
        title = str(screen.query_one("#layers-title", Static).render())
        assert "5 layers" in title and "efficiency" in title
        table = screen.query_one("#layer-table", DataTable)
        rows = [[cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(i)]
                for i in range(table.row_count)]
        instructions = " | ".join(row[6] for row in rows)
        assert "COPY" in instructions
        assert any(row[3] == "final" and row[4].strip() for row in rows)
        # The overwritten 300 kB copy is waste.
        waste = str(screen.query_one("#waste-text", Static).render())
        assert "app.bin" in waste and "overwritten" in waste
        # Sort by size: the biggest layer first.
        await pilot.press("s")
        first = table.get_row_at(0)
        assert "300" in first[1].plain
        # File tree of the highlighted layer, lazily filled.
        tree = screen.query_one("#file-tree", Tree)
        assert tree.root.children
        # Stage sizes: build `build` as its own image and compare with the final one.
        await pilot.press("c")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        sizes = screen.query_one("#size-table", DataTable)
        row = [c.plain for c in sizes.get_row_at(0)]
        assert row[0] == "build" and row[1] == "done"
        assert "build" in row[4] and "→ final" in row[4]
        assert row[5].endswith(("B", "Bytes")), row  # the stage's wire (compressed) bytes, issue 16
        built = screen.query_one(StageSizes).stages["build"].image_id
        # Enter on the stage's row opens the layers of that stage's own image.
        sizes.focus()
        sizes.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        stage_screen = app.screen
        assert isinstance(stage_screen, LayersScreen) and stage_screen is not screen
        assert stage_screen.target == "build" and stage_screen.report is not None
        assert "stage build as an image" in str(stage_screen.query_one("#layers-title", Static).render())
    docker_api.remove_image(built, force=True)


@pytest.mark.engine
async def test_layers_view_shows_hostile_names_literally(tiny_image, docker_api):
    from msb_tui.image.report import analyze_image

    context, image = tiny_image
    report = analyze_image(docker_api, image, dockerfile=DOCKERFILE)
    app = MsbApp(LaunchOptions(path=context))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.push_screen(LayersScreen(image, report=report))
        await pilot.pause()
        table = app.screen.query_one("#layer-table", DataTable)
        instructions = [table.get_row_at(i)[6].plain for i in range(table.row_count)]
        assert any("[bold][@click=app.quit]y[b]" in text for text in instructions), instructions
        assert any("[bold]x[/]y" in text for text in instructions), instructions
        tree = app.screen.query_one("#file-tree", Tree)
        labels = []
        for i in range(table.row_count):
            table.move_cursor(row=i)
            await pilot.pause()
            labels += [child.label.plain for child in tree.root.children]
        assert any("[bold][@click=app.quit]y[b]" in label for label in labels), labels
        assert any("[bold]x[" in label for label in labels), labels  # the directory of "/[bold]x[/]y"
        # Expand /weird: the escape sequences in the file name are stripped, the name stays.
        for i in range(table.row_count):
            table.move_cursor(row=i)
            await pilot.pause()
            weird = [child for child in tree.root.children if child.label.plain.startswith("weird")]
            if weird:
                weird[0].expand()
                await pilot.pause()
                names = [child.label.plain for child in weird[0].children]
                assert names and all("\x1b" not in name and "\x07" not in name for name in names), names
                assert any(name.startswith("escred") for name in names), names
                break
        else:
            raise AssertionError("no layer shows /weird")
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        assert app.is_running


async def test_layers_view_without_engine_says_why(tmp_path, demos):
    from msb_tui.engine.connection import connect

    def no_engine():
        return connect("tcp://127.0.0.1:9", answer_timeout=0.5)

    app = MsbApp(LaunchOptions(path=demos / "go"), client_factory=no_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_layers("whatever:latest")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        title = str(app.screen.query_one("#layers-title", Static).render())
        assert "cannot reach the Docker engine at tcp://127.0.0.1:9" in title


@pytest.mark.engine
async def test_leaving_stops_the_stage_size_builds(docker_api, offline_images, tmp_path):
    import time

    from msb_tui.builds.events import ImageBuilt
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    import uuid

    base = offline_images["BASE_IMAGE"]
    token = uuid.uuid4().hex  # never cached: the first stage really runs its 5 s
    (tmp_path / "Dockerfile").write_text(
        f"FROM {base} AS one\nRUN sleep 5 && echo msb-test-tui-one-{token} > /one\n"
        f"FROM {base} AS two\nRUN sleep 5 && echo msb-test-tui-two > /two\n"
        f"FROM scratch AS final\nCOPY --from=one /one /one\nCOPY --from=two /two /two\n")
    final = None
    # The token makes this image this run's own: another worktree's run removes its own.
    (tmp_path / "final.Dockerfile").write_text(f"FROM scratch\nCOPY final.Dockerfile /f\n# {token}")
    for event in open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path, dockerfile=tmp_path / "final.Dockerfile")):
        if isinstance(event, ImageBuilt):
            final = event.image_id
    app = MsbApp(LaunchOptions(path=tmp_path), client_factory=lambda: docker_api)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            app.open_layers(final)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            sizes = app.screen.query_one(StageSizes)
            await pilot.press("c")
            for _ in range(40):  # until the first stage build is under way
                await pilot.pause(0.05)
                if sizes.stages["one"].state == "building" and sizes._streams:
                    break
            started = time.monotonic()
            await pilot.press("escape")
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert time.monotonic() - started < 4  # the 5 s RUN was cancelled, not waited for
            assert sizes.stages["two"].state == "waiting"  # and stage two never started
    finally:
        docker_api.remove_image(final, force=True)


async def test_leaving_before_the_image_is_read_is_harmless(demos):
    """The worker's result arrives after the screen was popped: nothing runs on the detached screen."""
    import threading

    gate = threading.Event()

    class SlowClient:
        def get_image(self, image, chunk_size=None):  # the export is the first thing analyze_image reads
            gate.wait(5)
            raise RuntimeError("image vanished")

        inspect_image = get_image

        def __getattr__(self, name):
            raise AttributeError(name)

    app = MsbApp(LaunchOptions(path=demos / "go"), client_factory=SlowClient)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.open_layers("slow:latest")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LayersScreen)
        await pilot.press("escape")
        await pilot.pause()
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, LayersScreen)
