"""Where the engine is configured: ``DOCKER_HOST``, the docker context, the default socket.

Plain functions of the environment and the docker config folder, with no docker-py import, so the
build path can find a local engine in well under a millisecond; :mod:`msb_tui.engine.connection`
builds docker-py clients on top of them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

DEFAULT_HOST = "unix:///var/run/docker.sock"
PLAIN_SCHEMES = ("unix://", "tcp://", "http://")
"""Addresses :class:`~msb_tui.engine.plain_http.PlainEngine` speaks to (no TLS, no ssh)."""


def docker_config_dir(env: Mapping[str, str]) -> str:
    """``$DOCKER_CONFIG``, else ``~/.docker`` (a string: the build path does without pathlib)."""
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


def plain_hosts(host: str | None = None, env: Mapping[str, str] | None = None) -> list[str] | None:
    """The engines :func:`~msb_tui.engine.connection.connect` would try, in its order, when all
    are plain sockets (unix, or TCP without TLS); None when a configured source needs docker-py
    (TLS, ssh, a named docker context)."""
    env = os.environ if env is None else env
    if host:
        return [host] if host.startswith(PLAIN_SCHEMES) else None
    found = []
    docker_host = env.get("DOCKER_HOST")
    if docker_host:
        if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_CERT_PATH") or not docker_host.startswith(PLAIN_SCHEMES):
            return None
        found.append(docker_host)
    name = current_context_name(env)
    if name and name != "default":
        return None
    if DEFAULT_HOST not in found:
        found.append(DEFAULT_HOST)
    return found
