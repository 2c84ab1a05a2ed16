"""Multi-platform exports (containerd image store): one platform is read, attestations never,
and the compressed size is what the engine counts (manifest + config + layer blobs)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile

import pytest
from test_image_archives import layer_tar

from msb_tui.image.export import ExportError, read_image_archive
from msb_tui.image.platforms import parse_platform, platform_param


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _multi_platform_export(manifest_json_platform: str = "amd64") -> bytes:
    """An OCI export like Docker 28's of a two-platform image with provenance attestations."""
    blobs: dict[str, bytes] = {}

    def blob(data: bytes) -> dict:
        blobs[_digest(data)] = data
        return {"digest": _digest(data), "size": len(data)}

    descriptors = []
    for arch, content in (("amd64", b"amd\n"), ("arm64", b"arm64!\n")):
        layer = gzip.compress(layer_tar([("hello.txt", content)]), mtime=0)
        config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [
            _digest(layer_tar([("hello.txt", content)]))]}, "history": [{"created_by": "COPY"}]}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(layer)}],
        }).encode()
        descriptors.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(manifest),
                            "platform": {"architecture": arch, "os": "linux"}})
    for image in list(descriptors):
        statement = b'{"_type": "https://in-toto.io/Statement/v0.1"}'
        att_config = b"{}"
        attestation = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(att_config)},
            "layers": [{"mediaType": "application/vnd.in-toto+json", **blob(statement)}],
        }).encode()
        # BuildKit lists attestations first in some indexes: they must still never be read.
        descriptors.insert(0, {"mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(attestation),
                               "platform": {"architecture": "unknown", "os": "unknown"},
                               "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                               "vnd.docker.reference.digest": image["digest"]}})
    nested = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": descriptors}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", **blob(nested),
        "annotations": {"io.containerd.image.name": "docker.io/test/multi:1"}}]}).encode()
    chosen = next(d for d in descriptors if (d.get("platform") or {}).get("architecture") == manifest_json_platform)
    chosen_manifest = json.loads(blobs[chosen["digest"]])
    manifest_json = json.dumps([{"Config": "blobs/sha256/" + chosen_manifest["config"]["digest"][7:],
                                 "RepoTags": ["test/multi:1"],
                                 "Layers": ["blobs/sha256/" + chosen_manifest["layers"][0]["digest"][7:]]}]).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for digest, data in blobs.items():
            info = tarfile.TarInfo("blobs/sha256/" + digest[7:])
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, data in (("index.json", index), ("manifest.json", manifest_json), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _read(data: bytes, platform: str | None = None):
    return read_image_archive(io.BytesIO(data), platform)


def test_each_platform_is_read_and_attestations_never():
    data = _multi_platform_export()
    first = _read(data)
    assert first.platform == "linux/amd64" and first.platforms == ["linux/amd64", "linux/arm64"]
    assert first.layers[0].entries == {"hello.txt": (0, 4, 0)}
    arm = _read(data, "linux/arm64")
    assert arm.platform == "linux/arm64" and arm.layers[0].file_bytes == 7
    assert arm.config["architecture"] == "arm64"


def test_compressed_size_is_manifest_config_and_layer_blobs():
    archive = _read(_multi_platform_export(), "linux/arm64")
    assert archive.compressed and len(archive.blob_sizes) == 1
    assert archive.compressed_size == archive.manifest_bytes + archive.config_bytes + archive.blob_sizes[0]
    assert archive.blob_sizes[0] < archive.layers[0].tar_size or archive.layers[0].tar_size == archive.blob_sizes[0]


def test_a_platform_the_archive_lacks_is_a_clear_error():
    with pytest.raises(ExportError, match="no image for platform linux/s390x"):
        _read(_multi_platform_export(), "linux/s390x")


def test_platform_strings():
    assert parse_platform("linux/arm64/v8") == {"os": "linux", "architecture": "arm64", "variant": "v8"}
    assert json.loads(platform_param("linux/amd64")) == {"os": "linux", "architecture": "amd64"}
    with pytest.raises(ValueError, match="os/arch"):
        parse_platform("arm64")
