"""A small HTTP/1.1 client for the Engine API over a plain unix or TCP socket, used by builds.

Why not docker-py here: importing it (requests, urllib3, charset_normalizer) costs about 60 ms,
most of a cached build's 80 ms in the docker CLI. ``msb-tui build`` talks to an engine on a unix
socket or plain TCP through this module and starts the build before anything heavy is imported;
engines behind TLS or ssh, and everything that is not a build, still go through docker-py
(:func:`msb_tui.engine.connection.connect`). Only what a build needs is here: ``/_ping`` (which
also names the engine's version) and a streamed ``POST``.
"""

from __future__ import annotations

import json
import socket

_READ_SIZE = 1 << 16
_SEND_SIZE = 1 << 16
_MAX_HEADER = 1 << 16


class PlainHTTPError(OSError):
    """The engine's answer was not HTTP we understand, or the connection broke mid-answer."""


class PlainEngine:
    """An engine reached over ``unix://PATH`` or ``tcp://HOST:PORT`` (no TLS): one connection per request."""

    def __init__(self, host: str, timeout: float | None = None):
        if host.startswith("unix://"):
            self.address: str | tuple[str, int] = host[len("unix://"):] or "/var/run/docker.sock"
        elif host.startswith(("tcp://", "http://")):
            self.address = _tcp_address(host)
        else:
            raise ValueError(f"{host!r}: only unix:// and tcp:// (without TLS) are spoken here")
        self.host = host
        self.timeout = timeout
        self._ping: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"PlainEngine({self.host!r})"

    def _connect(self, timeout: float | None) -> socket.socket:
        if isinstance(self.address, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(self.address)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection(self.address, timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def ping(self, timeout: float = 5.0) -> dict[str, str]:
        """``GET /_ping``; the answer's headers (``server``, ``api-version``, ...). Raises when it is not OK."""
        sock = self._connect(timeout)
        try:
            sock.sendall(_request_head("GET", "/_ping", {}, {}))
            response = PlainResponse(sock)
            body = response.read_all()
        finally:
            sock.close()
        if response.status_code != 200 or body.strip() != b"OK":
            raise PlainHTTPError(f"the engine did not answer OK to /_ping (HTTP {response.status_code})")
        self._ping = response.headers
        return response.headers

    def version(self) -> dict[str, str]:
        """What the ping said about the engine, in ``GET /version``'s key names (for recordings)."""
        headers = self._ping if self._ping is not None else self.ping()
        server = headers.get("server", "")  # "Docker/20.10.24+dfsg1 (linux)"
        product, _, rest = server.partition(" ")
        return {
            "Version": product.partition("/")[2],
            "ApiVersion": headers.get("api-version", ""),
            "Os": rest.strip("()") or headers.get("ostype", ""),
        }

    def info(self, timeout: float = 10.0) -> dict:
        """``GET /info`` (the image store and storage driver, for :mod:`msb_tui.engine.info`)."""
        sock = self._connect(timeout)
        try:
            sock.sendall(_request_head("GET", "/info", {}, {}))
            response = PlainResponse(sock)
            body = response.read_all()
        finally:
            sock.close()
        if response.status_code != 200:
            raise PlainHTTPError(f"GET /info answered HTTP {response.status_code}")
        return json.loads(body)

    def post_stream(self, path: str, params: dict, body, size: int, headers: dict[str, str]) -> "PlainResponse":
        """``POST path`` with ``body`` (a file-like with ``read``, ``size`` bytes); the answer, unread:
        this returns once the request is sent, without waiting for the engine to answer.

        The body is sent in 64 KiB pieces, so a cancelling ``body.read`` stops the upload.
        """
        sock = self._connect(self.timeout)
        try:
            sock.sendall(_request_head("POST", path, params, {**headers, "Content-Length": str(size)}))
            while True:
                piece = body.read(_SEND_SIZE)
                if not piece:
                    break
                sock.sendall(piece)
            return PlainResponse(sock)
        except BaseException:
            sock.close()
            raise


def _tcp_address(host: str) -> tuple[str, int]:
    """(name, port) of ``tcp://NAME[:PORT]`` (``[ADDRESS]`` for IPv6; port 2375 when none is given)."""
    netloc = host.partition("://")[2].split("/", 1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        name, _, rest = netloc[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
    else:
        name, _, port = netloc.partition(":")
    if not name:
        raise ValueError(f"no host name in {host!r}")
    if port and not port.isdigit():
        raise ValueError(f"{host!r}: the port is not a number")
    return name.lower(), int(port) if port else 2375


# What a query value keeps as it is (RFC 3986's unreserved characters); the rest is %XX-encoded.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _quote(text: str) -> str:
    """``urllib.parse.quote(text, safe="")``, without importing urllib.parse (and ipaddress) before
    the build is sent: ~2 ms of a cached build's start."""
    return "".join(chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in text.encode("utf-8"))


def _request_head(method: str, path: str, params: dict, headers: dict[str, str]) -> bytes:
    query = []
    for key, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            query.append(f"{_quote(str(key))}={_quote(str(item))}")
    target = path + ("?" + "&".join(query) if query else "")
    lines = [f"{method} {target} HTTP/1.1", "Host: docker", "User-Agent: msb-tui", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class PlainResponse:
    """An HTTP answer read straight off the socket: the status and headers when first asked for
    (so a request can be sent without waiting for the answer), the body as it arrives."""

    def __init__(self, sock: socket.socket):
        self.socket = sock
        self._status: int | None = None
        self._headers: dict[str, str] = {}
        self._rest = b""
        self._chunked = False
        self._length: int | None = None
        self._body: bytes | None = None

    @property
    def status_code(self) -> int:
        if self._status is None:
            self._read_head()
        return self._status  # type: ignore[return-value]

    @property
    def headers(self) -> dict[str, str]:
        """Header names in lower case."""
        if self._status is None:
            self._read_head()
        return self._headers

    def _read_head(self) -> None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = self.socket.recv(_READ_SIZE)
            if not data:
                raise PlainHTTPError("the engine closed the connection before answering")
            buffer += data
            if len(buffer) > _MAX_HEADER:
                raise PlainHTTPError("the engine's answer has oversized headers")
        head, _, self._rest = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise PlainHTTPError(f"not an HTTP answer: {lines[0][:80]!r}") from None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self._headers[name.strip().lower()] = value.strip()
        self._chunked = "chunked" in self._headers.get("transfer-encoding", "").lower()
        length = self._headers.get("content-length")
        self._length = int(length) if length and length.isdigit() else None
        self._status = status

    def iter_chunks(self):
        """The body's bytes as they arrive (de-chunked): every complete piece in the buffer at once."""
        if self._status is None:
            self._read_head()
        if self._chunked:
            yield from self._dechunked()
            return
        rest, self._rest = self._rest, b""
        remaining = self._length
        if remaining is not None:
            rest = rest[:remaining]
            remaining -= len(rest)
        if rest:
            yield rest
        recv = self.socket.recv
        while remaining is None or remaining > 0:
            data = recv(_READ_SIZE)
            if not data:
                if remaining:
                    raise PlainHTTPError("the engine closed the connection mid-answer")
                return
            if remaining is not None:
                data = data[:remaining]
                remaining -= len(data)
            yield data

    def _dechunked(self):
        recv = self.socket.recv
        buffer, self._rest = self._rest, b""
        position = 0
        remaining = 0  # payload bytes left in the current chunk
        skip = 0  # bytes of the CRLF after a chunk's payload still to skip
        out: list[bytes] = []
        while True:
            end_of_buffer = len(buffer)
            while position < end_of_buffer:
                if remaining:
                    take = min(remaining, end_of_buffer - position)
                    out.append(buffer[position:position + take])
                    position += take
                    remaining -= take
                    if not remaining:
                        skip = 2
                elif skip:
                    step = min(skip, end_of_buffer - position)
                    position += step
                    skip -= step
                else:
                    line_end = buffer.find(b"\r\n", position)
                    if line_end < 0:
                        break
                    try:
                        size = int(buffer[position:line_end].split(b";", 1)[0], 16)
                    except ValueError:
                        raise PlainHTTPError("malformed chunked encoding in the engine's answer") from None
                    position = line_end + 2
                    if size == 0:
                        if out:
                            yield b"".join(out)
                        return
                    remaining = size
            if out:
                yield out[0] if len(out) == 1 else b"".join(out)
                out = []
            data = recv(_READ_SIZE)
            if not data:
                raise PlainHTTPError("the engine closed the connection mid-answer")
            buffer = buffer[position:] + data if position < end_of_buffer else data
            position = 0

    def read_all(self) -> bytes:
        if self._body is None:
            self._body = b"".join(self.iter_chunks())
        return self._body

    @property
    def text(self) -> str:
        return self.read_all().decode("utf-8", "replace")

    def json(self):
        return json.loads(self.read_all())

    def close(self) -> None:
        try:
            self.socket.close()
        except OSError:
            pass


def connect_plain(host: str | None = None, *, env=None, ping_timeout: float = 5.0) -> PlainEngine | None:
    """A pinged engine for builds, found as :func:`~msb_tui.engine.connection.connect` would find
    it but without docker-py; None when the engine needs docker-py or none answered (then
    ``connect`` decides, and explains what was tried)."""
    from msb_tui.engine.endpoints import plain_hosts

    for candidate in plain_hosts(host, env) or ():
        try:
            engine = PlainEngine(candidate)
            engine.ping(ping_timeout)
        except (OSError, ValueError):
            continue
        return engine
    return None
