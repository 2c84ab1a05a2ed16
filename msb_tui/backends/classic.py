"""The classic builder (``POST /build?version=1``): every stage runs, in file order.

Kept beside BuildKit to show what multi-stage builds gain; its text output is turned into the same
step events by :class:`msb_tui.builds.classic.ClassicStepParser`.
"""

from __future__ import annotations

from typing import ClassVar

from msb_tui.backends.engine_api import EngineApiBackend


class ClassicBackend(EngineApiBackend):
    name: ClassVar[str] = "classic"
    classic: ClassVar[bool] = True
