"""Which build made an image: its Dockerfile, target, build args and steps.

An image's history says what ran (``COPY go.mod ./``) but not which Dockerfile, stage or build
args; the recording of the build that produced it does (its header holds the inputs, its footer
the image id), and so does BuildKit's provenance attestation (the Dockerfile it built). Layers use
it to tie each layer to its line without asking the user for ``--dockerfile`` and ``--target``,
and never tie an image to a stage it was not built for.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

@dataclass
class BuildOrigin:
    """The recorded build that produced an image."""

    recording: Path
    dockerfile_text: str
    target: str | None
    build_args: dict[str, str]
    model: Any = None  # the BuildModel replayed from the recording (step states and durations)

    @property
    def target_label(self) -> str:
        return self.target or "the last stage"


def _footer_image(path: Path) -> str | None:
    """The image id in a recording's footer (None: no footer, or the build made no image)."""
    from msb_tui.builds.recording import read_footer

    image_id = read_footer(path).get("image_id")
    return image_id if isinstance(image_id, str) else None


def _same_image(a: str, b: str) -> bool:
    return a.removeprefix("sha256:") == b.removeprefix("sha256:")


def find_recording(image_id: str, folder: Path | None = None) -> Path | None:
    """The newest recording (in ``folder``, default the state folder's) whose build produced ``image_id``."""
    if folder is None:
        from msb_tui.paths import recordings_dir

        folder = recordings_dir()
    try:
        paths = sorted(Path(folder).glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return None
    return next((path for path in paths if (found := _footer_image(path)) and _same_image(found, image_id)), None)


def origin_of(image_id: str, folder: Path | None = None, *, with_model: bool = True) -> BuildOrigin | None:
    """The recorded build that produced ``image_id``, with its inputs (and, by default, its replayed model)."""
    from msb_tui.builds.recording import RecordingError, read_inputs

    path = find_recording(image_id, folder)
    if path is None:
        return None
    try:
        inputs = read_inputs(path)
    except RecordingError:
        return None
    text = inputs.get("dockerfile_text")
    if not isinstance(text, str) or not text.strip():
        return None
    origin = BuildOrigin(path, text, inputs.get("target") or None, dict(inputs.get("build_args") or {}))
    if with_model:
        origin.model = _replayed(path, inputs)
    return origin


def _replayed(path: Path, inputs: dict) -> Any:
    """The recording replayed (as fast as possible) into a BuildModel joined with its analysis."""
    from msb_tui.analysis import analyze
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.recording import RecordingError, replay

    try:
        analysis = analyze(inputs["dockerfile_text"], target=inputs.get("target"),
                           build_args=dict(inputs.get("build_args") or {}), platform=inputs.get("platform"))
        model = BuildModel(analysis, classic=bool(inputs.get("classic")))
        for event in replay(path, None):
            model.apply(event)
    except (RecordingError, ValueError, OSError):
        return None
    return model


def provenance_dockerfile(provenance: Any) -> str | None:
    """The Dockerfile text in a provenance attestation (BuildKit's ``metadata.source.infos``,
    wherever the provenance version puts it)."""
    stack = [provenance]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for info in node.get("infos") if isinstance(node.get("infos"), list) else ():
                if isinstance(info, dict) and isinstance(info.get("data"), str):
                    try:
                        return base64.b64decode(info["data"], validate=True).decode("utf-8", "replace")
                    except (binascii.Error, ValueError):
                        continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None
