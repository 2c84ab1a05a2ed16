"""Find and connect to a Docker engine the way the docker CLI would, and say clearly when none answers.

Order of precedence (the first source that is *configured* decides; later ones are fallbacks only
when no explicit choice was made):

1. ``host`` (the ``--host`` option): the only candidate when given.
2. ``DOCKER_HOST`` (unix, tcp — TLS through ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH`` — or ssh).
3. The docker context: ``DOCKER_CONTEXT``, else ``currentContext`` in ``$DOCKER_CONFIG/config.json``
   (``~/.docker``); its endpoint is in ``contexts/meta/<sha256 of the name>/meta.json``.
4. The default socket ``unix:///var/run/docker.sock``.

Without ``--host``, every configured candidate is tried in that order until one answers a ping,
so a stale ``DOCKER_HOST`` does not hide a working local engine; :class:`EngineUnavailable`
lists every attempt and what to do next.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msb_tui.engine.info import EngineInfo, gather  # noqa: F401 (EngineInfo re-exported)
from msb_tui.engine.endpoints import DEFAULT_HOST, current_context_name, docker_config_dir  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # docker is imported lazily so `msb-tui --help` stays fast
    import docker

DEFAULT_TIMEOUT = 600.0
"""Read timeout of the client's requests: a quiet build step can be silent for minutes."""
PING_TIMEOUT = 5.0


@dataclass(frozen=True)
class Candidate:
    """One engine address to try and where it came from (for messages)."""

    host: str
    source: str  # "--host", "DOCKER_HOST", "docker context 'x'", "default socket"
    tls: Any = None  # docker.tls.TLSConfig | bool | None


@dataclass
class Attempt:
    candidate: Candidate
    error: str


class EngineUnavailable(Exception):
    """No Docker engine answered; the message lists what was tried and what to do."""

    def __init__(self, attempts: list[Attempt], hint: str | None = None):
        self.attempts = attempts
        lines = ["no Docker engine answered. Tried:"]
        for attempt in attempts:
            lines.append(f"  - {attempt.candidate.host} ({attempt.candidate.source}): {attempt.error}")
        lines.append(hint or default_hint())
        super().__init__("\n".join(lines))


def default_hint() -> str:
    """What to do next, depending on whether we could start an engine ourselves."""
    can_start = hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/etc/debian_version").exists()
    if can_start:
        return "Run 'msb-tui engine up' to install/start a local engine, or pass --host / set DOCKER_HOST."
    return (
        "Install Docker (https://docs.docker.com/engine/install/) and start it, or point msb-tui at a "
        "running engine with --host / DOCKER_HOST / 'docker context use'. ('msb-tui engine up' can start "
        "a local engine when run as root on Debian/Ubuntu.)"
    )


# ---------------------------------------------------------------------------------------------
# Finding candidates (pure: env and the config folder are parameters, for tests)


def context_candidate(name: str, env: Mapping[str, str]) -> Candidate | str:
    """The endpoint of docker context ``name``, or a sentence saying why it cannot be used."""
    if name == "default":
        return Candidate(DEFAULT_HOST, "docker context 'default'")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
    base = Path(docker_config_dir(env)) / "contexts"
    meta_path = base / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        endpoint = meta["Endpoints"]["docker"]
        host = endpoint["Host"]
    except OSError:
        return f"docker context '{name}' not found ({meta_path} is missing)"
    except (ValueError, KeyError, TypeError):
        return f"docker context '{name}' has no usable docker endpoint in {meta_path}"
    tls = None
    tls_dir = base / "tls" / digest / "docker"
    if host.startswith("tcp://") and tls_dir.is_dir():
        from docker.tls import TLSConfig

        cert = (str(tls_dir / "cert.pem"), str(tls_dir / "key.pem"))
        ca = tls_dir / "ca.pem"
        tls = TLSConfig(
            client_cert=cert if (tls_dir / "cert.pem").exists() else None,
            ca_cert=str(ca) if ca.exists() else None,
            verify=not endpoint.get("SkipTLSVerify", False),
        )
    return Candidate(host, f"docker context '{name}'", tls=tls)


