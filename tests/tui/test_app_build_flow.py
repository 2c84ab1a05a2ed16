"""The whole loop on the real engine: open a Dockerfile, change the target, build with b, open the layers."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from msb_tui.durations import format_duration
from msb_tui.tui.app import LaunchOptions, MsbApp
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.screens.layers import LayersScreen

DOCKERFILE = """\
ARG BASE_IMAGE=busybox:1.36
FROM ${BASE_IMAGE} AS work
RUN echo msb-test-tui-flow > /made-by-work

FROM ${BASE_IMAGE} AS unused
RUN echo never

FROM ${BASE_IMAGE} AS final
COPY --from=work /made-by-work /made-by-work
"""


@pytest.mark.engine
async def test_build_then_layers(docker_api, offline_images, tmp_path, engine_lane):
    from msb_tui.tui.build_screen import BuildScreen

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    app = MsbApp(LaunchOptions(path=tmp_path, offline_demo_args=True), client_factory=lambda: docker_api)
    built = None
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            assert app.build_args == {"BASE_IMAGE": offline_images["BASE_IMAGE"]}
            await pilot.press("b")
            await app.workers.wait_for_complete()  # the connect worker pushes the build screen
            await pilot.pause()
            assert isinstance(app.screen, BuildScreen)
            for _ in range(100):
                await app.workers.wait_for_complete()
                await pilot.pause(0.1)
                if app.last_model is not None:
                    break
            model = app.last_model
            assert model is not None and model.status == "succeeded", getattr(model, "error", None)
            # The header says which engine the build ran on: version, BuildKit, store and address.
            from msb_tui.tui.widgets.build_header import BuildHeader

            header = app.screen.query_one(BuildHeader).render().plain
            assert f"on Docker {docker_api.version()['Version']} · BuildKit " in header, header
            assert f"at {engine_lane.host}" in header, header
            states = {stage.name: stage.state for stage in model.stages}
            assert states["unused"] == "skipped" and states["work"] in ("done", "cached")
            built = app.last_image
            assert built
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, GraphScreen)
            # The home graph keeps the outcome of the build.
            from msb_tui.tui.widgets.stage_graph import StageGraph

            graph = app.screen.query_one(StageGraph)
            lines = {key: placed.node.lines[1] for key, placed in graph.layout_result.placed.items()}
            assert lines["final"].startswith("✓") and lines["unused"].startswith("–"), lines
            await pilot.press("l")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, LayersScreen)
            title = str(app.screen.query_one("#layers-title", Static).render())
            assert built[7:19] in title
            # The layers know the build that made them: the COPY step ran (or came from the cache).
            from textual.widgets import DataTable

            table = app.screen.query_one("#layer-table", DataTable)
            rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
            [copy_row] = [row for row in rows if "COPY --from=work" in row[6]]
            [copy_step] = [step for step in model.stage("final").steps if step.instruction.startswith("COPY")]
            assert (copy_row[3], copy_row[4]) == ("final", "9"), copy_row  # the COPY line
            expected = "cached" if copy_step.cached else format_duration(copy_step.duration)
            assert copy_row[5] == expected, (copy_row, copy_step)
    finally:
        if built:
            docker_api.remove_image(built, force=True)


@pytest.mark.engine
async def test_k_builds_with_buildkit_and_the_classic_builder_side_by_side(docker_api, offline_images, tmp_path):
    """BuildKit skips the stage the target does not need; the classic builder runs it anyway."""
    from msb_tui.tui.build_screen import BuildScreen

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    app = MsbApp(LaunchOptions(path=tmp_path, offline_demo_args=True), client_factory=lambda: docker_api)
    screen = None
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            await pilot.press("v")
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, BuildScreen) and len(screen.runs) == 2
            for _ in range(200):
                await app.workers.wait_for_complete()
                await pilot.pause(0.1)
                if all(col.model is not None and col.model.status not in ("pending", "running") for col in screen.columns):
                    break
            buildkit, classic = (col.model for col in screen.columns)
            assert buildkit.status == "succeeded" and classic.status == "succeeded", (buildkit.error, classic.error)
            assert {s.name: s.state for s in buildkit.stages}["unused"] == "skipped"
            assert {s.name: s.state for s in classic.stages}["unused"] == "done"
            assert any("never" in step.instruction for step in classic.stage("unused").steps)
    finally:
        for col in screen.columns if screen is not None else []:
            if col.model is not None and col.model.image_id:
                docker_api.remove_image(col.model.image_id, force=True)
