"""The build path's small HTTP client (``msb_tui.engine.plain_http``) and where it looks for the
engine (``msb_tui.engine.endpoints``): de-chunking however the bytes arrive, Content-Length and
read-to-close bodies, broken answers, the request it writes, and which engines it may speak to."""

from __future__ import annotations

import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.engine.endpoints import DEFAULT_HOST, plain_hosts
from msb_tui.engine.plain_http import PlainEngine, PlainHTTPError, PlainResponse, _quote, _request_head, connect_plain


class FakeSocket:
    """Hands out ``pieces`` one recv at a time, then EOF."""

    def __init__(self, pieces: list[bytes]):
        self.pieces = list(pieces)

    def recv(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""

    def close(self) -> None:
        pass


def chunked(payloads: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:]) if b > a]


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), max_size=8), st.lists(st.integers(0, 10_000), max_size=12))
def test_chunked_bodies_come_out_whole_however_the_bytes_arrive(payloads, cuts):
    response = PlainResponse(FakeSocket(split(HEAD + chunked(payloads), cuts)))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert b"".join(response.iter_chunks()) == b"".join(payloads)


def test_every_complete_chunk_in_a_read_comes_out_at_once():
    """A burst of engine messages in one recv is one piece for the reader, not one per chunk."""
    response = PlainResponse(FakeSocket([HEAD + chunked([b"a\n", b"b\n", b"c\n"])]))
    assert list(response.iter_chunks()) == [b"a\nb\nc\n"]


def test_chunk_extensions_are_ignored():
    body = b"3;name=value\r\nabc\r\n0\r\n\r\n"
    assert PlainResponse(FakeSocket([HEAD, body])).read_all() == b"abc"


@pytest.mark.parametrize(
    "pieces",
    [
        [HEAD + b"5\r\nab"],  # the engine went away inside a chunk
        [HEAD + b"5\r\nabcde\r\n"],  # ... between chunks
        [HEAD + b"zz\r\nabc\r\n"],  # not a chunk size
    ],
)
def test_a_broken_chunked_body_is_an_error(pieces):
    with pytest.raises(PlainHTTPError):
        PlainResponse(FakeSocket(pieces)).read_all()


