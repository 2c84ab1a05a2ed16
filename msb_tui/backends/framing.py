"""The Engine API's progress stream as JSON messages: chunks in, one message per line out.

Messages are newline-terminated JSON objects, but an HTTP chunk may hold several or part of one,
and some proxies strip the newlines between them (``{...}{...}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

INVALID = object()
"""Stands for the message of a line that is not JSON."""

MAX_MESSAGE = 64 << 20
"""The longest message kept (bytes). A line that grows past it (an engine or proxy sending bytes
without newlines) is dropped as one invalid message instead of growing until memory runs out."""


def json_lines(chunks: Iterable[bytes], rewrite: Callable[[bytes], bytes] | None = None) -> Iterator[tuple[bytes, Any]]:
    """``(raw line, message)`` for every non-blank line of the stream as soon as it is complete,
    then the unterminated rest; ``message`` is ``INVALID`` for a line that is not JSON.
    ``rewrite`` changes each line before it is read (masking secrets)."""
    pending: list[bytes] = []  # parts of a message still being received (joined once complete)
    size = 0  # bytes in pending
    skipping = False  # dropping the rest of an over-long line, up to its newline
    for chunk in chunks:
        if b"\n" not in chunk:
            if not skipping:
                pending.append(chunk)
                size += len(chunk)
                if size > MAX_MESSAGE:
                    pending.clear()
                    size, skipping = 0, True
                    yield b"<an engine message longer than %d MiB, dropped>" % (MAX_MESSAGE >> 20), INVALID
            continue
        if skipping:
            chunk = chunk[chunk.index(b"\n") + 1 :]
            skipping = False
        if pending:
            pending.append(chunk)
            chunk = b"".join(pending)
            pending.clear()
        *lines, rest = chunk.split(b"\n")
        size = len(rest)
        if rest:
            pending.append(rest)
        for line in lines:
            yield from _messages(rewrite(line) if rewrite else line)
    rest = b"".join(pending)
    yield from _messages(rewrite(rest) if rewrite and rest.strip() else rest)


def _messages(line: bytes) -> Iterator[tuple[bytes, Any]]:
    line = line.strip()
    if not line:
        return
    try:
        yield line, json.loads(line)
    except (ValueError, RecursionError):
        parts = split_concatenated(line)
        if parts is None:
            yield line, INVALID
        else:
            yield from parts


def split_concatenated(line: bytes) -> list[tuple[bytes, Any]] | None:
    """``{...}{...}`` on one line: each object with its own text, or None when it is not that."""
    text = line.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    out = []
    index = 0
    try:
        while index < len(text):
            while index < len(text) and text[index] in " \t\r":
                index += 1
            if index >= len(text):
                break
            message, end = decoder.raw_decode(text, index)
            out.append((text[index:end].encode("utf-8"), message))
            index = end
    except (ValueError, RecursionError):
        return None
    return out or None