def _docker_host_candidate(env: Mapping[str, str]) -> Candidate:
    from docker.utils import kwargs_from_env

    host = env["DOCKER_HOST"]
    kwargs = kwargs_from_env(environment=dict(env))
    # docker.APIClient turns tcp:// into https:// itself when tls is set.
    return Candidate(kwargs.get("base_url", host), "DOCKER_HOST", tls=kwargs.get("tls"))


def candidates(host: str | None = None, env: Mapping[str, str] | None = None) -> tuple[list[Candidate], list[Attempt]]:
    """The engines to try, in order, plus sources that were configured but unusable (as failed attempts)."""
    env = os.environ if env is None else env
    if host:
        return [Candidate(host, "--host")], []
    found: list[Candidate] = []
    broken: list[Attempt] = []
    if env.get("DOCKER_HOST"):
        try:
            found.append(_docker_host_candidate(env))
        except Exception as error:  # noqa: BLE001 - docker's TLS helpers raise several kinds
            broken.append(Attempt(Candidate(env["DOCKER_HOST"], "DOCKER_HOST"), f"unusable: {error}"))
    name = current_context_name(env)
    if name:
        result = context_candidate(name, env)
        if isinstance(result, Candidate):
            found.append(result)
        else:
            broken.append(Attempt(Candidate(f"context {name}", "docker context"), result))
    found.append(Candidate(DEFAULT_HOST, "default socket"))
    unique: list[Candidate] = []
    for candidate in found:
        if all(candidate.host != seen.host for seen in unique):
            unique.append(candidate)
    return unique, broken


# ---------------------------------------------------------------------------------------------
# Connecting


def _describe(error: BaseException) -> str:
    """A short, human cause for a connection failure (requests errors are very long)."""
    text = str(error)
    for needle, meaning in (
        ("No such file or directory", "socket not found (is the engine running?)"),
        ("Connection refused", "connection refused (nothing listens there)"),
        ("Permission denied", "permission denied (add your user to the 'docker' group, or use sudo)"),
        ("timed out", "timed out"),
        ("Name or service not known", "unknown host name"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate verification failed"),
    ):
        if needle in text:
            return meaning
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _client_for(candidate: Candidate, timeout: float | None, ping_timeout: float) -> docker.APIClient:
    import docker

    kwargs: dict[str, Any] = {"base_url": candidate.host, "timeout": ping_timeout, "version": "auto"}
    if candidate.tls:
        kwargs["tls"] = candidate.tls
    if candidate.host.startswith("ssh://"):
        if shutil.which("ssh"):
            kwargs["use_ssh_client"] = True
        else:
            try:
                import paramiko  # noqa: F401
            except ImportError:
                raise RuntimeError("ssh:// needs the 'ssh' client or the paramiko package") from None
    client = docker.APIClient(**kwargs)  # version="auto" asks the engine: fails fast when it is down
    if client._get(client._url("/_ping"), timeout=ping_timeout).text != "OK":
        raise RuntimeError("the engine did not answer OK to /_ping")
    client.timeout = timeout
    return client


def connect(
    host: str | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    ping_timeout: float = PING_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> docker.APIClient:
    """A pinged ``docker.APIClient`` on the first engine that answers; :class:`EngineUnavailable` otherwise.

    ``timeout`` is the client's read timeout for later requests (None: wait forever);
    ``ping_timeout`` bounds each connection attempt.
    """
    found, attempts = candidates(host, env)
    for candidate in found:
        try:
            return _client_for(candidate, timeout, ping_timeout)
        except Exception as error:  # noqa: BLE001 - any failure means "try the next one"
            attempts.append(Attempt(candidate, _describe(error)))
    raise EngineUnavailable(attempts)


def engine_info(client: docker.APIClient) -> EngineInfo:
    """Version, API version, BuildKit, image store and address of the engine (see ``engine.info``)."""
    return gather(client)
