"""``msb_tui.records.Record``: the value semantics the build path's classes had as dataclasses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from msb_tui.build.events import BuildCancelled, BuildFailed, LogChunk, VertexUpdate
from msb_tui.records import Record


class Pair(Record):
    __slots__ = ("left", "right", "when")
    _not_compared = ("when",)

    def __init__(self, left, right, when=None):
        self.left = left
        self.right = right
        self.when = when


class OtherPair(Pair):
    __slots__ = ()


def test_equal_by_class_and_compared_fields():
    assert Pair(1, "a", when=1.0) == Pair(1, "a", when=2.0)
    assert hash(Pair(1, "a", when=1.0)) == hash(Pair(1, "a", when=2.0))
    assert Pair(1, "a") != Pair(1, "b")
    assert Pair(1, "a") != OtherPair(1, "a")  # a subclass is another kind of value
    assert Pair(1, "a") != (1, "a")
    assert repr(Pair(1, "a")) == "Pair(left=1, right='a', when=None)"


def test_events_keep_their_dataclass_behaviour():
    assert BuildCancelled(timestamp=1.0) == BuildCancelled()
    assert BuildFailed("x", timestamp=5.0) == BuildFailed("x", {}) != BuildFailed("x", {"a": 1})
    assert VertexUpdate("d", "n", started=1.0) != VertexUpdate("d", "n")
    assert len({LogChunk("v", b"x"), LogChunk("v", b"x")}) == 1
    with pytest.raises(AttributeError):
        LogChunk("v", b"x").other = 1  # slotted: no stray attributes


def test_the_build_path_imports_no_dataclasses():
    """Everything ``msb-tui build`` imports while the engine works stays clear of dataclasses and
    inspect (~15 ms of CPU on the 2 CPUs the engine shares; see docs/architecture.md)."""
    code = (
        "import sys\n"
        "import msb_tui.commands.build, msb_tui.build.runner, msb_tui.build.model, msb_tui.build.messages\n"
        "import msb_tui.build.recording, msb_tui.build.report\n"
        "from msb_tui.analysis import analyze\n"
        "analyze('ARG B=x\\nFROM $B AS a\\nRUN true\\nFROM scratch\\nCOPY --from=a / /\\n', lint=False)\n"
        "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
