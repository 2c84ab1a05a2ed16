"""BuildKit's progress as JSON (``docker buildx build --progress=rawjson``, ``docker buildx history
logs --progress rawjson``) -> the same events as the Engine API's protobuf traces.

Each line is one ``SolveStatus`` in Go's JSON encoding: ``{"vertexes": [...], "statuses": [...],
"logs": [...], "warnings": [...]}`` with RFC 3339 times and ``[]byte`` fields (log data, warning
text) in base64. A field of the wrong type makes the whole line a ``MalformedMessage``: a damaged
line is counted and skipped, never fatal.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from msb_tui.builds.events import BuildWarning, EngineEvent, LogChunk, MalformedMessage, ProgressGroup, StatusUpdate, VertexUpdate

KEYS = ("vertexes", "statuses", "logs", "warnings")


def is_solve_status(message: Any) -> bool:
    """True for a JSON SolveStatus (it has none of the Engine API's ``id``/``stream``/``error`` keys)."""
    return isinstance(message, dict) and any(key in message for key in KEYS) and "id" not in message


def parse_time(value: Any) -> float | None:
    """RFC 3339 with nanoseconds (Go) -> epoch seconds; absent or Go's zero time -> None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"time is not a string: {value!r}"[:80])
    stamp = datetime.fromisoformat(value).timestamp()  # nanoseconds are cut to microseconds
    return stamp if stamp > 0 else None


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise ValueError("bytes field is not base64 text")
    return base64.b64decode(value, validate=True)


def _text(value: Any) -> str:
    return _bytes(value).decode("utf-8", "replace")


def _str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


def _list(status: dict, key: str) -> list[dict]:
    items = status.get(key) or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{key} is not a list of objects")
    return items


def _group(value: Any) -> ProgressGroup | None:
    """A vertex's ``progressGroup`` (``{"id", "name", "weak"}``), None when absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("progressGroup is not an object")
    group_id = _str(value.get("id"))
    return ProgressGroup(group_id, _str(value.get("name")), bool(value.get("weak"))) if group_id else None


def decode_solve_status(status: dict) -> list[EngineEvent]:
    """Events for one SolveStatus: vertexes, then statuses, logs and warnings (as Go writes them)."""
    try:
        events: list[EngineEvent] = []
        for v in _list(status, "vertexes"):
            digest = _str(v.get("digest"))
            if not digest:
                raise ValueError("a vertex without a digest")
            inputs = v.get("inputs") or []
            if not isinstance(inputs, list):
                raise ValueError("vertex inputs are not a list")
            events.append(VertexUpdate(digest, _str(v.get("name")), tuple(_str(i) for i in inputs),
                                       parse_time(v.get("started")), parse_time(v.get("completed")),
                                       bool(v.get("cached")), _str(v.get("error")) or None, _group(v.get("progressGroup"))))
        for s in _list(status, "statuses"):
            events.append(StatusUpdate(_str(s.get("id")), _str(s.get("vertex")), _str(s.get("name")),
                                       _int(s.get("current")), _int(s.get("total")), parse_time(s.get("timestamp")),
                                       parse_time(s.get("started")), parse_time(s.get("completed"))))
        for log in _list(status, "logs"):
            events.append(LogChunk(_str(log.get("vertex")), _bytes(log.get("data")), _int(log.get("stream")) or 1,
                                   parse_time(log.get("timestamp"))))
        for w in _list(status, "warnings"):
            detail = w.get("detail") or []
            if not isinstance(detail, list):
                raise ValueError("warning detail is not a list")
            ranges = w.get("ranges") or []
            start = (ranges[0] or {}).get("start") if isinstance(ranges, list) and ranges and isinstance(ranges[0], dict) else None
            line = _int(start.get("line")) if isinstance(start, dict) else 0
            events.append(BuildWarning(_str(w.get("vertex")), _text(w.get("short")), _int(w.get("level")),
                                       tuple(_text(d) for d in detail), _str(w.get("url")), line or None))
        return events
    except (ValueError, TypeError, OverflowError, binascii.Error) as error:
        raw = json.dumps(status, default=str)[:200].encode("utf-8", "replace")
        return [MalformedMessage(f"SolveStatus line not understood: {error}", raw)]
