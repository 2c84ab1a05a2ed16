"""What current BuildKit adds around a build, on real engines: its own steps sorted into context,
metadata and export (none filed under a stage), a COPY --link shown as one step (a progress group
on the containerd store), build checks tied to their stage and line, and, through buildx on the
containerd store, the attestation manifest tied to the final image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "engine_steps"


def _build(backend, context: Path, args: dict[str, str]):
    from msb_tui.analysis import analyze
    from msb_tui.builds.inputs import BuildInputs
    from msb_tui.builds.model import BuildModel

    model = BuildModel(analyze((context / "Dockerfile").read_text(), build_args=args))
    for event in backend.start(BuildInputs(context=context, build_args=args, no_cache=True)):
        model.apply(event)
    return model


def test_engine_steps_groups_and_checks(docker_api, engine_lane, offline_images, tmp_path: Path):
    from msb_tui.backends import open_backend
    from msb_tui.builds.engine_steps import Section, engine_steps
    from msb_tui.builds.report import summary_text
    from msb_tui.tui.widgets.stage_pane import pane_data

    if engine_lane.name == "compat":
        pytest.skip("BuildKit 0.8 refuses COPY --link (its engine steps: recordings in tests/unit/test_engine_steps.py)")
    context = tmp_path / "ctx"
    shutil.copytree(FIXTURE, context)
    model = _build(open_backend("engine", client=docker_api, record=False), context,
                   {"BASE_IMAGE": offline_images["BASE_IMAGE"]})
    assert model.status == "succeeded", model.error
    try:
        entries = engine_steps(model)
        sections = {entry.section for entry in entries}
        assert sections == {Section.CONTEXT, Section.METADATA, Section.EXPORT}, [e.step.name for e in entries]
        assert all(entry.step.stage is None for entry in entries)
        [metadata] = [e for e in entries if e.section == Section.METADATA]
        assert metadata.stages == ("build", "final")
        # COPY --link is one row in the final stage's pane, on its line, whatever the store makes of it.
        [row] = pane_data(model.stage("final")).steps
        assert row.position == "2/2" and row.text.startswith("COPY --link --from=build")
        groups = {step.group.id for step in model.stage("final").steps if step.group is not None}
        if engine_lane.name == "containerd":
            assert len(model.stage("final").steps) == 2 and len(groups) == 1  # copy + merge: one group
        panes = {stage.name: pane_data(stage).warnings for stage in model.stages}
        assert [w.split(":")[0:2] for w in panes["build"]] == [["line 4", " FromAsCasing"]], panes
        assert [w.split(":")[0:2] for w in panes["final"]] == [["line 10", " JSONArgsRecommended"]], panes
        text = summary_text(model)
        assert "warning: line 4: FromAsCasing" in text and "(stage build)" in text
        assert "engine steps:" in text and "load remote build context" in text
    finally:
        if model.image_id:
            docker_api.remove_image(model.image_id, force=True, noprune=False)


def test_buildx_attestation_is_the_final_images(docker_api, engine_lane, offline_images, tmp_path: Path):
    from msb_tui.backends import open_backend
    from msb_tui.backends.buildx import BuildxUnavailable
    from msb_tui.builds.engine_steps import PROVENANCE_STEP, engine_steps, final_image

    if not engine_lane.containerd_store:
        pytest.skip("attestations need the containerd image store (the classic store's docker driver refuses them)")
    try:
        backend = open_backend("buildx", host=engine_lane.host, record=False, attest=("type=provenance,mode=max",))
    except BuildxUnavailable as error:
        pytest.fail(f"buildx is part of the set-up: {error}")
    context = tmp_path / "ctx"
    shutil.copytree(FIXTURE, context)
    model = _build(backend, context, {"BASE_IMAGE": offline_images["BASE_IMAGE"]})
    assert model.status == "succeeded", model.error
    try:
        export = [e for e in engine_steps(model) if e.step.name in ("exporting to image", PROVENANCE_STEP)]
        assert [e.step.name for e in export] == ["exporting to image", PROVENANCE_STEP]
        assert any(part.attestation for part in export[0].parts), export[0].parts
        assert final_image(model).startswith("the final image (stage final, ")
    finally:
        if model.image_id:
            try:
                docker_api.remove_image(model.image_id, force=True, noprune=False)
            except Exception:  # noqa: BLE001 - an untagged result may be gone already
                pass
