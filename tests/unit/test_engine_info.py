"""What msb-tui says about an engine, from the engine's own /version and /info answers."""

from __future__ import annotations

from msb_tui.engine.info import EngineInfo, buildkit_of, from_engine

VERSION_28 = {"Version": "28.5.2+dfsg4", "ApiVersion": "1.51", "Os": "linux", "Arch": "amd64"}
VERSION_20 = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64"}
INFO_CONTAINERD = {"Driver": "overlayfs", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}
INFO_OVERLAY2 = {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]]}


def test_the_containerd_image_store_is_recognised():
    info = from_engine(VERSION_28, INFO_CONTAINERD, "unix:///run/msb-tui/containerd/docker.sock")
    assert (info.image_store, info.storage_driver, info.containerd_store) == ("containerd", "overlayfs", True)
    assert info.summary() == "Docker 28.5.2+dfsg4 · BuildKit 0.25 · containerd store"
    assert from_engine(VERSION_28, INFO_OVERLAY2).image_store == "classic"


def test_buildkit_version_of_each_docker_release():
    assert buildkit_of("20.10.24+dfsg1") == "0.8"
    assert buildkit_of("28.5.2+dfsg4") == "0.25"
    assert buildkit_of("26.1.5+dfsg1") == "0.13"
    assert buildkit_of("not a version") == "" and buildkit_of("") == ""


def test_status_lines_say_everything():
    info = from_engine(VERSION_20, INFO_OVERLAY2, "unix:///var/run/docker.sock")
    lines = dict(info.describe())
    assert lines["address"] == "unix:///var/run/docker.sock"
    assert lines["API version"] == "1.41"
    assert lines["BuildKit"].startswith("0.8 ")
    assert lines["image store"].startswith("classic") and "overlay2" in lines["image store"]


def test_records_round_trip_and_old_recordings_still_read():
    info = from_engine(VERSION_28, INFO_CONTAINERD, "unix:///x.sock")
    assert EngineInfo.from_record(info.to_record()) == info
    old = EngineInfo.from_record({"version": "20.10.24+dfsg1", "api_version": "1.41", "os": "linux"})
    assert (old.version, old.buildkit_version, old.image_store) == ("20.10.24+dfsg1", "0.8", "")
    assert EngineInfo.from_record(None) == EngineInfo() and EngineInfo().summary() == "engine unknown"
