"""msb-tui serve: a session's command line is the app's, and the gate/limit answer as documented."""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from msb_tui.cli import main
from msb_tui.commands import serve, tui
from msb_tui.web.server import COOKIE, MsbServer, check_address, is_loopback


def _serve_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    return parser.parse_args(argv)


def _app_options(argv: list[str]):
    parser = argparse.ArgumentParser()
    tui.add_arguments(parser)
    return tui.options_from_args(parser.parse_args(argv))


@pytest.mark.parametrize("argv", [
    [],
    ["demo_dockerfiles/go"],
    ["demo_dockerfiles/seed-example", "--target", "test", "--build-arg", "A=1", "--build-arg", "B=x=y",
     "--no-cache", "--pull", "--platform", "linux/amd64", "-t", "one", "-t", "two:3", "--theme", "light", "--build"],
    ["x", "-f", "Other.Dockerfile", "--speed", "max"],
    ["--replay", "tests/fixtures/recordings/go.jsonl", "--speed", "5"],
    ["--import-log", "some.log", "--offline-demo-args"],
])
def test_every_app_option_reaches_the_session_unchanged(argv):
    """Parsed by serve, written back, parsed by the app: the same LaunchOptions as in a terminal."""
    args = _serve_args(argv + ["--port", "9001", "--host", "0.0.0.0", "--max-sessions", "3"])
    assert _app_options(serve.app_argv(args)) == _app_options(argv)


def test_engine_is_the_apps_host_option():
    args = _serve_args(["demo_dockerfiles/go", "--engine", "tcp://10.0.0.2:2375", "--host", "0.0.0.0"])
    assert args.listen == "0.0.0.0"
    assert _app_options(serve.app_argv(args)).host == "tcp://10.0.0.2:2375"


def test_demo_and_tour_sessions():
    demo = serve.app_argv(_serve_args(["--demo", "go", "--target", "build"]))
    options = _app_options(demo)
    assert options.path.name == "go" and options.target == "build" and options.offline_demo_args
    assert serve.app_argv(_serve_args(["--tour"])) == ["demo", "--tour"]
    assert serve.app_argv(_serve_args(["--tour", "--recordings"])) == ["demo", "--tour", "--recordings"]


def test_usage_errors_are_refused_before_listening(capsys):
    assert main(["serve", "--demo", "nope"]) == 2
    assert "no demo named 'nope'" in capsys.readouterr().err
    assert main(["serve", "/nonexistent/dir"]) == 2
    assert "no Dockerfile at" in capsys.readouterr().err
    assert main(["serve", "--tour", "--max-sessions", "0"]) == 2


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback("example.org")


# --- the server, in-process, with a tiny stand-in app command (a Python that prints and waits) ----------

# It ends on the first byte it reads: the "quit" textual-serve sends when the browser goes.
APP = shlex.join([sys.executable, "-c",
                  "import sys; sys.stdout.write('no ganglion\\n'); sys.stdout.flush(); sys.stdin.buffer.read(1)"])


async def _client(**kwargs) -> TestClient:
    server = MsbServer(APP, title="msb-tui — test", **kwargs)
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    client.msb = server  # type: ignore[attr-defined]
    return client


async def test_page_has_title_and_font_size():
    client = await _client(font_size=22)
    try:
        page = await (await client.get("/")).text()
        assert "<title>msb-tui — test</title>" in page
        assert 'data-font-size="22"' in page
        assert 'data-font-size="30"' in await (await client.get("/?fontsize=30")).text()
        assert "googleapis" not in page
    finally:
        await client.close()


async def test_token_gate():
    client = await _client(token="s3cret")
    try:
        refused = await client.get("/")
        assert refused.status == 403 and "needs its token" in await refused.text()
        assert (await client.get("/?token=wrong")).status == 403
        assert (await client.get("/static/js/textual.js")).status == 403
        page = await client.get("/?token=s3cret")
        assert page.status == 200
        assert page.cookies[COOKIE].value == "s3cret" and page.cookies[COOKIE]["samesite"] == "Strict"
        # The cookie now carries the token (as the browser's websocket request does).
        assert (await client.get("/static/js/textual.js")).status == 200
        client.session.cookie_jar.clear()
        with pytest.raises(WSServerHandshakeError) as refused_ws:
            await client.ws_connect("/ws")
        assert refused_ws.value.status == 403
    finally:
        await client.close()


async def test_websocket_from_another_site_is_refused():
    client = await _client()
    try:
        response = await client.get("/ws", headers={"Origin": "http://evil.example", "Connection": "Upgrade",
                                                   "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        assert response.status == 403 and "another site" in await response.text()
    finally:
        await client.close()


async def test_session_limit_refuses_with_a_reason():
    client = await _client(max_sessions=1)
    try:
        first = await client.ws_connect("/ws?width=80&height=24")
        for _ in range(50):
            if client.msb.sessions == 1:
                break
            await asyncio.sleep(0.02)
        assert client.msb.sessions == 1
        page = await client.get("/")
        assert page.status == 503 and "1 of 1 browser sessions" in await page.text()
        second = await client.ws_connect("/ws?width=80&height=24")
        message = await second.receive(timeout=5)
        assert message.type == WSMsgType.BINARY and b"session refused" in message.data
        closing = await second.receive(timeout=5)
        assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert second.close_code == 4429
        await first.close()
        for _ in range(100):
            if client.msb.sessions == 0:
                break
            await asyncio.sleep(0.05)
        assert client.msb.sessions == 0
        assert (await client.get("/")).status == 200
    finally:
        await client.close()


def test_an_address_in_use_is_refused_before_anything_is_printed(capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert check_address("127.0.0.1", port) == "Address already in use"
        assert main(["serve", "--tour", "--port", str(port)]) == 1
    captured = capsys.readouterr()
    assert "cannot listen on 127.0.0.1" in captured.err and "open http" not in captured.out


def test_a_wildcard_address_prints_a_usable_name():
    import socket

    server = MsbServer("true", host="0.0.0.0", port=8123, token="t")
    assert server.page_url() == f"http://{socket.gethostname()}:8123/?token=t"
