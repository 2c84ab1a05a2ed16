"""A remote engine over TCP: a second dockerd listening on 127.0.0.1:<free port> (loopback only).

The second engine lives in its own network namespace (see ``second_engine.py``), so the msb-tui
CLI runs there too (``nsenter --net``): a real TCP connection from msb-tui to a real dockerd. It has
no images: the builds use ``FROM scratch`` + ``COPY``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from second_engine import SecondEngine

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def remote_engine(docker_api):  # docker_api: skip like every engine test when dockerd is missing
    engine = SecondEngine(tcp=True).start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def scratch_context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS files\nCOPY hello.txt /hello.txt\n\nFROM files\nCOPY more.txt /more.txt\n")
    (tmp_path / "hello.txt").write_text("hello over tcp\n")
    (tmp_path / "more.txt").write_text("more\n")
    return tmp_path


def msb_tui(engine: SecondEngine, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    full_env.update(env or {})
    return engine.run_in_netns(
        [sys.executable, "-m", "msb_tui", *args], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_build_with_host_option_over_tcp(remote_engine, scratch_context, tmp_path):
    result = msb_tui(remote_engine, "build", str(scratch_context), "--host", remote_engine.tcp_host,
                     "-t", "msb-test-remote/hello:1", "--no-record")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "status: succeeded" in result.stdout
    assert "[files 1/1] COPY hello.txt /hello.txt" in result.stdout
    # the image is on the remote engine, not on the suite's engine
    images = remote_engine.client().images(name="msb-test-remote/hello")
    assert images and images[0]["RepoTags"] == ["msb-test-remote/hello:1"]


def test_build_with_docker_host_over_tcp(remote_engine, scratch_context):
    result = msb_tui(remote_engine, "build", str(scratch_context), "--no-record", "--progress", "json",
                     env={"DOCKER_HOST": remote_engine.tcp_host})
    assert result.returncode == 0, result.stderr
    assert '"status": "succeeded"' in result.stdout


def test_classic_build_over_tcp(remote_engine, scratch_context):
    result = msb_tui(remote_engine, "build", str(scratch_context), "--classic", "--host", remote_engine.tcp_host, "--no-record")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "[files 2/2] COPY hello.txt /hello.txt" in result.stdout  # classic numbering counts FROM


def test_connect_and_engine_info_over_tcp(remote_engine):
    code = (
        "from msb_tui.engine.connection import connect; from msb_tui.engine.info import gather;"
        f"c = connect({remote_engine.tcp_host!r}); i = gather(c);"
        "print(c.base_url, i.version, i.buildkit, i.os)"
    )
    result = remote_engine.run_in_netns([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    base_url, version, buildkit, os_name = result.stdout.split()
    assert base_url == remote_engine.tcp_host.replace("tcp://", "http://")
    assert buildkit == "True" and os_name == "linux" and version.startswith("20.10")


def test_wrong_port_is_unreachable_exit_3(remote_engine, scratch_context):
    port = int(remote_engine.tcp_host.rsplit(":", 1)[1])
    wrong = f"tcp://127.0.0.1:{port + 1 if port < 65535 else port - 1}"
    result = msb_tui(remote_engine, "build", str(scratch_context), "--host", wrong, "--no-record")
    assert result.returncode == 3
    assert f"{wrong} (--host)" in result.stderr and "refused" in result.stderr


def test_buildx_builder_of_a_docker_context_over_tcp(remote_engine, scratch_context, tmp_path):
    """A builder on another engine, reached through a docker context over TCP: `--builder CONTEXT`
    runs docker buildx build there (the context's default builder, driver docker)."""
    config = tmp_path / "docker-config"
    (config / "cli-plugins").mkdir(parents=True)
    plugin = Path.home() / ".docker" / "cli-plugins" / "docker-buildx"
    if not plugin.exists():
        pytest.fail(f"the buildx plugin is missing at {plugin}: run 'scripts/dev.sh setup'")
    (config / "cli-plugins" / "docker-buildx").symlink_to(plugin.resolve())
    env = {"DOCKER_CONFIG": str(config)}
    name = "msb-test-remote"
    created = remote_engine.run_in_netns(["docker", "context", "create", name, "--docker", f"host={remote_engine.tcp_host}"],
                                         env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stderr
    result = msb_tui(remote_engine, "build", str(scratch_context), "--builder", name, "-t", "msb-test-remote/buildx:1",
                     "--no-record", env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "[files 1/1] COPY hello.txt /hello.txt" in result.stdout and "status: succeeded" in result.stdout
    assert remote_engine.client().images(name="msb-test-remote/buildx")  # built there, not on the suite's engine
    unknown = msb_tui(remote_engine, "build", str(scratch_context), "--builder", "no-such-builder", "--no-record", env=env)
    assert unknown.returncode == 3 and 'no builder "no-such-builder" found' in unknown.stderr
