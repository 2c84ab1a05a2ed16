"""Build small image exports in memory (legacy docker and OCI layouts) for the image tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile


def layer_tar(entries: list[tuple], compress: bool = False) -> bytes:
    """A layer tar from ``(path, content_bytes)`` files, ``(path, None)`` directories and
    ``(path, "->", target)`` symlinks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for entry in entries:
            path = entry[0]
            info = tarfile.TarInfo(path)
            info.mtime = 1_700_000_000
            if len(entry) == 3:
                info.type = tarfile.SYMTYPE
                info.linkname = entry[2]
                tar.addfile(info)
            elif entry[1] is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    data = buffer.getvalue()
    return gzip.compress(data) if compress else data


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def _config(layers: list[bytes], history: list[dict] | None) -> dict:
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created_by": f"layer {i}"} for i in range(len(layers))],
    }


def legacy_archive(layers: list[bytes], history: list[dict] | None = None, manifest_first: bool = False) -> bytes:
    """A ``docker save`` archive in the legacy layout (manifest.json last unless asked)."""
    config = json.dumps(_config(layers, history)).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    ids = [hashlib.sha256(b"id" + layer).hexdigest() for layer in layers]
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": ["test/image:latest"], "Layers": [f"{i}/layer.tar" for i in ids]}]
    ).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        if manifest_first:
            _add(tar, "manifest.json", manifest)
        for layer_id, layer in sorted(zip(ids, layers)):  # the engine writes them by id, not in order
            _add(tar, f"{layer_id}/VERSION", b"1.0")
            _add(tar, f"{layer_id}/json", b"{}")
            _add(tar, f"{layer_id}/layer.tar", layer)
        _add(tar, config_name, config)
        if not manifest_first:
            _add(tar, "manifest.json", manifest)
        _add(tar, "repositories", b"{}")
    return buffer.getvalue()


def oci_archive(layers: list[bytes], history: list[dict] | None = None, with_manifest_json: bool = False) -> bytes:
    """An OCI-layout export (``index.json`` -> manifest blob -> config and layer blobs)."""
    config = json.dumps(_config(layers, history)).encode()

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    image_manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(layer), "size": len(layer)}
                for layer in layers
            ],
        }
    ).encode()
    index = json.dumps(
        {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest(image_manifest),
                    "size": len(image_manifest),
                    "annotations": {"io.containerd.image.name": "docker.io/test/image:latest"},
                }
            ],
        }
    ).encode()
    blobs = {digest(data): data for data in [*layers, config, image_manifest]}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(blobs.items()):  # by digest: layers in no particular order
            _add(tar, "blobs/sha256/" + name.split(":")[1], data)
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "index.json", index)
        if with_manifest_json:
            _add(
                tar,
                "manifest.json",
                json.dumps(
                    [
                        {
                            "Config": "blobs/sha256/" + digest(config).split(":")[1],
                            "RepoTags": ["test/image:latest"],
                            "Layers": ["blobs/sha256/" + digest(layer).split(":")[1] for layer in layers],
                        }
                    ]
                ).encode(),
            )
    return buffer.getvalue()
