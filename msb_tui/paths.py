"""Where msb-tui keeps its state (recordings, engine log): one place, XDG-aware."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """The state folder: ``$MSB_TUI_STATE``, else ``$XDG_STATE_HOME/msb-tui``, else ``~/.local/state/msb-tui``."""
    explicit = os.environ.get("MSB_TUI_STATE")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
        path = Path(base) / "msb-tui"
    path.mkdir(parents=True, exist_ok=True)
    return path


def recordings_dir() -> Path:
    path = state_dir() / "recordings"
    path.mkdir(parents=True, exist_ok=True)
    return path
