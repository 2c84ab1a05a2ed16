"""The engine lanes and how their engines are fetched and started (no engine is started here)."""

from __future__ import annotations

import json

import pytest

from msb_tui.engine import debian_engine, lanes


def test_the_current_engine_is_the_primary_lane_and_every_lane_has_its_own_address():
    assert lanes.PRIMARY.name == "current" and lanes.LANES[0] is lanes.PRIMARY
    assert [lane.name for lane in lanes.LANES] == ["current", "containerd", "compat"]
    assert len({lane.host for lane in lanes.LANES}) == 3
    assert lanes.lane("compat").host == "unix:///var/run/docker.sock"
    assert lanes.lane("containerd").containerd_store and not lanes.lane("current").containerd_store


def test_lane_selection():
    assert [lane.name for lane in lanes.parse_lanes("all")] == ["current", "containerd", "compat"]
    assert [lane.name for lane in lanes.parse_lanes("compat, current")] == ["current", "compat"]
    assert [lane.name for lane in lanes.selected_lanes({"MSB_TUI_LANES": "containerd"})] == ["containerd"]
    assert len(lanes.selected_lanes({})) == 3
    with pytest.raises(ValueError, match="no engine lane named 'docker29'"):
        lanes.parse_lanes("current,docker29")


def test_each_current_engine_starts_in_its_own_network_namespace_with_its_own_state():
    binaries = debian_engine.EngineBinaries(debian_engine.Path("/cache/docker-28.5.2"), "28.5.2", "unstable")
    for name in ("current", "containerd"):
        lane = lanes.lane(name)
        command = lanes.start_command(lane, binaries.dockerd)
        # Only the network namespace is entered: `ip netns exec` remounts /sys and breaks dockerd.
        assert command[:3] == ["nsenter", f"--net=/run/netns/msb-tui-{name}", "--"]
        assert "/cache/docker-28.5.2/usr/sbin/dockerd" in command
        for flag in ("--host", "--data-root", "--exec-root", "--pidfile", "--config-file"):
            assert sum(part.startswith(flag + "=") for part in command) == 1, flag
        assert f"--host={lane.host}" in command and f"--data-root=/var/lib/msb-tui/{name}" in command
    assert lanes.daemon_config(lanes.lane("containerd")) == {"features": {"containerd-snapshotter": True}}
    assert lanes.daemon_config(lanes.lane("current")) == {"features": {"containerd-snapshotter": False}}


def test_cached_binaries_are_reused_only_when_complete(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert debian_engine.cached() is None
    root = tmp_path / "msb-tui" / "engines" / "docker-28.5.2"
    record = {"root": str(root), "version": "28.5.2+dfsg4-5", "suite": "unstable"}
    (tmp_path / "msb-tui" / "engines" / "current.json").write_text(json.dumps(record))
    assert debian_engine.cached() is None  # recorded, but the binaries are gone
    for path in (root / "usr/sbin/dockerd", root / "usr/libexec/docker/cli-plugins/docker-buildx"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    found = debian_engine.cached()
    assert found is not None and (found.version, found.suite) == ("28.5.2+dfsg4-5", "unstable")
    assert found.path_dirs == [str(root / "usr/bin"), str(root / "usr/sbin")]


def test_the_private_apt_configuration_leaves_the_machines_apt_alone(tmp_path):
    apt = debian_engine._PrivateApt(tmp_path, "http://deb.example/debian", "unstable")
    text = " ".join(apt.options)
    assert f"Dir::Etc::sourcelist={tmp_path}/etc/sources.list" in text
    assert "Dir::Etc::sourceparts=-" in text  # /etc/apt/sources.list.d is not read
    assert f"Dir::State::Lists={tmp_path}/lists" in text and f"Dir::Cache={tmp_path}/cache" in text
    assert (tmp_path / "etc/sources.list").read_text().split()[-3:] == ["http://deb.example/debian", "unstable", "main"]


def test_a_failing_suite_falls_back_to_the_next_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    said = []

    def fetch_suite(mirror, suite, say):
        if suite == "unstable":
            raise RuntimeError("docker.io is not installable today")
        return debian_engine.EngineBinaries(tmp_path / "x", "26.1.5+dfsg1-9", suite)

    monkeypatch.setattr(debian_engine, "_fetch_suite", fetch_suite)
    found = debian_engine.fetch("http://deb.example/debian", said.append)
    assert (found.version, found.suite) == ("26.1.5+dfsg1-9", "testing")
    assert "not installable" in said[0] and "next suite" in said[0]
    assert json.loads((tmp_path / "msb-tui/engines/current.json").read_text())["suite"] == "testing"
