"""Where wire sizes come from without an export: gzip sizes on every core, a layer tar laid out from
its files and estimated from a sample, the engine's own records (distribution metadata, the
containerd store's manifest through ``ctr``), and how figures rank, are remembered and are shown."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import stat
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from msb_tui.registry import render
from msb_tui.registry.deflate import gzip_size
from msb_tui.registry.engine_store import EngineStore, open_store
from msb_tui.registry.estimate import LayerTar, estimate_layer
from msb_tui.registry.wire import (COMPUTED, ESTIMATED, MEASURED_REGISTRY, WireLayer, WireReport, figures_from_engine,
                                   load_cache, remember)

D = ["sha256:" + c * 64 for c in "abcd"]
B = ["sha256:" + c * 64 for c in "1234"]


def _mixed(size: int, seed: int) -> bytes:
    """Half text, half noise, in runs: data whose ratio varies along the stream, as a layer's does."""
    rng = random.Random(seed)
    words = [str(rng.randint(0, 10**rng.randint(1, 6))) for _ in range(3000)]
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.5:
            out += rng.randbytes(rng.randint(1_000, 200_000))
        else:
            out += " ".join(rng.choices(words, k=rng.randint(200, 40_000))).encode()
    return bytes(out[:size])


def test_gzip_size_in_pieces_is_within_a_thousandth_of_one_stream():
    data = _mixed(6 << 20, 1)
    whole = len(gzip.compress(data, compresslevel=6, mtime=0))
    read, size = gzip_size((data[i:i + (1 << 20)] for i in range(0, len(data), 1 << 20)), threads=3)
    assert read == len(data)
    assert abs(size - whole) <= whole / 1000, (size, whole)  # measured: 1,403 B in 4.65 MB


def _layer(folder: Path, big: int = 0) -> Path:
    (folder / "usr/lib/deep" / ("d" * 90) / ("e" * 80)).mkdir(parents=True)
    (folder / "etc").mkdir()
    (folder / "etc/hostname").write_text("box\n")
    (folder / "usr/lib/deep" / ("d" * 90) / ("e" * 80) / "long-name.txt").write_text("x" * 3000)  # USTAR prefix split
    (folder / "usr/lib" / ("p" * 120)).write_text("needs a PAX path record")
    (folder / "usr/lib/noise.bin").write_bytes(random.Random(2).randbytes(70_000))
    os.link(folder / "usr/lib/noise.bin", folder / "usr/lib/noise-again.bin")  # a link entry, no data
    os.symlink("hostname", folder / "etc/name")
    if big:
        (folder / "usr/lib/big.dat").write_bytes(_mixed(big, 3))
    return folder


def test_the_layer_tar_is_a_tar_of_the_folder_in_name_order(tmp_path):
    folder = _layer(tmp_path / "layer")
    tar = LayerTar(folder)
    data = tar.read(0, tar.size)
    assert len(data) == tar.size and tar.size % 512 == 0
    import io

    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert archive.extractfile("usr/lib/noise.bin").read() == (folder / "usr/lib/noise.bin").read_bytes()
    names = list(members)
    assert names == sorted(names, key=lambda name: name.rstrip("/").split("/"))
    assert "usr/lib/" + "p" * 120 in members and members["etc/name"].linkname == "hostname"
    assert members["usr/lib/noise.bin"].islnk() and members["usr/lib/noise.bin"].linkname == "usr/lib/noise-again.bin"
    assert tar.read(tar.size - 100, 500) == bytes(100)  # reading past the end stops at the end


def test_a_small_layer_is_gzipped_whole(tmp_path):
    folder = _layer(tmp_path / "layer", big=2 << 20)
    tar = LayerTar(folder)
    found = estimate_layer(folder)
    whole = len(gzip.compress(tar.read(0, tar.size), compresslevel=6, mtime=0))
    assert found.fraction == 1.0 and found.margin == 0
    assert abs(found.wire_size - whole) <= 64


def test_a_big_layer_is_estimated_from_a_sample_within_its_margin(tmp_path):
    folder = _layer(tmp_path / "layer", big=16 << 20)
    tar = LayerTar(folder)
    whole = gzip_size(tar.read(offset, 1 << 20) for offset in range(0, tar.size, 1 << 20))[1]
    found = estimate_layer(folder)
    assert 0.2 < found.fraction < 0.3 and 0 < found.margin < 0.2  # at least 4 MiB of the 16.9 MB tar
    assert abs(found.wire_size - whole) <= found.margin * whole, (found, whole)


# --- the engine's own records ------------------------------------------------------------------------

class _Info:
    def __init__(self, info: dict, base_url: str = "http+docker://localhost"):
        self._info, self.base_url = info, base_url

    def info(self):
        return self._info


def test_the_store_is_read_only_for_the_engine_whose_data_root_this_is(tmp_path):
    (tmp_path / "engine-id").write_text("abc\n")
    (tmp_path / "image").mkdir()
    info = {"ID": "abc", "DockerRootDir": str(tmp_path), "Driver": "overlay2"}
    assert open_store(_Info(info)) == EngineStore(tmp_path, "overlay2")
    assert open_store(_Info(info | {"ID": "another"})) is None
    assert open_store(_Info(info | {"DockerRootDir": str(tmp_path / "absent")})) is None
    (tmp_path / "engine-id").unlink()  # Docker before 23 writes none: its own unix socket only
    assert open_store(_Info(info | {"ID": "OLD:KEY"})) == EngineStore(tmp_path, "overlay2")
    assert open_store(_Info(info | {"ID": "OLD:KEY"}, base_url="http://10.0.0.5:2375")) is None


