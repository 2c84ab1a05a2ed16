"""Ways to get a build, behind one interface (:mod:`msb_tui.backends.base`), chosen by name.

Adding a backend: write ``msb_tui/backends/<name>.py`` with a class that has ``name``,
``engine()`` and ``start(inputs)``, and add one line to ``BACKENDS``. Modules are imported only
when their backend is opened, so a replay never imports the docker package.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from msb_tui.backends.base import Backend, BuildSource, EventListSource, Source
from msb_tui.engine.info import EngineInfo

__all__ = ["BACKENDS", "Backend", "BuildSource", "EngineInfo", "EventListSource", "Source",
           "backend_class", "open_backend", "open_recorded"]

BACKENDS: dict[str, str] = {
    "engine": "msb_tui.backends.engine_api:EngineApiBackend",  # BuildKit through POST /build?version=2
    "classic": "msb_tui.backends.classic:ClassicBackend",  # the classic builder, POST /build?version=1
    "buildx": "msb_tui.backends.buildx:BuildxBackend",  # any buildx builder, docker buildx build --progress=rawjson
    "history": "msb_tui.backends.history:HistoryBackend",  # a build the builder remembers, or one running now
    "replay": "msb_tui.backends.replay:ReplayBackend",  # a recording made by msb-tui
    "bundle": "msb_tui.backends.bundle:BundleBackend",  # a .dockerbuild bundle (docker buildx history export)
    "ci-log": "msb_tui.backends.ci_log:CiLogBackend",  # a saved --progress=plain log
}
"""Backend name -> "module:class"."""


def backend_class(name: str) -> type:
    """The class registered as ``name``; ``KeyError`` listing the known names otherwise."""
    try:
        module, _, attribute = BACKENDS[name].partition(":")
    except KeyError:
        raise KeyError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})") from None
    return getattr(import_module(module), attribute)


def open_recorded(path, speed: float | None = None) -> Backend:
    """The backend that plays back the build saved at ``path``: a ``.dockerbuild`` bundle, or
    msb-tui's own recording."""
    from msb_tui.backends.bundle import is_bundle

    return open_backend("bundle" if is_bundle(path) else "replay", path=path, speed=speed)


def open_backend(name: str, **options: Any) -> Backend:
    """An instance of backend ``name``, given that backend's options (``client``/``host`` for an
    engine, ``path``/``speed`` for a replay...)."""
    return backend_class(name)(**options)
