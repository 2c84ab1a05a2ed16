"""ensure_engine's decisions, without touching the real engine: what it does when nothing answers."""

from __future__ import annotations

import pytest

from msb_tui.cli import main
from msb_tui.engine import local


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
    assert (status.host, status.version, status.started_by_us) == (local.DEFAULT_SOCKET, "27.0", False)
