"""The engine's own steps (builds/engine_steps.py), on recordings of real builds: Docker 28.5.2 with
the classic store (current lane) and the containerd store (containerd lane, incl. a buildx build
with a provenance attestation), and Docker 20.10 (BuildKit 0.8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.builds.engine_steps import PROVENANCE_STEP, Section, engine_steps, final_image, section_of, short_digests
from msb_tui.builds.report import summary_json, summary_text
from msb_tui.commands.replay import replay_into

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"


def replayed(name: str):
    model, events = replay_into(RECORDINGS / name)
    for event in events:
        model.apply(event)
    return model


@pytest.mark.parametrize("name, section", [
    ("[internal] load remote build context", Section.CONTEXT),
    ("copy /context /", Section.CONTEXT),
    ("[internal] load build definition from Dockerfile", Section.CONTEXT),
    ("[internal] load .dockerignore", Section.CONTEXT),
    ("[internal] load build context", Section.CONTEXT),
    ("[internal] load metadata for docker.io/library/golang:1.22", Section.METADATA),
    ("[auth] library/golang:pull token for registry-1.docker.io", Section.METADATA),
    ("exporting to image", Section.EXPORT),
    ("exporting to docker image format", Section.EXPORT),
    ("exporting cache to client directory", Section.EXPORT),
    ("naming to docker.io/library/x:1", Section.EXPORT),
    ("unpacking to docker.io/library/x:1", Section.EXPORT),
    ("sending tarball", Section.EXPORT),
    (PROVENANCE_STEP, Section.EXPORT),
    ("[unused 1/2] FROM docker.io/library/busybox", Section.OTHER),
])
def test_sections_by_name(name, section):
    assert section_of(name) == section


@pytest.mark.parametrize("name", [
    "current/go.jsonl", "current/engine-steps.jsonl", "current/parallel.jsonl", "current/broken.jsonl",
    "containerd/go.jsonl", "containerd/engine-steps.jsonl", "containerd/go-provenance.jsonl",
    "go.jsonl", "parallel.jsonl",  # Docker 20.10 (BuildKit 0.8)
])
def test_every_engine_step_of_a_real_build_has_its_section_and_no_stage(name):
    model = replayed(name)
    steps = engine_steps(model)
    assert steps and len(steps) == len(model.internal)
    assert all(entry.section != Section.OTHER for entry in steps), [e.step.name for e in steps]
    assert all(entry.step.stage is None for entry in steps)
    stage_steps = {step.name for stage in model.stages for step in stage.steps}
    assert not any(entry.step.name in stage_steps for entry in steps)
    sections = [entry.section for entry in steps]
    assert sections == sorted(sections, key=list(Section).index)  # context, metadata, export
    assert Section.CONTEXT in sections and Section.METADATA in sections
    if model.status == "succeeded":
        assert Section.EXPORT in sections


def test_engine_api_build_on_current_buildkit_loads_the_context_as_a_tar():
    model = replayed("current/go.jsonl")
    context = [e.label for e in engine_steps(model) if e.section == Section.CONTEXT]
    assert context == ["load remote build context", "copy /context /"]
    [metadata] = [e for e in engine_steps(model) if e.section == Section.METADATA]
    assert metadata.label == "docker.io/msb-demo/golang:1.19-bookworm" and metadata.stages == ("build",)


def test_metadata_load_names_every_stage_from_that_image():
    model = replayed("containerd/engine-steps.jsonl")
    [metadata] = [e for e in engine_steps(model) if e.section == Section.METADATA]
    assert metadata.stages == ("build", "final")


def test_export_parts_on_both_image_stores():
    classic = replayed("current/go.jsonl")
    [export] = [e for e in engine_steps(classic) if e.section == Section.EXPORT]
    kinds = [part.kind for part in export.parts]
    assert "layers" in kinds and not any(part.attestation for part in export.parts)
    containerd = replayed("containerd/go.jsonl")
    [export] = [e for e in engine_steps(containerd) if e.section == Section.EXPORT]
    assert [part.kind for part in export.parts] == ["layers", "manifest", "config", "name", "unpack"]


def test_attestation_steps_are_the_final_images_provenance():
    model = replayed("containerd/go-provenance.jsonl")
    export = [e for e in engine_steps(model) if e.section == Section.EXPORT]
    assert [e.step.name for e in export] == ["exporting to image", PROVENANCE_STEP]
    assert all(e.provenance for e in export)
    image, provenance = export
    assert [p.kind for p in image.parts] == ["layers", "manifest", "config", "attestation", "index", "name", "unpack"]
    assert final_image(model) == f"the final image (stage final, {model.image_id.removeprefix('sha256:')[:12]})"
    text = summary_text(model)
    assert "engine steps:" in text
    assert "attestation manifest sha256:94b43a03756b… for the final image (stage final, dba4ff0c146f)" in text
    assert "resolving provenance for metadata file for the final image (stage final" in text
    data = summary_json(model)["engine_steps"]
    assert [(s["section"], s["provenance"]) for s in data if s["section"] == "export"] == [("export", True)] * 2
    assert "attestation" in [part["kind"] for part in data[-2]["parts"]]


def test_a_tagged_image_is_named_by_its_tags():
    from msb_tui.builds.events import StatusUpdate, VertexUpdate
    from msb_tui.builds.model import BuildModel

    model = BuildModel()
    model.apply(VertexUpdate("e", "exporting to image", started=1.0, completed=2.0))
    model.apply(StatusUpdate("naming to docker.io/msb-test/x:1", "e", completed=2.0))
    assert final_image(model) == "the final image (docker.io/msb-test/x:1)"


def test_short_digests():
    assert short_digests("exporting manifest sha256:" + "ab" * 32) == "exporting manifest sha256:abababababab…"
    assert short_digests("sha256:abc") == "sha256:abc"
