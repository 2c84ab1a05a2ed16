"""Snapshot of the build view after a replayed build on the containerd lane with a provenance
attestation: the engine's steps pane (context, metadata, export and the final image's attestation),
the timeline's [context]/[export] rows and the header's "recorded on Docker 28.5.2 ..."."""

from __future__ import annotations

from pathlib import Path

from test_snapshots import REPO, settle, _in_repo  # noqa: F401 - the autouse fixture applies here too

from msb_tui.tui.app import LaunchOptions, MsbApp


def test_build_view_engine_steps_and_recorded_engine(snap_compare):
    recording = Path("tests/fixtures/recordings/containerd/go-provenance.jsonl")

    async def run_before(pilot) -> None:
        app = pilot.app
        for _ in range(200):
            await pilot.pause(0.05)
            screen = app.screen
            if type(screen).__name__ == "BuildScreen" and screen.columns and not screen.columns[0].running:
                header = screen.columns[0].query_one("#header")
                if header.data.engine:
                    break
        await settle(pilot)

    app = MsbApp(LaunchOptions(path=REPO / "demo_dockerfiles" / "go", replay=recording, speed=None))
    assert snap_compare(app, terminal_size=(130, 46), run_before=run_before)
