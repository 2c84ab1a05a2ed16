"""How a duration reads everywhere msb-tui shows one (``0.4s``, ``12.3s``, ``2m05s``, ``1h02m``), and a
moment (``2026-12-01 16:08:02``, UTC)."""

from __future__ import annotations

from datetime import datetime, timezone


def format_duration(seconds: float | None, missing: str = "") -> str:
    """A short human duration; ``missing`` when there is none. Negative durations read as 0."""
    if seconds is None:
        return missing
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_utc(stamp: float | None) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` (UTC); ``?`` when missing or damaged (1e300, NaN)."""
    if stamp is None:
        return "?"
    try:
        return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, ValueError, OSError):
        return "?"
