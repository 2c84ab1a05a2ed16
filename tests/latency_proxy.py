"""A TCP listener that forwards to an engine's unix socket with a fixed latency on every answer,
for tests of slow engines (each chunk the engine sends is delivered ``latency`` seconds later)."""

from __future__ import annotations

import heapq
import socket
import threading
import time


class LatencyProxy:
    def __init__(self, target_socket: str, latency: float):
        self.target = target_socket
        self.latency = latency
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(16)
        self.port = self._server.getsockname()[1]
        self.host = f"tcp://127.0.0.1:{self.port}"
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> LatencyProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._closed.set()
        for sock in [self._server, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.latency), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, latency: float) -> None:
        """Copy ``source`` to ``sink``, each chunk sent ``latency`` s after it arrived (order kept)."""
        queue: list[tuple[float, int, bytes]] = []
        ready = threading.Condition()
        count = 0

        def sender() -> None:
            while True:
                with ready:
                    while not queue:
                        ready.wait()
                    due, _, data = queue[0]
                    wait = due - time.monotonic()
                    if wait > 0:
                        ready.wait(wait)
                        continue
                    heapq.heappop(queue)
                try:
                    if not data:
                        sink.shutdown(socket.SHUT_WR)
                        return
                    sink.sendall(data)
                except OSError:
                    return

        threading.Thread(target=sender, daemon=True).start()
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            with ready:
                count += 1
                heapq.heappush(queue, (time.monotonic() + latency, count, data))
                ready.notify()
            if not data:
                return
