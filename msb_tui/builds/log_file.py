"""A build log file read line by line, as often as needed, in bounded memory: over-long lines are
cut, binary data is refused, and standard input is spooled (and must look like a build log soon).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path


class PlainLogError(Exception):
    """The file is not a build log we can read; the message says what was expected."""


MAX_LINE = 1 << 20
"""Longest log line kept (bytes); the rest of a longer one is dropped and counted, so a file with
no newlines (``/dev/zero``, a binary) cannot make a line grow until memory runs out."""

SNIFF_BYTES = 32 << 20
"""Standard input must show a BuildKit or classic progress line within this many bytes: ``yes |
msb-tui import-log -`` fails here instead of spooling forever."""

_RECOGNISED = re.compile(rb"(?:^|\s)(?:#\d+ |Step \d+/\d+ : )")


class LogFile:
    """A log file read line by line, as often as needed, in bounded memory. Standard input and
    other unseekable sources are spooled to a temporary file first (checked while spooling)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.cut_lines = 0
        self._spool = None
        try:
            regular = self.path.is_file() and str(self.path) not in ("/dev/stdin", "/proc/self/fd/0")
            if not regular:
                self._spool = self._spool_input()
            else:
                with open(self.path, "rb") as handle:
                    if b"\0" in handle.read(1 << 16):
                        raise PlainLogError(f"{self.path} is a binary file (NUL bytes), not a build log")
        except OSError as error:
            raise PlainLogError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _spool_input(self):
        import tempfile

        spool = tempfile.TemporaryFile(prefix="msb-tui-import-")
        seen = 0
        recognised = False
        tail = b""
        with open(self.path, "rb") as source:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                if b"\0" in chunk:
                    spool.close()
                    where = seen + chunk.index(b"\0")
                    raise PlainLogError(f"{self.path}: binary data (a NUL byte at byte {where}), not a build log")
                if not recognised:
                    recognised = _RECOGNISED.search(tail + chunk) is not None
                    tail = chunk[-64:]
                seen += len(chunk)
                if not recognised and seen >= SNIFF_BYTES:
                    spool.close()
                    raise PlainLogError(
                        f"{self.path}: not a build log: no BuildKit ('#5 [build 2/4] RUN ...') or classic "
                        f"('Step 1/5 : FROM ...') progress line in the first {SNIFF_BYTES >> 20} MB"
                    )
                spool.write(chunk)
        spool.flush()
        return spool

    def lines(self) -> Iterator[str]:
        """The lines, each at most ``MAX_LINE`` bytes (longer ones cut and counted)."""
        self.cut_lines = 0
        if self._spool is not None:
            self._spool.seek(0)
            handle, close = self._spool, False
        else:
            handle, close = open(self.path, "rb"), True
        try:
            while True:
                line = handle.readline(MAX_LINE)
                if not line:
                    return
                if len(line) == MAX_LINE and not line.endswith(b"\n"):
                    self.cut_lines += 1
                    while True:  # skip the rest of the over-long line, in bounded reads
                        rest = handle.readline(MAX_LINE)
                        if not rest or rest.endswith(b"\n"):
                            break
                if b"\0" in line:
                    raise PlainLogError(f"{self.path} holds NUL bytes: this is a binary file, not a build log")
                yield line.decode("utf-8", "surrogateescape")
        finally:
            if close:
                handle.close()

    def mtime(self) -> float:
        import time

        if self._spool is not None:
            return time.time()
        return self.path.stat().st_mtime

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
