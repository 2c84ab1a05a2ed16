"""How many bytes gzip at docker's level makes of a stream, on every core.

``docker push`` on the overlay2 store gzips each layer tar with Go's ``compress/gzip`` at its default
level (6). We use zlib at the same level (zlib releases the GIL, so threads run on every core).
deflate looks back only 32 KiB, so a stream cut in pieces, each primed with the 32 KiB before it,
compresses to within a few bytes per piece of the whole stream's size (pigz works this way). zlib
is not Go's deflate: its sizes come out a few per cent smaller than docker's (4.0 % on the Go SDK
layer), never the same digest.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

LEVEL = 6  # Go's compress/gzip DefaultCompression, as docker push uses it
WINDOW = 32 << 10  # deflate's look-back
GZIP_FRAME = 18  # gzip header (10) and trailer (8) around the deflate stream


def workers() -> int:
    return max(1, os.cpu_count() or 1)


def deflated_size(data: bytes, prime: bytes = b"") -> int:
    """The deflate size of ``data`` inside a stream whose previous bytes end with ``prime``."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, *((prime[-WINDOW:],) if prime else ()))
    return len(compressor.compress(data)) + len(compressor.flush())


def gzip_size(chunks: Iterable[bytes], threads: int | None = None) -> tuple[int, int]:
    """(bytes read, gzip size) of the stream ``chunks``, compressed piece by piece on ``threads``."""
    threads = threads or workers()
    total, size, previous = 0, GZIP_FRAME, b""
    with ThreadPoolExecutor(threads, thread_name_prefix="gzip-size") as pool:
        pending: deque = deque()
        for chunk in chunks:
            if not chunk:
                continue
            total += len(chunk)
            pending.append(pool.submit(deflated_size, chunk, previous))
            previous = chunk[-WINDOW:] if len(chunk) >= WINDOW else (previous + chunk)[-WINDOW:]
            while len(pending) > 2 * threads:  # bounded memory: a few chunks in flight
                size += pending.popleft().result()
        size += sum(future.result() for future in pending)
    return total, size
