"""A slow reader of ``msb-tui build``'s output never stalls the build (issue 15 item 5)."""

from __future__ import annotations

import threading
import time

from msb_tui.builds.output import NonBlockingOutput


class _StalledStream:
    """A stream whose reader does not read until ``release`` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.release.wait()
        self.parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_writes_never_wait_for_a_stalled_reader_and_the_drop_is_noted():
    stream = _StalledStream()
    out = NonBlockingOutput(stream, limit=10_000)
    began = time.monotonic()
    for i in range(100_000):  # ~2 MB of progress while the reader reads nothing
        out.write(f"#5 0.{i:05d} line {i}\n")
    assert time.monotonic() - began < 5
    out.settle()
    out.write("Build summary\n  status: succeeded\n")  # after settle: never dropped
    stream.release.set()
    out.close()
    text = "".join(stream.parts)
    assert out.dropped_lines > 90_000
    assert "line(s) of progress not shown" in text
    assert text.endswith("Build summary\n  status: succeeded\n")
    assert text.startswith("#5 0.00000 line 0\n")


def test_a_reader_that_keeps_up_gets_everything_in_order():
    class Collect:
        def __init__(self):
            self.parts = []

        def write(self, text):
            self.parts.append(text)

        def flush(self):
            pass

    stream = Collect()
    out = NonBlockingOutput(stream, limit=1 << 20)
    for i in range(1000):
        out.write(f"{i}\n")
    out.close()
    assert "".join(stream.parts) == "".join(f"{i}\n" for i in range(1000))
    assert out.dropped_lines == 0


def test_a_broken_pipe_reaches_the_writer():
    class Broken:
        def write(self, text):
            raise BrokenPipeError()

        def flush(self):
            pass

    out = NonBlockingOutput(Broken())
    out.write("x\n")
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            out.write("y\n")
            time.sleep(0.01)
    except BrokenPipeError:
        return
    raise AssertionError("the broken pipe was never reported")