def test_content_length_and_read_to_close_bodies():
    head = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 22\r\n\r\n"
    response = PlainResponse(FakeSocket([head + b'{"message":"bad arg"}\n', b"extra bytes"]))
    assert response.status_code == 400
    assert response.json() == {"message": "bad arg"}
    response = PlainResponse(FakeSocket([b"HTTP/1.0 200 OK\r\n\r\nhello ", b"world"]))
    assert response.text == "hello world"
    with pytest.raises(PlainHTTPError):
        PlainResponse(FakeSocket([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"])).read_all()


@pytest.mark.parametrize("pieces", [[], [b"HTTP/1.1 200 OK\r\nno end of headers"], [b"SSH-2.0-OpenSSH\r\n\r\n"]])
def test_no_answer_or_not_http_is_an_error(pieces):
    response = PlainResponse(FakeSocket(pieces))  # nothing is read before it is asked for
    with pytest.raises(PlainHTTPError):
        response.status_code


def test_request_head_encodes_repeated_and_json_parameters():
    head = _request_head("POST", "/build", {"t": ["a:1", "b:2"], "buildargs": '{"X": "a b&c"}', "version": "2"},
                         {"Content-Length": "10"}).decode()
    request_line, *headers = head.split("\r\n")
    assert request_line == "POST /build?t=a%3A1&t=b%3A2&buildargs=%7B%22X%22%3A%20%22a%20b%26c%22%7D&version=2 HTTP/1.1"
    assert "Host: docker" in headers and "Content-Length: 10" in headers and head.endswith("\r\n\r\n")


class OneShotServer:
    """A unix-socket server that answers each connection with ``answer`` and keeps what it was sent."""

    def __init__(self, path: str, answer: bytes):
        self.received: list[bytes] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen()
        self.answer = answer
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                self.received.append(head + b"\r\n\r\n" + body)
                conn.sendall(self.answer)


def test_ping_names_the_engine_and_post_sends_the_whole_body(tmp_path):
    path = str(tmp_path / "engine.sock")
    server = OneShotServer(path, b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n"
                                 b"Content-Length: 2\r\n\r\nOK")
    engine = PlainEngine(f"unix://{path}")
    assert engine.version() == {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "Os": "linux"}
    import io

    body = bytes(range(256)) * 1000  # several send pieces
    response = engine.post_stream("/build", {"t": ["x"]}, io.BytesIO(body), len(body), {"Content-Type": "application/x-tar"})
    assert response.read_all() == b"OK"
    assert server.received[-1].endswith(b"\r\n\r\n" + body)
    assert b"Content-Length: 256000\r\n" in server.received[-1]
    server.sock.close()


def test_post_returns_once_sent_and_the_answer_is_read_when_asked_for(tmp_path):
    """``msb-tui build`` imports its model while the engine works: sending must not wait for the answer."""
    import io

    path = str(tmp_path / "engine.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    engine = PlainEngine(f"unix://{path}")
    response = engine.post_stream("/build", {}, io.BytesIO(b"tar"), 3, {})  # nobody has answered yet
    conn, _ = listener.accept()
    with conn:
        assert conn.recv(65536).endswith(b"\r\n\r\ntar")
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
    assert response.status_code == 200
    assert response.read_all() == b"done"
    listener.close()


def test_connect_plain_is_none_when_nothing_answers(tmp_path):
    assert connect_plain(f"unix://{tmp_path}/nothing.sock") is None
    assert connect_plain("ssh://somewhere") is None  # docker-py's job


def test_plain_engine_refuses_what_it_cannot_speak():
    with pytest.raises(ValueError):
        PlainEngine("https://example.com:2376")
    assert PlainEngine("tcp://127.0.0.1:2375").address == ("127.0.0.1", 2375)
    assert PlainEngine("unix:///run/docker.sock").address == "/run/docker.sock"
    assert PlainEngine("unix://run/docker.sock").address == "run/docker.sock"  # relative, as written
    assert PlainEngine("tcp://[::1]:2375").address == ("::1", 2375)
    assert PlainEngine("tcp://[::1]").address == ("::1", 2375)
    assert PlainEngine("tcp://Engine.Example:2380/").address == ("engine.example", 2380)
    assert PlainEngine("http://box").address == ("box", 2375)
    for bad in ("tcp://", "tcp://:2375", "tcp://box:port", "ftp://box"):
        with pytest.raises(ValueError):
            PlainEngine(bad)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_query_quoting_is_urllib_quote_with_nothing_safe(text):
    from urllib.parse import quote

    assert _quote(text) == quote(text, safe="")


@pytest.mark.parametrize(
    ("host", "env", "expected"),
    [
        (None, {}, [DEFAULT_HOST]),
        (None, {"DOCKER_HOST": "unix:///tmp/d.sock"}, ["unix:///tmp/d.sock", DEFAULT_HOST]),
        (None, {"DOCKER_HOST": "tcp://10.0.0.1:2375"}, ["tcp://10.0.0.1:2375", DEFAULT_HOST]),
        (None, {"DOCKER_HOST": "tcp://10.0.0.1:2376", "DOCKER_TLS_VERIFY": "1"}, None),
        (None, {"DOCKER_HOST": "tcp://10.0.0.1:2376", "DOCKER_CERT_PATH": "/certs"}, None),
        (None, {"DOCKER_HOST": "ssh://me@box"}, None),
        (None, {"DOCKER_CONTEXT": "remote"}, None),
        (None, {"DOCKER_CONTEXT": "default"}, [DEFAULT_HOST]),
        ("unix:///x.sock", {"DOCKER_HOST": "ssh://me@box"}, ["unix:///x.sock"]),
        ("https://box:2376", {}, None),
    ],
)
def test_plain_hosts_follow_connects_order_and_leave_tls_ssh_and_contexts_to_docker_py(host, env, expected, tmp_path):
    env = {"HOME": str(tmp_path), **env}
    assert plain_hosts(host, env) == expected


def test_a_named_context_in_config_json_is_left_to_docker_py(tmp_path):
    (tmp_path / ".docker").mkdir()
    (tmp_path / ".docker" / "config.json").write_text('{"currentContext": "remote"}')
    assert plain_hosts(None, {"HOME": str(tmp_path)}) is None
    (tmp_path / ".docker" / "config.json").write_text('{"currentContext": "default"}')
    assert plain_hosts(None, {"HOME": str(tmp_path)}) == [DEFAULT_HOST]
