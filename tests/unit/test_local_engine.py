"""ensure_engine's decisions, without touching the real engine: what it does when nothing answers."""

from __future__ import annotations

import pytest

from msb_tui.cli import main
from msb_tui.engine import local
from msb_tui.engine.connection import DEFAULT_HOST


def test_a_configured_docker_host_that_does_not_answer_is_reported_not_replaced(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    with pytest.raises(local.EngineSetupError, match="does not answer.*unset DOCKER_HOST"):
        local.ensure_engine()


def test_without_permission_to_start_one_it_says_what_to_install(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local, "ping", lambda host, timeout=5: None)
    monkeypatch.setattr(local.os, "geteuid", lambda: 1000)
    with pytest.raises(local.EngineSetupError, match="Install and start Docker"):
        local.ensure_engine()


def test_status_does_not_start_anything(monkeypatch, capsys):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local, "ping", lambda host, timeout=5: None)
    started = []
    monkeypatch.setattr(local.subprocess, "Popen", lambda *a, **k: started.append(a))
    assert main(["engine", "status"]) == 3
    assert not started
    assert "msb-tui engine up" in capsys.readouterr().err


def test_an_answering_engine_is_used_as_is(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local, "ping", lambda host, timeout=5: "27.0")
    status = local.ensure_engine()
    assert (status.host, status.version, status.started_by_us) == (DEFAULT_HOST, "27.0", False)


def test_when_nothing_answers_the_current_engine_is_the_one_started(monkeypatch):
    """The demo's engine: with no DOCKER_HOST and nothing on the local socket, `engine up` starts
    the primary lane (current Docker from Debian's newest suite), not Debian 12's 20.10."""
    from msb_tui.engine import lanes

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local, "ping", lambda host, timeout=5: None)
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)
    monkeypatch.setattr(local, "_is_debian_like", lambda: True)
    started = []

    def fake_lanes(wanted):
        started.extend(wanted)
        return [local.EngineStatus(host=wanted[0].host, version="28.5.2", started_by_us=True, lane=wanted[0].name)]

    monkeypatch.setattr(local, "ensure_lanes", fake_lanes)
    status = local.ensure_engine()
    assert started == [lanes.PRIMARY] and status.lane == "current"
    assert status.host == "unix:///run/msb-tui/current/docker.sock"


def test_an_engine_started_earlier_on_the_current_lane_is_found(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(local, "ping", lambda host, timeout=5: "28.5.2" if "msb-tui/current" in host else None)
    status = local.ensure_engine(start=False)
    assert (status.lane, status.version) == ("current", "28.5.2")
