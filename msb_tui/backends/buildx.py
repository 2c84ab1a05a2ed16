"""Builds on any buildx builder: ``docker buildx build --progress=rawjson``.

The engine's own BuildKit is reached through the Engine API (``engine_api.py``); every other kind of
builder (a BuildKit container, Kubernetes pods, a remote BuildKit, a cloud builder, or the default
builder of another docker context) only through buildx. buildx writes one JSON ``SolveStatus`` per
line on stderr (``builds/solve_status.py`` turns them into the usual events), plain text around them
(warnings, and the error summary at the end), and the result into ``--metadata-file``.

Cancel sends SIGINT, as Ctrl+C in a terminal does: buildx then cancels the solve on the builder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

from msb_tui.analysis.safety import engine_safety
from msb_tui.analysis.versions import Version, engine_buildkit, parse_buildkit
from msb_tui.backends.base import Source
from msb_tui.backends.engine_api import Record, recording_path, start_recording
from msb_tui.builds.decode import decode_message
from msb_tui.builds.events import BuildCancelled, BuildFailed, EngineEvent, ImageBuilt, MalformedMessage, StreamText
from msb_tui.builds.inputs import BuildInputs
from msb_tui.builds.masking import Masker
from msb_tui.builds.recording import Recorder
from msb_tui.engine.info import EngineInfo

MINIMUM = (0, 15)
"""``--progress=rawjson`` arrived in buildx 0.15."""

CANCEL_GRACE = 15.0
"""Seconds buildx gets to cancel the solve after SIGINT before it is terminated."""


class BuildxUnavailable(Exception):
    """buildx is missing or too old, or the builder does not exist: the message says which."""


def docker_env(host: str | None) -> dict[str, str]:
    """The environment for a docker CLI process: ours, with ``host`` as DOCKER_HOST when given."""
    return {**os.environ, "DOCKER_HOST": host} if host else dict(os.environ)


def run_docker(args: Sequence[str], *, docker: str = "docker", context: str | None = None,
               host: str | None = None, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``docker [--context C] ARGS`` with its output captured. ``BuildxUnavailable`` when it cannot
    run, and (``check``) when it fails, with docker's last error line."""
    try:
        done = subprocess.run([*docker_prefix(docker, context), *args], capture_output=True, text=True,
                              timeout=timeout, env=docker_env(host))
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildxUnavailable(f"cannot run docker {' '.join(args[:2])}: {error}") from None
    if check and done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"docker {' '.join(args[:2])} exited with status {done.returncode}"])[-1]
        raise BuildxUnavailable(reason.removeprefix("ERROR: "))
    return done


def check_buildx(docker: str = "docker") -> tuple[int, ...]:
    """The installed buildx plugin's version, e.g. (0, 29, 1); ``BuildxUnavailable`` when it is
    missing or too old."""
    if shutil.which(docker) is None:
        raise BuildxUnavailable(f"the docker CLI ({docker}) is not on PATH: buildx builds need it")
    done = run_docker(["buildx", "version"], docker=docker, timeout=30, check=False)
    found = re.search(r"\bv?(\d+)\.(\d+)(?:\.(\d+))?", done.stdout)
    if done.returncode != 0 or found is None:
        raise BuildxUnavailable("the docker buildx plugin is not installed "
                                f"(buildx {'.'.join(map(str, MINIMUM))} or newer is needed)")
    version = tuple(int(part) for part in found.groups() if part is not None)
    if version[:2] < MINIMUM:
        raise BuildxUnavailable(f"docker buildx {'.'.join(map(str, version))} is too old: msb-tui needs "
                                f"{'.'.join(map(str, MINIMUM))} or newer (for --progress=rawjson)")
    return version


def docker_prefix(docker: str = "docker", context: str | None = None) -> list[str]:
    """``docker`` or ``docker --context NAME``: a docker context's own builder (driver docker) is
    reached through the context, not through ``--builder``."""
    return [docker, "--context", context] if context else [docker]


def is_context(name: str | None, docker: str = "docker") -> bool:
    """True when ``name`` is a docker context (other than the current one's default builder)."""
    if not name or name == "default":
        return False
    try:
        return run_docker(["context", "inspect", name], docker=docker, timeout=30, check=False).returncode == 0
    except BuildxUnavailable:
        return False


