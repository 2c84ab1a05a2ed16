"""The engine messages a recording holds, read straight from its JSON lines (for tests)."""

from __future__ import annotations

import json
from pathlib import Path


def recorded_messages(path: Path) -> list[tuple[float, dict]]:
    """(receive time, engine message) of every message line a recording holds."""
    lines = Path(path).read_text().splitlines()[1:]
    return [(obj["t"], obj["m"]) for obj in map(json.loads, lines) if "m" in obj]
