"""Engine JSON messages from ``POST /build`` -> typed events (shared by the Engine API backend and replay).

The engine writes one JSON object per line:

- ``{"id": "moby.buildkit.trace", "aux": "<base64>"}``: BuildKit progress (decoded by ``trace.py``)
- ``{"id": "moby.image.id", "aux": {"ID": "sha256:..."}}`` (classic: ``{"aux": {"ID": ...}}``)
- ``{"error": "...", "errorDetail": {"message": ...}}``: the build failed
- ``{"stream": "Step 1/5 : FROM ..."}``: classic builder text (turned into steps by ``classic.py``)
- ``{"status": ..., "id": ..., "progress": ...}``: pull progress (classic builder)

Recordings of buildx builds hold BuildKit's JSON ``SolveStatus`` lines instead of traces
(``solve_status.py``), so they replay through the same decoder.
"""

from __future__ import annotations

import json
from typing import Any

from msb_tui.builds.classic import ClassicStepParser
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage, StreamText
from msb_tui.builds.solve_status import decode_solve_status, is_solve_status
from msb_tui.builds.trace import decode_trace


def decode_message(message: Any, timestamp: float | None = None) -> list[EngineEvent]:
    """Events for one decoded engine message (stateless; the classic step parsing is in ``MessageDecoder``)."""
    if not isinstance(message, dict):
        return [MalformedMessage("engine message is not a JSON object", repr(message)[:200].encode())]
    if is_solve_status(message):
        return decode_solve_status(message)
    ident = message.get("id")
    aux = message.get("aux")
    if ident == "moby.buildkit.trace":
        if not isinstance(aux, str):
            return [MalformedMessage("trace without a base64 aux", json.dumps(message)[:200].encode())]
        return decode_trace(aux)
    if "error" in message or "errorDetail" in message:
        detail = message.get("errorDetail") if isinstance(message.get("errorDetail"), dict) else {}
        text = message.get("error") or detail.get("message") or "the build failed"
        return [BuildFailed(str(text), dict(detail))]
    if isinstance(aux, dict) and (ident in (None, "moby.image.id")) and isinstance(aux.get("ID"), str):
        return [ImageBuilt(aux["ID"])]
    if isinstance(message.get("stream"), str):
        return [StreamText(message["stream"], timestamp)]
    if isinstance(message.get("status"), str):
        parts = [str(p) for p in (ident, message["status"], message.get("progress")) if p]
        return [StreamText(" ".join(parts) + "\n", timestamp)]
    return []  # other aux messages (e.g. moby.buildkit.trace from newer engines' extra ids): nothing to show


class MessageDecoder:
    """Stateful decoder for one build's message stream.

    The image id is held back and emitted by ``finish()``, so that it is the stream's last event:
    the engine writes it from the goroutine that ran the solve while another one is still writing
    the solve's progress, so BuildKit's last step updates can follow it (seen on Docker 20.10 and
    28.5.2: a ``--target test`` build whose cached ``build`` and ``test`` steps were reported after
    the image id). Before an error or a cancel it is let through (the build had made its image).

    Classic mode: every event goes through the classic step parser so a classic build yields the
    same step events; and because the classic builder reports an image id (``{"aux": {"ID": ...}}``)
    at the end of EVERY stage, only the last one is the build's result, and none if the build
    failed or was cancelled.
    """

    def __init__(self, classic: bool = False, dockerfile_text: str | None = None):
        self.classic = classic
        self._parser = ClassicStepParser(dockerfile_text) if classic else None
        self._image: ImageBuilt | None = None
        self._stopped = False  # a failure or cancel was seen

    def decode(self, message: Any, timestamp: float | None = None) -> list[EngineEvent]:
        return self.translate(decode_message(message, timestamp))

    def translate(self, events: list[EngineEvent]) -> list[EngineEvent]:
        """Events the source produced itself (e.g. ``BuildCancelled``) pass through here too, so the
        classic parser can close its open step."""
        out: list[EngineEvent] = []
        for event in events:
            if isinstance(event, ImageBuilt):
                self._image = event
                continue
            if isinstance(event, (BuildFailed, BuildCancelled)):
                self._stopped = True
                if not self.classic and self._image is not None:
                    out.append(self._image)
                    self._image = None
            if self._parser is not None:
                out.extend(self._parser.translate(event))
            else:
                out.append(event)
        return out

    def finish(self) -> list[EngineEvent]:
        """End of stream: what the classic parser still holds, then the held-back image id."""
        out: list[EngineEvent] = list(self._parser.finish()) if self._parser is not None else []
        if self._image is not None and not self._stopped:
            out.append(self._image)
            self._image = None
        return out
