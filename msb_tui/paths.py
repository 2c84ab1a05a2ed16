"""Where msb-tui keeps its state (recordings, engine log): one place, XDG-aware, private to the user.

Recordings hold Dockerfiles, build logs and build inputs, so the state folder and everything msb-tui
creates in it are the user's alone: folders 0700, files 0600 — also when the folder already existed
with looser modes (an older msb-tui made it 0755; a shared umask may do the same).
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make ``path`` itself 0700 if it is ours."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with suppress(OSError):  # not ours to change (an explicit shared folder): files stay 0600
        if path.stat().st_mode & 0o777 != DIR_MODE and path.stat().st_uid == os.getuid():
            path.chmod(DIR_MODE)
    return path


def open_private(path: Path, *, buffering: int = -1):
    """Open ``path`` for writing as a new 0600 file (an existing file is truncated and made 0600;
    a symlink planted in its place is not followed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, FILE_MODE)
    with suppress(OSError):
        os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb", buffering=buffering)


def state_dir() -> Path:
    """The state folder: ``$MSB_TUI_STATE``, else ``$XDG_STATE_HOME/msb-tui``, else ``~/.local/state/msb-tui``."""
    explicit = os.environ.get("MSB_TUI_STATE")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
        path = Path(base) / "msb-tui"
    return private_dir(path)


def recordings_dir() -> Path:
    return private_dir(state_dir() / "recordings")


def cache_dir() -> Path:
    """Downloads worth keeping between runs (engine binaries, the Go SDK root filesystem):
    ``$XDG_CACHE_HOME/msb-tui``, else ``~/.cache/msb-tui``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    path = Path(base) / "msb-tui"
    path.mkdir(parents=True, exist_ok=True)
    return path
