"""``msb_tui.records.Record``: the value semantics the build path's classes had as dataclasses."""

from __future__ import annotations

import pytest

from msb_tui.builds.events import BuildCancelled, BuildFailed, LogChunk, VertexUpdate
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


class Triple(Pair):
    __slots__ = ("third",)

    def __init__(self, left, right, third):
        super().__init__(left, right)
        self.third = third


def test_equal_by_class_and_compared_fields():
    assert Pair(1, "a", when=1.0) == Pair(1, "a", when=2.0)
    assert hash(Pair(1, "a", when=1.0)) == hash(Pair(1, "a", when=2.0))
    assert Pair(1, "a") != Pair(1, "b")
    assert Pair(1, "a") != OtherPair(1, "a")  # a subclass is another kind of value
    assert Pair(1, "a") != (1, "a")
    assert repr(Pair(1, "a")) == "Pair(left=1, right='a', when=None)"


def test_a_subclass_compares_its_bases_fields_too():
    assert OtherPair(1, "a") != OtherPair(2, "a")
    assert Triple(1, "a", 3) == Triple(1, "a", 3) != Triple(2, "a", 3)
    assert Triple(1, "a", 3) != Triple(1, "a", 4)
    assert repr(Triple(1, "a", 3)) == "Triple(left=1, right='a', when=None, third=3)"


def test_events_keep_their_dataclass_behaviour():
    assert BuildCancelled(timestamp=1.0) == BuildCancelled()
    assert BuildFailed("x", timestamp=5.0) == BuildFailed("x", {}) != BuildFailed("x", {"a": 1})
    assert VertexUpdate("d", "n", started=1.0) != VertexUpdate("d", "n")
    assert len({LogChunk("v", b"x"), LogChunk("v", b"x")}) == 1
    with pytest.raises(AttributeError):
        LogChunk("v", b"x").other = 1  # slotted: no stray attributes