def test_layer_folders_pair_with_diff_ids_bottom_first(tmp_path):
    folders = [tmp_path / "overlay2" / name / "diff" for name in ("low", "mid", "top")]
    for folder in folders:
        folder.mkdir(parents=True)
    store = EngineStore(tmp_path, "overlay2")
    inspect = {"RootFS": {"Layers": D[:3]}, "GraphDriver": {"Name": "overlay2", "Data": {
        "UpperDir": str(folders[2]), "LowerDir": f"{folders[1]}:{folders[0]}"}}}
    assert store.layer_dirs(inspect) == folders
    assert store.layer_dirs(inspect | {"RootFS": {"Layers": D[:2]}}) is None
    assert store.layer_dirs(inspect | {"GraphDriver": {"Name": "btrfs", "Data": {}}}) is None


def test_the_containerd_manifest_comes_from_ctr_and_must_match_its_digest(tmp_path, monkeypatch):
    manifest = json.dumps({"layers": [{"digest": B[0], "size": 1234}], "config": {"digest": B[1], "size": 5}}).encode()
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    (tmp_path / "blob").write_bytes(manifest)
    ctr = tmp_path / "bin" / "ctr"
    ctr.parent.mkdir()
    ctr.write_text(f"#!/bin/sh\n[ \"$2\" = /run/c.sock ] && [ \"$4\" = moby ] && [ \"$7\" = {digest} ] && exec cat {tmp_path / 'blob'}\nexit 1\n")
    ctr.chmod(ctr.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{ctr.parent}:{os.environ['PATH']}")
    store = EngineStore(tmp_path, "overlayfs", ("/run/c.sock", "moby"))
    inspect = {"Descriptor": {"digest": digest}, "RootFS": {"Layers": [D[0]]}}
    assert store.manifest(inspect)["layers"][0]["size"] == 1234
    figures = figures_from_engine(store, inspect, {D[0]})
    assert figures == {D[0]: {"wire_size": 1234, "digest": B[0], "how": "measured (engine blob)"}}
    assert store.manifest({"Descriptor": {"digest": B[3]}}) is None  # ctr gives nothing for another digest


class _Blobs(BaseHTTPRequestHandler):
    sizes = {f"/v2/team/app/blobs/{B[0]}": 777}

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        size = self.sizes.get(self.path)
        self.send_response(200 if size else 404)
        self.send_header("Content-Length", str(size or 0))
        self.end_headers()


def test_digests_docker_pushed_are_measured_with_a_head(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Blobs)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        registry = f"127.0.0.1:{server.server_port}"
        metadata = tmp_path / "image/overlay2/distribution/v2metadata-by-diffid/sha256"
        metadata.mkdir(parents=True)
        (metadata / D[0][7:]).write_text(json.dumps([
            {"Digest": B[2], "SourceRepository": "docker.io/library/golang", "HMAC": ""},  # not asked: not loopback
            {"Digest": B[1], "SourceRepository": f"{registry}/gone", "HMAC": ""},  # 404: next one
            {"Digest": B[0], "SourceRepository": f"{registry}/team/app", "HMAC": ""}]))
        store = EngineStore(tmp_path, "overlay2")
        figures = figures_from_engine(store, {"RootFS": {"Layers": [D[0], D[1]]}}, {D[0], D[1]})
        assert figures == {D[0]: {"wire_size": 777, "digest": B[0], "how": MEASURED_REGISTRY, "source": f"{registry}/team/app"}}
    finally:
        server.shutdown()


# --- ranks, memory and how an estimate reads ---------------------------------------------------------

def test_a_better_figure_replaces_a_worse_one_never_the_reverse(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    remember({D[0]: {"wire_size": 90, "digest": None, "how": ESTIMATED, "sample": 0.02, "margin": 0.05}})
    remember({D[0]: {"wire_size": 100, "digest": None, "how": COMPUTED}})
    remember({D[0]: {"wire_size": 95, "digest": None, "how": ESTIMATED, "sample": 0.02, "margin": 0.05}})
    assert load_cache()[D[0]]["wire_size"] == 100
    remember({D[0]: {"wire_size": 104, "digest": B[0], "how": MEASURED_REGISTRY}})
    remember({D[0]: {"wire_size": 100, "digest": None, "how": COMPUTED}})
    assert load_cache()[D[0]] == {"wire_size": 104, "digest": B[0], "how": MEASURED_REGISTRY}


def test_an_estimate_reads_as_one_in_text_and_json():
    report = WireReport("sdk:1", "sha256:" + "e" * 64, [
        WireLayer(D[0], 583_000_000, wire_size=173_400_000, how=ESTIMATED, sample=0.02, margin=0.047),
        WireLayer(D[1], 1000, wire_size=400, digest=B[0], how=MEASURED_REGISTRY)])
    text = "\n".join(render.wire_lines(report))
    assert "~173.4 MB" in text and "estimated from a 2% sample, ±5% sampling" in text and "~173.4 MB    583.0 MB" in text
    assert " 400 Bytes" in text and "~400" not in text  # a measured figure carries no "~"
    assert render.figure(report.layers[0], short=True) == "est. (2% sample ±5%)"
    data = report.to_dict()
    assert data["estimated"] is True and [layer["estimated"] for layer in data["layers"]] == [True, False]
    assert data["layers"][0]["sample"] == 0.02 and data["layers"][0]["margin"] == 0.047
