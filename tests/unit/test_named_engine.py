"""The engine the user names (--host, DOCKER_HOST, a docker context) is used or the command fails
clearly, naming it: never another engine, as with the docker CLI (issue 14 item 2). These run with
the suite's local engine up, so a fallback to the default socket would make them succeed."""

from __future__ import annotations

import hashlib
import json
import threading

from pathlib import Path

import pytest

from msb_tui.cli import main

SEED = str(Path(__file__).resolve().parents[2] / "demo_dockerfiles" / "seed-example")
DEAD = "unix:///nonexistent/docker.sock"


@pytest.fixture
def dead_docker_host(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", DEAD)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("MSB_TUI_STATE", str(tmp_path / "state"))


@pytest.mark.parametrize("argv", [
    ["build", SEED, "--build-arg", "BASE_IMAGE=msb-demo/busybox:1.35", "--no-record"],
    ["layers", "msb-demo/busybox:1.35"],
    ["compare", "msb-demo/busybox:1.35", "msb-demo/busybox:1.35"],
    ["ci", "msb-demo/busybox:1.35", "--max-size", "1GB"],
    ["demo", "seed-example", "--headless"],
], ids=["build", "layers", "compare", "ci", "demo-headless"])
def test_a_dead_docker_host_fails_with_exit_3_naming_it(dead_docker_host, argv, capsys):
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert f"{DEAD} (DOCKER_HOST)" in err and "socket not found" in err, err


def test_a_dead_host_option_wins_over_docker_host(monkeypatch, capsys):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert main(["build", SEED, "--host", DEAD, "--no-record"]) == 3
    assert f"{DEAD} (--host)" in capsys.readouterr().err


def test_a_context_naming_a_dead_engine_fails(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("DOCKER_CONTEXT", "elsewhere")
    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"elsewhere").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "elsewhere", "Endpoints": {"docker": {"Host": DEAD}}}))
    assert main(["build", SEED, "--no-record"]) == 3
    assert f"{DEAD} (docker context 'elsewhere')" in capsys.readouterr().err


async def test_the_app_says_which_engine_does_not_answer(dead_docker_host, demos):
    from msb_tui.tui.app import LaunchOptions, MsbApp
    from msb_tui.tui.screens.graph import GraphScreen

    messages = []
    app = MsbApp(LaunchOptions(path=demos / "seed-example"))
    app.notify = lambda message, **kw: messages.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)  # no build screen: nothing was built elsewhere
    assert any(f"{DEAD} (DOCKER_HOST)" in message for message in messages), messages


def test_a_slow_engine_is_waited_for_and_the_wait_is_told(tmp_path, monkeypatch):
    """An engine that answers after 1.2 s (a stand-in for a slow remote one; the real-engine test
    uses 6 s of latency) is not given up on, and ``on_wait`` hears of the wait meanwhile."""
    import socket

    from msb_tui.engine import connection

    monkeypatch.setattr(connection, "WAIT_NOTICE", 0.3)
    path = tmp_path / "slow.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(4)

    def answer() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            client.recv(65536)
            threading.Event().wait(1.2)
            body = json.dumps({"Version": "28.5.2", "ApiVersion": "1.51", "Os": "linux"}).encode()
            client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                           % (len(body), body))
            client.close()

    threading.Thread(target=answer, daemon=True).start()
    waits: list[float] = []
    try:
        client = connection.connect(f"unix://{path}", on_wait=waits.append)
    finally:
        server.close()
    assert client.api_version == "1.51"
    assert waits and 0.3 <= waits[0] < 1.2
