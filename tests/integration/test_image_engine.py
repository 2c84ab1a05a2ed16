"""Image analysis on images built on the real engine for the purpose (exact bytes for waste)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from msb_tui.image.compare import compare_reports
from msb_tui.image.report import analyze_image

pytestmark = pytest.mark.engine

PREFIX = "msb-test-image"
DEMOS = Path(__file__).resolve().parents[2] / "demo_dockerfiles"


def _context(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build(client, files: dict[str, bytes], tag: str, buildargs: dict | None = None, target: str | None = None, buildkit: bool = True) -> str:
    """Build on the engine (BuildKit via ``POST /build?version=2``, or the classic builder); returns the tag."""
    params = {"t": tag, "buildargs": json.dumps(buildargs or {}), "rm": "1", "version": "2" if buildkit else "1"}
    if target:
        params["target"] = target
    response = client._post(
        client._url("/build"), params=params, data=_context(files), headers={"Content-Type": "application/x-tar"}, stream=True
    )
    errors = []
    for message in client._stream_helper(response, decode=True):
        if "error" in message:
            errors.append(message["error"])
    assert not errors, errors
    return tag


@pytest.fixture(scope="module")
def waste_image(docker_api, offline_images):
    dockerfile = f"""\
FROM {offline_images['BASE_IMAGE']}
COPY big.bin /data/big.bin
COPY keep.txt /data/keep.txt
RUN rm /data/big.bin && printf abc > /data/keep.txt
COPY a /cache/a
COPY b /cache/b
RUN rm -rf /cache && mkdir /cache && printf z > /cache/c
ARG DEPLOY_TOKEN=tk-0123456789
RUN echo "$DEPLOY_TOKEN" | wc -c > /token-length
"""
    files = {
        "Dockerfile": dockerfile.encode(),
        "big.bin": b"B" * 100_000,
        "keep.txt": b"K" * 10,
        "a": b"a" * 1000,
        "b": b"b" * 2000,
    }
    tag = build(docker_api, files, f"{PREFIX}/waste:1")
    yield tag, dockerfile
    docker_api.remove_image(tag, force=True)


def test_waste_is_exact_on_a_real_image(docker_api, waste_image, engine_lane):
    tag, dockerfile = waste_image
    report = analyze_image(docker_api, tag, dockerfile=dockerfile)
    waste = report.waste
    # deleted: big.bin 100000; overwritten: keep.txt 10; hidden by the opaque /cache: a + b
    assert waste.wasted_bytes == 100_000 + 10 + 1000 + 2000
    assert {(item.path, item.wasted) for item in waste.paths()} == {
        ("data/big.bin", 100_000),
        ("data/keep.txt", 10),
        ("cache/a", 1000),
        ("cache/b", 2000),
    }
    assert waste.total_bytes - waste.final_bytes == waste.wasted_bytes
    tree = report.file_tree()
    assert tree.node("data/keep.txt").size == 3
    assert tree.node("data/big.bin") is None
    assert [n.name for n in tree.node("cache").children()] == ["c"]
    rm_layer = next(e for e in report.layers.entries if e.source.line == 7)
    removed = report.layer_files(rm_layer.layer_index).removed
    if engine_lane.containerd_store:
        # containerd's differ writes a whiteout per removed file where overlay2 marks /cache opaque
        assert removed == {"cache/a": 1000, "cache/b": 2000}
    else:  # the opaque directory came through as such
        assert removed == {"cache/": 3000}
    # culprits: the RUN on line 4 deleted/overwrote, the RUN on line 7 hid /cache
    by_line = {e.layer_index: e.source.line for e in report.layers.entries if e.layer_index is not None}
    assert {by_line[layer]: size for layer, size in waste.by_culprit().items()} == {4: 100_010, 7: 3000}
    assert {by_line[layer]: size for layer, size in waste.by_layer().items()} == {2: 100_000, 3: 10, 5: 1000, 6: 2000}


def test_layers_tie_to_dockerfile_lines_and_the_secret_shows(docker_api, waste_image):
    tag, dockerfile = waste_image
    report = analyze_image(docker_api, tag, dockerfile=dockerfile)
    assert report.layers.exact_empty
    rows = [(e.command.cmd, e.source.kind, e.source.line, e.empty) for e in report.layers.entries]
    assert rows[0] == ("", "base", None, False)
    assert rows[1:] == [
        ("COPY", "dockerfile", 2, False),
        ("COPY", "dockerfile", 3, False),
        ("RUN", "dockerfile", 4, False),
        ("COPY", "dockerfile", 5, False),
        ("COPY", "dockerfile", 6, False),
        ("RUN", "dockerfile", 7, False),
        ("ARG", "dockerfile", 8, True),
        ("RUN", "dockerfile", 9, False),
    ]
    secrets = [leak for leak in report.leaks if leak.category == "secret"]
    assert {leak.where.split(":")[0] for leak in secrets} == {"history #7", "history #8"}
    assert all("0123456789" not in leak.why for leak in secrets)
    # without the export, the layer split is inferred and agrees
    quick = analyze_image(docker_api, tag, dockerfile=dockerfile, with_files=False)
    assert [(e.empty, e.layer_index) for e in quick.layers.entries] == [(e.empty, e.layer_index) for e in report.layers.entries]


def test_classic_builder_history_is_understood(docker_api):
    dockerfile = "FROM scratch\nENV MODE=prod\nCOPY one.txt /one.txt\nCOPY two.txt /one.txt\nLABEL purpose=test\n"
    tag = build(
        docker_api,
        {"Dockerfile": dockerfile.encode(), "one.txt": b"1" * 50, "two.txt": b"2" * 20},
        f"{PREFIX}/classic:1",
        buildkit=False,
    )
    try:
        report = analyze_image(docker_api, tag, dockerfile=dockerfile)
        assert [(e.command.cmd, e.source.line) for e in report.layers.entries] == [("ENV", 2), ("COPY", 3), ("COPY", 4), ("LABEL", 5)]
        assert report.waste.wasted_bytes == 50
        assert report.waste.paths()[0].copies[0].how == "overwritten"
    finally:
        docker_api.remove_image(tag, force=True)


@pytest.fixture(scope="module")
def go_images(docker_api, offline_images):
    folder = DEMOS / "go"
    files = {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    sdk = build(docker_api, files, f"{PREFIX}/go-build:1", buildargs=offline_images, target="build")
    final = build(docker_api, files, f"{PREFIX}/go-final:1", buildargs=offline_images, target="final")
    yield sdk, final, (folder / "Dockerfile").read_text()
    for tag in (sdk, final):
        docker_api.remove_image(tag, force=True)


@pytest.mark.slow
def test_go_demo_layers_and_sdk_vs_final(docker_api, offline_images, go_images):
    sdk_tag, final_tag, dockerfile = go_images
    final = analyze_image(docker_api, final_tag, dockerfile=dockerfile, target="final", build_args=offline_images)
    [layer] = final.layers.layers
    assert (layer.source.stage, layer.source.line, layer.source.instruction) == ("final", 18, "COPY --from=build /out/server /server")
    assert [e.source.line for e in final.layers.entries] == [18, 19, 20, 21]
    assert [leak for leak in final.leaks if leak.category != "secret"] == []

    sdk = analyze_image(docker_api, sdk_tag, dockerfile=dockerfile, target="build", build_args=offline_images)
    ours = [(e.command.cmd, e.source.line) for e in sdk.layers.entries if e.source.kind == "dockerfile"]
    assert ours == [("WORKDIR", 6), ("ENV", 7), ("COPY", 9), ("RUN", 10), ("COPY", 11), ("RUN", 12)]
    base = [e for e in sdk.layers.entries if e.source.kind == "base"]
    assert base and all(e.source.base_image == offline_images["SDK_IMAGE"] for e in base)
    assert any(leak.category == "toolchain" for leak in sdk.leaks)

    comparison = compare_reports(sdk, final)
    assert comparison.size_a / comparison.size_b > 50
    assert comparison.shared_layers == []
    assert [f.path for f in comparison.files if f.change == "added"] == ["/server"]
    assert "x smaller" in comparison.summary()


def test_layers_link_to_the_build_steps_that_made_them(docker_api, offline_images, tmp_path):
    from msb_tui.analysis import analyze
    from msb_tui.builds.model import BuildModel
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs

    dockerfile = f"FROM {offline_images['BASE_IMAGE']}\nCOPY a /a\nRUN cp /a /b\nENV X=1\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "a").write_bytes(b"a" * 10)
    tag = f"{PREFIX}/linked:1"
    model = BuildModel(analyze(dockerfile))
    for event in open_backend("engine", client=docker_api, record=False).start(BuildInputs(tmp_path, tags=(tag,))):
        model.apply(event)
    try:
        assert model.status == "succeeded", model.error
        report = analyze_image(docker_api, tag, dockerfile=dockerfile, build_model=model, with_files=False)
        linked = {e.source.line: e.build for e in report.layers.entries if e.build is not None}
        assert sorted(linked) == [2, 3]  # ENV has no step of its own in BuildKit's progress
        assert all(step.state in ("done", "cached") for step in linked.values())
        assert linked[3].name.endswith("RUN cp /a /b")
    finally:
        docker_api.remove_image(tag, force=True)
