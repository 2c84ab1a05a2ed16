"""Builds a builder remembers, whoever started them: ``docker buildx history``.

BuildKit keeps a record of every build on a builder (ours through the Engine API, ``docker build``
in another terminal, compose, an IDE, CI). ``history ls`` lists them; ``history logs --progress
rawjson REF`` prints a build's progress as the same JSON lines a buildx build writes, and follows a
build that is still running until it ends; ``history inspect`` gives its target and build args, and
its provenance attachment the Dockerfile it built. So a build from the history opens in the usual
views with its stages, skipped stages and plan, and ``watch`` follows a running one live.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from msb_tui.backends.base import Source
from msb_tui.backends.buildx import (BuildxUnavailable, builder_engine, check_buildx, docker_env, inspect_builder,
                                     json_objects, rawjson_events, run_docker)
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt
from msb_tui.builds.provenance import provenance_dockerfile
from msb_tui.builds.solve_status import parse_time
from msb_tui.engine.info import EngineInfo

POLL_SECONDS = 0.2
"""How often ``watch`` asks the builder for a running build while it waits for one."""

IMAGE_ATTACHMENTS = (
    "application/vnd.docker.container.image.v1+json",  # classic store: the config digest is the image id
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",  # containerd store: the manifest digest is
    "application/vnd.oci.image.manifest.v1+json",  # the image id there
    "application/vnd.oci.image.index.v1+json",
)
"""Attachment types that name the image a build made, in order of preference."""


class HistoryError(Exception):
    """The builder's history could not be read, or has no such build: the message says which."""


@dataclass
class HistoryEntry:
    """One line of ``docker buildx history ls``."""

    ref: str  # "builder/node/id"
    name: str
    status: str  # Running, Completed, Error, Canceled
    created: float | None = None
    completed: float | None = None
    total_steps: int = 0
    completed_steps: int = 0
    cached_steps: int = 0

    @property
    def id(self) -> str:
        """The build's own id, as ``history logs``/``inspect`` take it."""
        return self.ref.rsplit("/", 1)[-1]

    @property
    def running(self) -> bool:
        return self.status.lower() == "running"

    @property
    def duration(self) -> float | None:
        end = self.completed if self.completed is not None else (time.time() if self.running else None)
        return None if self.created is None or end is None else max(0.0, end - self.created)

    @property
    def cached_share(self) -> float | None:
        return self.cached_steps / self.total_steps if self.total_steps else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HistoryEntry:
        def number(key: str) -> int:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        def stamp(key: str) -> float | None:
            try:
                return parse_time(data.get(key))
            except ValueError:
                return None

        return cls(str(data.get("ref", "")), str(data.get("name", "")), str(data.get("status", "")),
                   stamp("created_at"), stamp("completed_at"), number("total_steps"),
                   number("completed_steps"), number("cached_steps"))


@dataclass
class BuildRecord:
    """What ``history inspect`` (and the provenance attachment) say of one build: the inputs in the
    form of a recording's header, and how it ended."""

    id: str
    status: str
    inputs: dict[str, Any] = field(default_factory=dict)
    image_id: str | None = None
    error: str | None = None


def _buildx(args: list[str], *, builder: str | None, host: str | None, docker: str) -> str:
    try:
        return run_docker(["buildx", *args] + (["--builder", builder] if builder else []),
                          docker=docker, host=host).stdout
    except BuildxUnavailable as error:
        if "ListenBuildHistory" in str(error):  # measured on Docker 20.10 (BuildKit 0.8)
            raise HistoryError("this builder's BuildKit keeps no build history (it needs BuildKit 0.11 or newer: "
                               "Docker 23+); its builds can be explored as msb-tui builds them, or from a saved log") from None
        raise HistoryError(str(error)) from None


def list_history(builder: str | None = None, *, host: str | None = None, docker: str = "docker") -> list[HistoryEntry]:
    """The builds the builder remembers, newest first."""
    out = _buildx(["history", "ls", "--format", "json"], builder=builder, host=host, docker=docker)
    entries = [HistoryEntry.from_json(data) for data in json_objects(out) if data.get("ref")]
    return sorted(entries, key=lambda entry: entry.created or 0.0, reverse=True)


