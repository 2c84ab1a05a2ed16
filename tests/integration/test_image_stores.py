"""Sizes on both image stores: content sizes agree across stores and with the engine's inspect on
the classic store; compressed sizes agree with inspect on the containerd store; a multi-platform
image is read one platform at a time, its attestation manifests never."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from msb_tui.image.report import analyze_image, content_size

pytestmark = pytest.mark.engine

PREFIX = "msb-test-stores"
RUN = uuid.uuid4().hex[:12]  # tags unique per run: other worktrees test on the same engines
DOCKERFILE = "FROM scratch\nCOPY big.bin /app.bin\nCOPY small.txt /app.bin\nCOPY dir/ /dir/\n"
CONTENT = [300_000, 6, 32]  # the file bytes each layer adds


@pytest.fixture
def sized_image(docker_api, tmp_path):
    from msb_tui.backends import open_backend
    from msb_tui.builds.events import ImageBuilt
    from msb_tui.builds.inputs import BuildInputs

    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "big.bin").write_bytes(bytes(range(256)) * 1171 + b"\1" * 224)  # 300,000 bytes
    (tmp_path / "small.txt").write_text("small\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f").write_text("x" * 32)
    tag = f"{PREFIX}/sized:{RUN}"
    stream = open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=tmp_path, tags=(tag,)))
    assert next((e for e in stream if isinstance(e, ImageBuilt)), None), "the image did not build"
    yield tag
    docker_api.remove_image(tag, force=True)


def test_sizes_are_content_sizes_and_agree_with_the_engine(docker_api, sized_image, engine_lane):
    report = analyze_image(docker_api, sized_image)
    layers = report.layers
    inspect = docker_api.inspect_image(sized_image)
    assert [entry.size for entry in layers.layers] == CONTENT
    assert (layers.size, layers.size_kind) == (sum(CONTENT), "content")
    assert content_size(docker_api, sized_image) == sum(CONTENT)
    if engine_lane.containerd_store:
        assert layers.store == "containerd"
        # inspect's Size there is the packed size: manifest + config + compressed layer blobs
        assert layers.compressed_size == inspect["Size"] == layers.engine_size
        assert all(entry.compressed_size is not None for entry in layers.layers)
        assert layers.layers[1].compressed_size > 6  # a 6-byte file still costs a gzip'd tar
    else:
        assert layers.store == "classic"
        assert layers.size == inspect["Size"] and layers.compressed_size is None


def test_layers_command_says_which_size_it_shows(sized_image, engine_lane, tmp_path):
    import os
    import sys

    result = subprocess.run([sys.executable, "-m", "msb_tui", "layers", sized_image, "--json"],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["size"], data["size_kind"]) == (sum(CONTENT), "content")
    assert data["image_store"] == ("containerd" if engine_lane.containerd_store else "classic")
    text = subprocess.run([sys.executable, "-m", "msb_tui", "layers", sized_image],
                          capture_output=True, text=True, timeout=120).stdout
    assert "content" in text.splitlines()[1]
    assert ("compressed" in text.splitlines()[1]) == engine_lane.containerd_store


@pytest.fixture
def multi_platform_image(engine_lane, docker_api, tmp_path):
    if not engine_lane.containerd_store:
        pytest.skip("multi-platform images need the containerd image store")
    docker = shutil.which("docker")
    if docker is None:
        pytest.fail("the docker CLI is missing (the machine image ships it)")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nARG TARGETARCH\nCOPY hello-${TARGETARCH}.txt /hello.txt\n")
    (tmp_path / "hello-amd64.txt").write_text("amd\n")
    (tmp_path / "hello-arm64.txt").write_text("arm64!\n")
    tag = f"{PREFIX}/multi:{RUN}"
    build = subprocess.run(
        [docker, "buildx", "build", "--platform", "linux/amd64,linux/arm64", "--provenance=mode=min", "-t", tag, str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    yield tag
    docker_api.remove_image(tag, force=True)


def test_a_platform_is_picked_from_a_multi_platform_index(docker_api, multi_platform_image):
    manifests = docker_api._result(docker_api._get(docker_api._url("/images/{0}/json", multi_platform_image),
                                                   params={"manifests": "1"}), True)["Manifests"]
    assert {m["Kind"] for m in manifests} == {"image", "attestation"}  # what the index holds
    content = {f"{m['ImageData']['Platform']['os']}/{m['ImageData']['Platform']['architecture']}": m["Size"]["Content"]
               for m in manifests if m["Kind"] == "image"}
    for platform, file_bytes in (("linux/arm64", 7), ("linux/amd64", 4)):
        report = analyze_image(docker_api, multi_platform_image, platform=platform)
        assert report.layers.platform == platform and report.archive.platform == platform
        assert [entry.size for entry in report.layers.layers] == [file_bytes]
        assert report.layers.compressed_size == content[platform]  # the engine's own figure
    default = analyze_image(docker_api, multi_platform_image)
    assert default.archive.platforms == ["linux/amd64", "linux/arm64"]  # attestations are not images
    assert default.layers.layers[0].size == 4  # the engine's platform


def test_platform_option_on_an_old_engine_says_what_it_needs(docker_api, engine_lane):
    if engine_lane.name != "compat":
        pytest.skip("only Docker 20.10 lacks the platform parameter")
    with pytest.raises(ValueError, match="needs Docker 28"):
        analyze_image(docker_api, "msb-demo/busybox:1.35", platform="linux/arm64")
