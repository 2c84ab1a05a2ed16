"""``msb-tui serve``'s web server: textual-serve's ``Server`` with three additions, none of them a fork.

- A token gate (an aiohttp middleware): off loopback, every request must carry the token, first in
  the page URL (``?token=``), then in a same-site cookie the page sets, which the browser sends with
  the websocket. Without it the server answers 403 and says where the token comes from.
- An origin check on the websocket: a page from another site must not drive the app (each session
  can start builds on the engine), token or not.
- A session limit: each browser session is an app process; past ``max_sessions`` the page and the
  websocket are refused with a sentence that says why.

The page itself is our template (textual-serve's, less the web-font download, plus a title), and its
addresses are taken from the request, so a page opened through any name of the host works.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

TEMPLATES = Path(__file__).with_name("templates")
COOKIE = "msb_tui_token"
DEFAULT_FONT_SIZE = 20  # readable from the back of a room; ?fontsize= overrides it per page


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (taken, not this machine's), or None. Checked before
    the server starts, so the address is not printed as open when it is not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot resolve {host}: {error.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        try:
            probe.bind(address)
        except OSError as error:
            return error.strerror or str(error)
    return None


def new_token() -> str:
    return secrets.token_urlsafe(18)


def refusal_text(active: int, limit: int) -> str:
    return (f"msb-tui serve: session refused: {active} of {limit} browser sessions are open, and each one is an "
            f"app process that can start builds on the engine. Close one (or end it with q), or restart the "
            f"server with a larger --max-sessions.")


class MsbServer(Server):
    """textual-serve's server, gated (token, origin) and limited (sessions)."""

    def __init__(self, command: str, *, host: str = "127.0.0.1", port: int = 8000, title: str = "msb-tui",
                 token: str | None = None, max_sessions: int = 2, font_size: int = DEFAULT_FONT_SIZE) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.token = token
        self.max_sessions = max_sessions
        self.font_size = font_size
        self.sessions = 0  # websockets with an app process behind them (the event loop is the only writer)

    def page_url(self, host: str | None = None) -> str:
        """The address to open (with the token when there is one)."""
        shown = host or self.host
        if shown in ("0.0.0.0", "::", ""):  # every address of this machine: name one that others can use
            shown = socket.gethostname()
        if ":" in shown:
            shown = f"[{shown}]"
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.port}/{query}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._gate)
        return app

    # --- the gate ------------------------------------------------------------------------------
    @web.middleware
    async def _gate(self, request: web.Request, handler):
        if self.token is not None:
            given = request.query.get("token") or request.cookies.get(COOKIE) or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return web.Response(status=403, text=(
                    "msb-tui serve: this server needs its token. Open the address it printed when it started "
                    "(it ends in ?token=...).\n"))
        if request.path == "/ws" and not self._same_origin(request):
            return web.Response(status=403, text="msb-tui serve: a page from another site may not open a session.\n")
        response = await handler(request)
        if self.token is not None and request.query.get("token") and isinstance(response, web.Response):
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    @staticmethod
    def _same_origin(request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser (browsers always send Origin on websockets)
        return urlsplit(origin).netloc == request.host

    # --- the page ------------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.sessions >= self.max_sessions:
            return web.Response(status=503, text=refusal_text(self.sessions, self.max_sessions) + "\n")
        scheme = "wss" if request.secure else "ws"
        context = {
            "font_size": max(6, min(72, to_int(request.query.get("fontsize", ""), self.font_size))),
            "app_websocket_url": f"{scheme}://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        if self.sessions >= self.max_sessions:
            websocket = web.WebSocketResponse()
            await websocket.prepare(request)
            text = refusal_text(self.sessions, self.max_sessions)
            await websocket.send_bytes(f"\r\n  {text}\r\n".encode())
            await websocket.close(code=4429, message=b"too many sessions")
            return websocket
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def on_startup(self, app: web.Application) -> None:
        self.console.print(f"msb-tui serve: open {self.page_url()} "
                           f"(up to {self.max_sessions} browser session(s); Ctrl+C stops)", highlight=False, markup=False,
                           soft_wrap=True)  # one line: the address (and its token) is copied whole
        if self.token is not None and not is_loopback(self.host):
            self.console.print("  anyone with this address can start builds on your engine: share it with care",
                               highlight=False, soft_wrap=True)
