"""Engine discovery: --host, DOCKER_HOST (+TLS), docker contexts, default socket; clear failures."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
from pathlib import Path

import pytest

from msb_tui.engine.connection import (
    DEFAULT_HOST,
    EngineUnavailable,
    candidate,
    connect,
    current_context_name,
)
from msb_tui.engine.info import gather


def make_context(config_dir: Path, name: str, host: str, *, current: bool = True, tls: bool = False) -> None:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}})
    )
    if tls:
        tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
        tls_dir.mkdir(parents=True)
        for pem in ("ca.pem", "cert.pem", "key.pem"):
            (tls_dir / pem).write_text("x")
    if current:
        (config_dir / "config.json").write_text(json.dumps({"auths": {}, "currentContext": name}))


def test_explicit_host_wins(tmp_path):
    make_context(tmp_path, "remote", "tcp://10.0.0.1:2375")
    env = {"DOCKER_HOST": "tcp://10.0.0.2:2375", "DOCKER_CONFIG": str(tmp_path)}
    chosen = candidate("unix:///tmp/x.sock", env)
    assert chosen.host == "unix:///tmp/x.sock" and chosen.source == "--host"


def test_order_docker_host_then_context_then_default(tmp_path):
    make_context(tmp_path, "remote", "tcp://10.0.0.1:2375")
    env = {"DOCKER_HOST": "unix:///tmp/other.sock", "DOCKER_CONFIG": str(tmp_path)}
    assert (candidate(None, env).host, candidate(None, env).source) == ("unix:///tmp/other.sock", "DOCKER_HOST")
    del env["DOCKER_HOST"]
    assert (candidate(None, env).host, candidate(None, env).source) == ("tcp://10.0.0.1:2375", "docker context 'remote'")
    (tmp_path / "config.json").unlink()
    assert (candidate(None, env).host, candidate(None, env).source) == (DEFAULT_HOST, "default socket")


def test_context_from_home_config_and_env_override(tmp_path):
    config = tmp_path / ".docker"
    config.mkdir()
    make_context(config, "one", "unix:///tmp/one.sock")
    make_context(config, "two", "unix:///tmp/two.sock", current=False)
    env = {"HOME": str(tmp_path)}
    assert current_context_name(env) == "one"
    assert candidate(None, env).host == "unix:///tmp/one.sock"
    env["DOCKER_CONTEXT"] = "two"
    assert candidate(None, env).host == "unix:///tmp/two.sock"


def test_default_context_means_default_socket(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert candidate(None, {"DOCKER_CONFIG": str(tmp_path)}).host == DEFAULT_HOST


def test_missing_context_is_an_error_not_a_fallback(tmp_path):
    env = {"DOCKER_CONFIG": str(tmp_path), "DOCKER_CONTEXT": "ghost"}
    with pytest.raises(EngineUnavailable) as caught:
        candidate(None, env)
    assert "ghost" in str(caught.value) and "not found" in str(caught.value)


def test_garbage_config_json_is_ignored(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    assert current_context_name({"DOCKER_CONFIG": str(tmp_path)}) is None


def test_context_tls_files_are_used(tmp_path):
    make_context(tmp_path, "secure", "tcp://10.0.0.1:2376", tls=True)
    tls = candidate(None, {"DOCKER_CONFIG": str(tmp_path)}).tls
    assert tls is not None and tls.verify and tls.ca_cert.endswith("ca.pem")
    assert tls.cert[0].endswith("cert.pem") and tls.cert[1].endswith("key.pem")


def test_docker_host_with_tls_verify(tmp_path):
    for pem in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / pem).write_text("x")
    env = {
        "DOCKER_HOST": "tcp://10.0.0.5:2376",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(tmp_path),
        "DOCKER_CONFIG": str(tmp_path / "none"),
    }
    chosen = candidate(None, env)
    assert chosen.source == "DOCKER_HOST" and chosen.tls and chosen.tls.verify


def test_docker_host_tls_without_certs_is_reported(tmp_path):
    env = {
        "DOCKER_HOST": "tcp://10.0.0.5:2376",
        "DOCKER_TLS_VERIFY": "1",
        "DOCKER_CERT_PATH": str(tmp_path / "missing"),
        "DOCKER_CONFIG": str(tmp_path),
    }
    with pytest.raises(EngineUnavailable) as caught:
        candidate(None, env)
    assert caught.value.candidate.source == "DOCKER_HOST"
    assert "tcp://10.0.0.5:2376" in str(caught.value)


def _refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: nothing listens there


def test_unavailable_lists_attempts_and_advice(tmp_path):
    port = _refused_port()
    with pytest.raises(EngineUnavailable) as caught:
        connect(f"tcp://127.0.0.1:{port}", answer_timeout=2)
    message = str(caught.value)
    assert f"tcp://127.0.0.1:{port} (--host)" in message and "refused" in message
    assert "engine up" in message or "Install Docker" in message
    assert caught.value.candidate.source == "--host"


def test_missing_socket_message(tmp_path):
    with pytest.raises(EngineUnavailable) as caught:
        connect(f"unix://{tmp_path}/no.sock", answer_timeout=2)
    assert "socket not found" in str(caught.value)


def test_silent_server_times_out_quickly(tmp_path):
    """A TCP listener that never answers must not hang connect()."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with pytest.raises(EngineUnavailable) as caught:
            connect(f"tcp://127.0.0.1:{port}", answer_timeout=0.5)
    assert "timed out" in str(caught.value)


def test_ssh_without_client_or_paramiko_is_explained(monkeypatch):
    import msb_tui.engine.connection as connection

    monkeypatch.setattr(connection.shutil, "which", lambda name: None)
    monkeypatch.setitem(__import__("sys").modules, "paramiko", None)
    with pytest.raises(EngineUnavailable) as caught:
        connect("ssh://nobody@127.0.0.1", answer_timeout=1)
    assert "paramiko" in str(caught.value)


@pytest.mark.engine
def test_real_engine_ping_and_info(docker_api):
    client = connect()
    info = gather(client)
    assert info.os == "linux" and info.buildkit
    assert info.api_version == client.version()["ApiVersion"]
    cli = subprocess.run(
        ["/usr/bin/docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True
    )
    if cli.returncode == 0:
        assert cli.stdout.strip() == info.version


@pytest.mark.engine
def test_a_dead_docker_host_is_an_error_not_a_fallback(docker_api, tmp_path):
    """Like the docker CLI: the engine the user named, or a clear failure (issue 14)."""
    env = {"DOCKER_HOST": f"unix://{tmp_path}/dead.sock", "DOCKER_CONFIG": str(tmp_path)}
    with pytest.raises(EngineUnavailable) as caught:
        connect(env=env)
    assert f"unix://{tmp_path}/dead.sock (DOCKER_HOST)" in str(caught.value)