def _platforms(value: Any) -> str | None:
    """``history inspect``'s Platform list (``["linux/amd64", "linux/arm64"]``) as ``--platform`` takes it."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        return ",".join(item for item in value if isinstance(item, str)) or None
    return None


def inspect_build(ref: str, builder: str | None = None, *, host: str | None = None, docker: str = "docker") -> BuildRecord:
    """A build's inputs and outcome (``HistoryError`` when the builder has no such build)."""
    build_id = ref.rsplit("/", 1)[-1]
    try:
        data = json.loads(_buildx(["history", "inspect", build_id, "--format", "json"],
                                  builder=builder, host=host, docker=docker))
    except ValueError as error:
        raise HistoryError(f"history inspect {build_id}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise HistoryError(f"history inspect {build_id}: not a JSON object")
    args = {item.get("Name"): item.get("Value", "") for item in data.get("BuildArgs") or []
            if isinstance(item, dict) and isinstance(item.get("Name"), str)}
    inputs: dict[str, Any] = {"name": data.get("Name"), "context": data.get("Context"),
                              "dockerfile": data.get("Dockerfile"), "target": data.get("Target") or None,
                              "build_args": args, "platform": _platforms(data.get("Platform")),
                              "backend": "history", "ref": build_id}
    attachments = [a for a in data.get("Attachments") or [] if isinstance(a, dict)]
    digests = {a.get("Type"): a.get("Digest") for a in attachments}
    image_id = next((digests[kind] for kind in IMAGE_ATTACHMENTS if isinstance(digests.get(kind), str)), None)
    provenance = next((a for a in attachments if "provenance" in str(a.get("Type", ""))), None)
    if provenance is not None:
        # Without it the build still opens, without its Dockerfile (no plan, no line ties).
        with suppress(HistoryError, ValueError):
            command = ["history", "inspect", "attachment", build_id, "--type", provenance["Type"]]
            attachment = json.loads(_buildx(command, builder=builder, host=host, docker=docker))
            inputs["dockerfile_text"] = provenance_dockerfile(attachment)
    error = data.get("Error")
    message = error.get("Message") if isinstance(error, dict) else error if isinstance(error, str) else None
    return BuildRecord(build_id, str(data.get("Status", "")), inputs, image_id, message)


class HistoryBackend:
    """Opens a build from the builder's history, or (``ref`` None) the most recent running build,
    waiting for the next one when ``wait`` is set: what ``msb-tui watch`` follows."""

    name: ClassVar[str] = "history"
    live: ClassVar[bool] = False

    def __init__(self, ref: str | None = None, builder: str | None = None, *, host: str | None = None,
                 docker: str = "docker", wait: bool = False, **_: Any):
        self.ref = ref
        self.builder = builder or os.environ.get("BUILDX_BUILDER") or None
        self.host = host
        self.docker = docker
        self.wait = wait
        check_buildx(docker)
        self._engine: EngineInfo | None = None

    def engine(self) -> EngineInfo:
        """The builder's engine, asked once (the app's header and the recording both want it): for a
        builder on a docker engine (driver docker), the engine's own facts; else its address (and
        BuildKit version, when buildx knows it)."""
        if self._engine is None:
            try:
                self._engine = builder_engine(inspect_builder(self.builder, self.docker), self.host)
            except BuildxUnavailable:
                self._engine = EngineInfo()
        return self._engine

    def start(self, inputs=None) -> HistorySource:
        return HistorySource(self)


class HistorySource(Source):
    """One build from the history: its progress (live while it runs), then how it ended."""

    recorded = True

    def __init__(self, backend: HistoryBackend) -> None:
        super().__init__()
        self.backend = backend
        self.ref = backend.ref
        self.record: BuildRecord | None = None
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        """Stop following (the build itself goes on: it is not ours to stop)."""
        with self._lock:
            self._cancelled.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()

    def engine_info(self) -> EngineInfo | None:
        """The builder that keeps this build's record (its engine, for a docker-driver builder)."""
        info = self.backend.engine()
        return info if info.version or info.buildkit_version or info.host else None

    def inputs(self) -> dict[str, Any]:
        """The build's inputs as a recording's header has them (``{}`` before they are known)."""
        return self.record.inputs if self.record else {}

    def find_running(self) -> str | None:
        """The most recent running build's id; with ``wait``, the next one to start."""
        backend = self.backend
        while not self.cancelled:
            running = [e for e in list_history(backend.builder, host=backend.host, docker=backend.docker) if e.running]
            if running:
                return running[0].id
            if not backend.wait:
                return None
            self._cancelled.wait(POLL_SECONDS)
        return None

    def _inspect(self) -> None:
        backend = self.backend
        self.record = inspect_build(self.ref, backend.builder, host=backend.host, docker=backend.docker)
        text = self.record.inputs.get("dockerfile_text")
        self.dockerfile_text = text if isinstance(text, str) else None

    def prepare(self) -> bool:
        """Find the build (waiting for one, for ``watch``) and read its inputs; False when there is
        none (or waiting was cancelled). ``HistoryError`` for an unknown reference or builder."""
        if self.record is not None:
            return True
        if self.ref is None:
            self.ref = self.find_running()
            if self.ref is None:
                return False
        self._inspect()
        return True

    def __iter__(self) -> Iterator[EngineEvent]:
        backend = self.backend
        try:
            if not self.prepare():
                if self.cancelled:
                    yield BuildCancelled("stopped waiting for a build")
                else:
                    yield BuildFailed("no build is running on the builder (--wait waits for the next one)",
                                      {"phase": "history"})
                return
        except HistoryError as error:
            yield BuildFailed(f"builder history: {error}", {"phase": "history"})
            return
        command = [backend.docker, "buildx", "history", "logs", "--progress", "rawjson", self.ref.rsplit("/", 1)[-1]]
        if backend.builder:
            command += ["--builder", backend.builder]
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, env=docker_env(backend.host))
        except OSError as error:
            yield BuildFailed(f"cannot run docker buildx history logs: {error}", {"phase": "history"})
            return
        with self._lock:
            self._process = process
        tail: deque[str] = deque(maxlen=20)
        try:
            yield from rawjson_events(process.stdout, None, None, tail)
            process.wait()
        finally:
            if process.poll() is None:
                process.terminate()
            process.stdout.close()
        if self.cancelled:
            yield BuildCancelled("stopped following the build (it goes on on the builder)", time.time())
            return
        try:
            self._inspect()  # the outcome, now that it ended (and the Dockerfile, once provenance exists)
        except HistoryError as error:
            yield BuildFailed(f"builder history: {error}", {"phase": "history"})
            return
        yield from self._outcome(process.returncode, tail)

    def _outcome(self, code: int, tail: deque[str]) -> Iterator[EngineEvent]:
        record = self.record
        status = record.status.lower()
        if status == "completed":
            yield ImageBuilt(record.image_id or "")
        elif status in ("canceled", "cancelled"):
            yield BuildCancelled("cancelled on the builder")
        elif status == "error" or record.error:
            yield BuildFailed(record.error or "the build failed", {"phase": "history"})
        elif code != 0:
            yield BuildFailed(" / ".join(tail) or f"docker buildx history logs exited with status {code}", {"phase": "history"})
        else:
            yield BuildFailed(f"the build's history record says {record.status!r}", {"phase": "history"})
