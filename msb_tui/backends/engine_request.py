"""The ``POST /build`` request: query parameters from the build inputs, and the context as its body."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import IO, Any

from msb_tui.builds.inputs import BuildInputs


def build_params(inputs: BuildInputs, dockerfile_name: str, *, classic: bool = False) -> dict[str, Any]:
    """Query parameters for ``POST /build``: ``version=2`` runs BuildKit, ``version=1`` the classic builder."""
    params: dict[str, Any] = {
        "dockerfile": dockerfile_name,
        "version": "1" if classic else "2",
        "rm": "1",
    }
    if inputs.tags:
        params["t"] = list(inputs.tags)
    if inputs.target:
        params["target"] = inputs.target
    if inputs.build_args:
        params["buildargs"] = json.dumps(inputs.build_args)
    if inputs.labels:
        params["labels"] = json.dumps(inputs.labels)
    if inputs.no_cache:
        params["nocache"] = "1"
    if inputs.pull:
        params["pull"] = "1"
    if inputs.platform:
        params["platform"] = inputs.platform
    if inputs.network:
        params["networkmode"] = inputs.network
    return params


class Cancelled(Exception):
    """Raised inside the tar or the upload when the build is cancelled before the engine answered."""


class UploadBody:
    """The context tar as a request body that reports progress and stops as soon as the build is cancelled."""

    def __init__(self, fileobj: IO[bytes], size: int, cancelled: threading.Event,
                 progress: Callable[[int, int], None]):
        self._file = fileobj
        self._size = size
        self._cancelled = cancelled
        self._progress = progress
        self._sent = 0

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        if self._cancelled.is_set():
            raise Cancelled()
        data = self._file.read(amount)
        self._sent += len(data)
        self._progress(self._sent, self._size)
        return data
