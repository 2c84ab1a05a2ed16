"""Find and connect to the Docker engine the user chose, the way the docker CLI does; say clearly when it does not answer.

The first source that is *configured* decides, and it is the only one tried (like the docker CLI:
a ``DOCKER_HOST`` that does not answer is an error, never a reason to build elsewhere):

1. ``host`` (the ``--host`` option).
2. ``DOCKER_HOST`` (unix, tcp — TLS through ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH`` — or ssh).
3. The docker context: ``DOCKER_CONTEXT``, else ``currentContext`` in ``$DOCKER_CONFIG/config.json``
   (``~/.docker``); its endpoint is in ``contexts/meta/<sha256 of the name>/meta.json``.
4. The default socket ``unix:///var/run/docker.sock``.

A slow engine is waited for as the docker CLI waits (30 s to connect, then no limit on the
answer), and ``on_wait`` is told while it takes long.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # docker is imported lazily so `msb-tui --help` stays fast
    import docker

DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 600.0
"""Read timeout of the client's requests: a quiet build step can be silent for minutes."""
CONNECT_TIMEOUT = 30.0
"""Seconds to establish the connection: the docker CLI's dial timeout. The answer itself is waited for."""
WAIT_NOTICE = 2.0
"""Seconds without an answer before ``on_wait`` is first told (then every ``WAIT_NOTICE_EVERY``)."""
WAIT_NOTICE_EVERY = 5.0


@dataclass(frozen=True)
class Candidate:
    """One engine address to try and where it came from (for messages)."""

    host: str
    source: str  # "--host", "DOCKER_HOST", "docker context 'x'", "default socket"
    tls: Any = None  # docker.tls.TLSConfig | bool | None


class EngineUnavailable(Exception):
    """The chosen Docker engine did not answer; the message names its address and what to do."""

    def __init__(self, candidate: Candidate, error: str, hint: str | None = None):
        self.candidate = candidate
        super().__init__(f"cannot reach the Docker engine at {candidate.host} "
                         f"({candidate.source}): {error}\n{hint or default_hint()}")


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


def docker_config_dir(env: Mapping[str, str]) -> str:
    """``$DOCKER_CONFIG``, else ``~/.docker``."""
    home = env.get("HOME") or os.path.expanduser("~")
    return env.get("DOCKER_CONFIG") or os.path.join(home, ".docker")


def current_context_name(env: Mapping[str, str]) -> str | None:
    """``DOCKER_CONTEXT``, else ``currentContext`` from config.json; None when unset or
    unreadable."""
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    try:
        data = json.loads(Path(docker_config_dir(env), "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("currentContext") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


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


def candidate(host: str | None = None, env: Mapping[str, str] | None = None) -> Candidate:
    """The engine the user chose (see the module's order); :class:`EngineUnavailable` when the
    configured source cannot be used at all (bad TLS files, a missing context)."""
    env = os.environ if env is None else env
    if host:
        return Candidate(host, "--host")
    if env.get("DOCKER_HOST"):
        try:
            return _docker_host_candidate(env)
        except Exception as error:  # noqa: BLE001 - docker's TLS helpers raise several kinds
            raise EngineUnavailable(Candidate(env["DOCKER_HOST"], "DOCKER_HOST"),
                                    f"unusable: {error}",
                                    "Fix DOCKER_TLS_VERIFY/DOCKER_CERT_PATH, or unset DOCKER_HOST.") from None
    name = current_context_name(env)
    if name:
        result = context_candidate(name, env)
        if isinstance(result, str):
            raise EngineUnavailable(Candidate(f"context {name}", "docker context"), result,
                                    "Choose another context ('docker context use default'), "
                                    "or unset DOCKER_CONTEXT.")
        return result
    return Candidate(DEFAULT_HOST, "default socket")


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


def _client_for(candidate: Candidate, timeout: float | None, answer_timeout: float | None) -> docker.APIClient:
    import docker

    kwargs: dict[str, Any] = {"base_url": candidate.host}
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
    # Ask the engine its API version ourselves (docker's version="auto" cannot tell a connect
    # timeout from a slow answer), then talk that version.
    with docker.APIClient(**kwargs, version=docker.constants.MINIMUM_DOCKER_API_VERSION, timeout=None) as probe:
        answer = probe.get(f"{probe.base_url}/version", timeout=(CONNECT_TIMEOUT, answer_timeout))
        answer.raise_for_status()
        api_version = answer.json()["ApiVersion"]
    return docker.APIClient(**kwargs, version=api_version, timeout=timeout)


def _notify_while_waiting(on_wait: Callable[[float], None] | None) -> threading.Event:
    """Calls ``on_wait(seconds waited)`` after ``WAIT_NOTICE`` s, then every
    ``WAIT_NOTICE_EVERY`` s, until the returned event is set."""
    stop = threading.Event()

    def notify() -> None:
        started, delay = time.monotonic(), WAIT_NOTICE
        while not stop.wait(delay):
            with suppress(Exception):  # a notice must not break the connection
                on_wait(time.monotonic() - started)
            delay = WAIT_NOTICE_EVERY

    if on_wait is not None:
        threading.Thread(target=notify, name="msb-engine-wait", daemon=True).start()
    return stop


def connect(
    host: str | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    answer_timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> docker.APIClient:
    """A ``docker.APIClient`` on the engine the user chose; :class:`EngineUnavailable` when it does not answer.

    ``timeout`` is the client's read timeout for later requests (None: wait forever);
    ``answer_timeout`` bounds the wait for the engine's first answer (None: as long as it takes,
    like the docker CLI); ``on_wait(seconds)`` is called while that wait lasts (a message to show).
    """
    chosen = candidate(host, env)
    waiting = _notify_while_waiting(on_wait)
    try:
        return _client_for(chosen, timeout, answer_timeout)
    except Exception as error:  # noqa: BLE001 - any failure means "that engine does not answer"
        raise EngineUnavailable(chosen, _describe(error)) from None
    finally:
        waiting.set()


def waiting_notice(host: str | None = None, env: Mapping[str, str] | None = None) -> Callable[[float], None]:
    """An ``on_wait`` for command-line tools: says on stderr which engine is being waited for."""
    try:
        chosen = candidate(host, env)
        where = f"{chosen.host} ({chosen.source})"
    except EngineUnavailable:
        where = "the engine"

    def notice(seconds: float) -> None:
        print(f"msb-tui: waiting for the Docker engine at {where}: no answer yet after {seconds:.0f} s "
              "(Ctrl+C to stop)", file=sys.stderr, flush=True)

    return notice
