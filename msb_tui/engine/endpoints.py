"""Where the engine is configured: ``DOCKER_HOST``, the docker context, the default socket.

Plain functions of the environment and the docker config folder (for tests: no engine needed);
:mod:`msb_tui.engine.connection` connects on top of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

DEFAULT_HOST = "unix:///var/run/docker.sock"


def docker_config_dir(env: Mapping[str, str]) -> str:
    """``$DOCKER_CONFIG``, else ``~/.docker``."""
    explicit = env.get("DOCKER_CONFIG")
    if explicit:
        return explicit
    home = env.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".docker")


def current_context_name(env: Mapping[str, str]) -> str | None:
    """``DOCKER_CONTEXT``, else ``currentContext`` from config.json; None when unset or unreadable."""
    name = env.get("DOCKER_CONTEXT")
    if name:
        return name
    try:
        with open(os.path.join(docker_config_dir(env), "config.json"), encoding="utf-8") as config:
            data = json.load(config)
    except (OSError, ValueError):
        return None
    name = data.get("currentContext") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None