def buildx_command(inputs: BuildInputs, *, builder: str | None, metadata_file: Path,
                   docker: str = "docker", context: str | None = None, attest: Sequence[str] = ()) -> list[str]:
    """The ``docker buildx build`` command line for ``inputs`` (no shell: every value is one argument).
    ``attest``: ``--attest`` values (``type=provenance,mode=max``, ``type=sbom``)."""
    command = [*docker_prefix(docker, context), "buildx", "build", "--progress=rawjson", "--metadata-file", str(metadata_file)]
    if builder and not context:
        command += ["--builder", builder]
    command += ["--file", str(inputs.dockerfile_path)]
    if inputs.target:
        command += ["--target", inputs.target]
    for name, value in inputs.build_args.items():
        command += ["--build-arg", f"{name}={value}"]
    if inputs.platform:
        command += ["--platform", inputs.platform]
    if inputs.no_cache:
        command.append("--no-cache")
    if inputs.pull:
        command.append("--pull")
    for tag in inputs.tags:
        command += ["--tag", tag]
    for name, value in inputs.labels.items():
        command += ["--label", f"{name}={value}"]
    if inputs.network:
        command += ["--network", inputs.network]
    for value in attest:
        command += ["--attest", value]
    command.append(str(inputs.context))
    return command


def inspect_builder(builder: str | None, docker: str = "docker", context: str | None = None) -> dict[str, str]:
    """``docker buildx inspect``'s first fields (Name, Driver, Endpoint, Status, BuildKit version)."""
    try:
        out = run_docker(["buildx", "inspect"] + ([builder] if builder and not context else []),
                         docker=docker, context=context).stdout
    except BuildxUnavailable as error:
        raise BuildxUnavailable(f"builder {builder or '(default)'}: {error}") from None
    fields: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" ") and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def builder_engine(fields: dict[str, str], host: str | None = None, context: str | None = None) -> EngineInfo:
    """What ``buildx inspect`` says of a builder's engine (its address, BuildKit version); for a
    builder on a docker engine (driver docker, not another context's), the engine's own facts."""
    info = EngineInfo(host=fields.get("Endpoint", ""))
    version = fields.get("BuildKit version", "").lstrip("v")
    if re.match(r"\d+\.\d+", version) and not version.startswith("0.0.0"):
        info = EngineInfo(buildkit=True, buildkit_version=".".join(version.split(".")[:2]), host=info.host)
    if fields.get("Driver") == "docker" and not context:
        from msb_tui.engine.connection import connect
        from msb_tui.engine.info import gather

        with suppress(Exception):  # informative only
            info = gather(connect(host))
    return info


def json_objects(text: str) -> Iterator[dict]:
    """The objects a ``--format json`` listing prints, one per line (other lines are skipped)."""
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            yield data


def builder_names(docker: str = "docker") -> list[str]:
    """The builders ``docker buildx ls`` lists, the current one first."""
    check_buildx(docker)
    listing = run_docker(["buildx", "ls", "--format", "json"], docker=docker).stdout
    builders = [b for b in json_objects(listing) if isinstance(b.get("Name"), str)]
    return [b["Name"] for b in sorted(builders, key=lambda b: not b.get("Current"))]


class BuildxBackend:
    """Builds with ``docker buildx build`` on ``builder`` (default: ``BUILDX_BUILDER``, else the
    current builder). ``host`` is passed to the docker CLI as DOCKER_HOST."""

    name: ClassVar[str] = "buildx"
    live: ClassVar[bool] = True

    def __init__(self, builder: str | None = None, *, host: str | None = None, record: Record = True,
                 docker: str = "docker", on_wait=None, attest: Sequence[str] = ()):
        self.builder = builder or os.environ.get("BUILDX_BUILDER") or None
        self.attest = tuple(attest)  # --attest values: the image gets attestation manifests (provenance, SBOM)
        self.host = host
        self.record = record
        self.docker = docker
        self.version = check_buildx(docker)
        self.context = self.builder if is_context(self.builder, docker) else None
        self.fields = inspect_builder(self.builder, docker, self.context)  # an unknown builder fails here
        self._engine: EngineInfo | None = None

    def engine(self) -> EngineInfo:
        """The builder as buildx describes it; for a builder on a docker engine (driver docker), the
        engine's own facts too."""
        if self._engine is None:
            self._engine = builder_engine(self.fields, self.host, self.context)
        return self._engine

    def buildkit(self) -> Version | None:
        """The builder's BuildKit (None when unknown: the checks then assume the most fragile one)."""
        info = self.engine()
        if info.version:
            return engine_buildkit(info.version)
        try:
            return parse_buildkit(info.buildkit_version) if info.buildkit_version else None
        except ValueError:
            return None

    def start(self, inputs: BuildInputs | None = None) -> BuildxSource:
        if inputs is None:
            raise ValueError("the buildx backend needs build inputs")
        return BuildxSource(self, inputs)


