"""``.dockerbuild`` bundles (``docker buildx history export`` on Docker 28.5.2) opened with no
engine, and damaged ones refused with a reason instead of a traceback."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from msb_tui.backends import open_recorded
from msb_tui.backends import bundle as bundle_module
from msb_tui.backends.bundle import BundleBackend, BundleError, is_bundle, load_bundle
from msb_tui.builds.events import BuildFailed, ImageBuilt
from msb_tui.builds.model import BuildModel
from msb_tui.commands.replay import analysis_for_recording

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "buildx"
GOOD = FIXTURES / "target-a.dockerbuild"  # --target a of a three-stage file, built by docker buildx build
FAILED = FIXTURES / "failed-run.dockerbuild"  # a RUN that exits 3


def _play(path: Path):
    source = open_recorded(path).start()
    model = BuildModel(analysis_for_recording(source.inputs()))
    events = [event for event in source]
    for event in events:
        model.apply(event)
    return source, model, events


def test_a_bundle_opens_with_its_dockerfile_target_stages_and_image():
    assert is_bundle(GOOD) and not is_bundle(FIXTURES / "parallel.rawjson")
    source, model, events = _play(GOOD)
    inputs = source.inputs()
    assert inputs["target"] == "a" and inputs["build_args"]["BASE_IMAGE"] == "msb-demo/busybox:1.35"
    assert inputs["dockerfile_text"].startswith("ARG BASE_IMAGE=busybox\nFROM ${BASE_IMAGE} AS a\n")
    assert events[-1] == ImageBuilt("sha256:8bcab07d8b22dbff3a44fa927aba87dd40807ec9377c41b1e6650e31c5431ecf")
    assert model.stage("a").state.value == "done"
    assert model.stage("test").state.value == "skipped" and model.stage("final").state.value == "skipped"


def test_a_failed_build_bundle_shows_the_failing_step_and_the_engine_error():
    _, model, events = _play(FAILED)
    assert events[-1] == BuildFailed('process "/bin/sh -c echo out; echo err >&2; exit 3" did not complete successfully: exit code: 3',
                                     {"phase": "bundle"})
    failed = [step for step in model.steps.values() if step.state.value == "failed"]
    assert [step.name for step in failed] == ["[2/2] RUN echo out; echo err >&2; exit 3"]


@pytest.mark.parametrize("cut", [10, 3000, 6000])
def test_a_truncated_bundle_fails_with_a_reason(tmp_path, cut):
    damaged = tmp_path / "cut.dockerbuild"
    damaged.write_bytes(GOOD.read_bytes()[:cut])
    events = list(BundleBackend(damaged).start())
    assert len(events) == 1 and isinstance(events[0], BuildFailed)
    assert "truncated or corrupt" in events[0].message


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(out.getvalue())


@pytest.mark.parametrize("files, reason", [
    ({"oci-layout": b"{}"}, "has no index"),
    ({"index.json": b"{not json"}, "index is not JSON"),
    ({"index.json": json.dumps({"manifests": []}).encode()}, "names no manifest"),
    ({"index.json": json.dumps({"manifests": [{"digest": "sha256:aa"}]}).encode(), "blobs/sha256/aa": b"[]"},
     "manifest has no config"),
    ({"index.json": json.dumps({"manifests": [{"digest": "sha256:aa"}]}).encode(),
      "blobs/sha256/aa": json.dumps({"config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:bb"}}).encode()},
     "not a build record"),
])
def test_a_corrupt_bundle_names_what_is_wrong(tmp_path, files, reason):
    path = tmp_path / "x.dockerbuild"
    path.write_bytes(_tar(files))
    with pytest.raises(BundleError, match=reason):
        load_bundle(path)


def test_a_blob_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "MAX_BLOB", 1000)
    with pytest.raises(BundleError, match="more than"):
        load_bundle(GOOD)