class BuildxSource(Source):
    """One ``docker buildx build`` process; iterate it (blocking) for events, ``cancel()`` from any thread."""

    def __init__(self, backend: BuildxBackend, inputs: BuildInputs) -> None:
        super().__init__()
        self.backend = backend
        self.inputs = inputs
        self.started = time.time()
        self.recording_path = recording_path(backend.record, inputs, self.started)
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def engine_info(self) -> EngineInfo | None:
        """The builder's engine as buildx (and, for a docker-driver builder, the engine) describes it."""
        info = self.backend.engine()
        return info if info.version or info.buildkit_version or info.host else None

    def cancel(self) -> None:
        """SIGINT to buildx (it cancels the solve on the builder); terminated if it lingers."""
        with self._lock:
            self._cancelled.set()
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        threading.Thread(target=_terminate_later, args=(process,), daemon=True).start()

    def __iter__(self) -> Iterator[EngineEvent]:
        dockerfile = self.inputs.read_dockerfile()
        if dockerfile is not None:
            self.dockerfile_text = dockerfile.decode("utf-8", errors="replace")
            refused = engine_safety(dockerfile, self.backend.buildkit(), self.inputs.target,
                                    self.inputs.build_args)
            if refused is not None:
                yield BuildFailed(f"not sent to the builder: {refused}", {"phase": "validate", "line": refused.line})
                return
        with tempfile.TemporaryDirectory(prefix="msb-tui-buildx-") as folder:
            metadata = Path(folder) / "metadata.json"
            yield from self._run(buildx_command(self.inputs, builder=self.backend.builder, metadata_file=metadata,
                                                docker=self.backend.docker, context=self.backend.context,
                                                attest=self.backend.attest), metadata)

    def _run(self, command: Sequence[str], metadata: Path) -> Iterator[EngineEvent]:
        if self.cancelled:
            yield BuildCancelled(timestamp=time.time())
            return
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, env=docker_env(self.backend.host),
                                       start_new_session=True)
        except OSError as error:
            yield BuildFailed(f"cannot start docker buildx: {error}", {"phase": "start"})
            return
        with self._lock:
            self._process = process
        builder = self.backend.builder or self.backend.fields.get("Name", "")
        recorder = start_recording(self, self.backend.engine(), classic=False, backend="buildx",
                                   builder=builder)
        masker = Masker.for_args(self.inputs.build_args, self.inputs.secret_build_args) or None
        text_tail: deque[str] = deque(maxlen=40)
        outcome, image_id, error = "failed", None, None
        try:
            yield from rawjson_events(process.stderr, recorder, masker, text_tail)
            process.wait()
            now = time.time()
            if self.cancelled:
                outcome = "cancelled"
                yield BuildCancelled(timestamp=now)
            elif process.returncode == 0:
                image_id = _result_id(metadata)
                outcome = "succeeded"
                if recorder is not None:
                    recorder.message(now, json.dumps({"id": "moby.image.id", "aux": {"ID": image_id}}).encode())
                yield ImageBuilt(image_id)
            else:
                error = _error(text_tail, process.returncode)
                if recorder is not None:
                    recorder.message(now, json.dumps({"error": error}).encode())
                yield BuildFailed(error, {"exit_code": process.returncode}, now)
        finally:
            if process.poll() is None:  # the reader stopped early: stop buildx (and so the solve)
                outcome = "cancelled"
                process.send_signal(signal.SIGINT)
                _terminate_later(process)
            process.stderr.close()
            if recorder is not None:
                recorder.close(outcome, image_id=image_id, error=error)


def rawjson_events(lines: Iterable[bytes], recorder: Recorder | None, masker: Masker | None,
                   text_tail: deque[str]) -> Iterator[EngineEvent]:
    """Events from buildx's ``--progress=rawjson`` output (also ``history logs``): each JSON line is
    recorded and decoded, a damaged one is a ``MalformedMessage``, and plain text (warnings, the
    error summary) is shown and kept in ``text_tail``."""
    for raw in lines:
        now = time.time()
        line = raw.rstrip(b"\r\n")
        if masker is not None:
            line = masker.line(line)
        if not line.startswith(b"{"):
            text = line.decode("utf-8", "replace")
            text_tail.append(text)
            if recorder is not None:
                recorder.message(now, json.dumps({"stream": text + "\n"}).encode("utf-8"))
            yield StreamText(text + "\n", now)
            continue
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            if recorder is not None:
                recorder.message(now, line, valid=False)
            yield MalformedMessage("buildx line is not valid JSON", line[:200])
            continue
        if recorder is not None:
            recorder.message(now, line)
        yield from decode_message(message, now)


def _terminate_later(process: subprocess.Popen) -> None:
    try:
        process.wait(CANCEL_GRACE)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


def _result_id(metadata: Path) -> str:
    """The image buildx made (its config digest: the image id on a docker engine), or the build's
    reference when the output was not an image (``--output type=local``, cache only)."""
    try:
        data = json.loads(metadata.read_text())
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("containerimage.config.digest", "containerimage.digest", "buildx.build.ref"):
        if isinstance(data.get(key), str):
            return data[key]
    return ""


def _error(lines: deque[str], code: int) -> str:
    """buildx's own error line (``ERROR: failed to build: ...``), else its last words."""
    for line in reversed(lines):
        if line.startswith("ERROR:"):
            return line.removeprefix("ERROR:").strip()
    last = [line for line in lines if line.strip()][-3:]
    return " / ".join(last) or f"docker buildx build exited with status {code}"
