#!/usr/bin/env python3
"""Regenerate the build recordings in tests/fixtures/recordings/ from real builds of the demos.

Needs a running engine and the offline images (``msb-tui demo-images``). Each demo is built
with ``--no-cache`` (so the steps really run and the recording shows real timings, overlap and
output) and the offline build args; the recording's absolute paths are rewritten relative to the
repository so the fixtures are portable. The images are left untagged.

    .venv/bin/python scripts/record_fixtures.py [--lane LANE] [NAME ...]     # default: the --no-cache ones

Without ``--lane`` it records on the configured engine into tests/fixtures/recordings/ (those
were made on Docker 20.10). ``--lane current`` (or ``containerd``, ``compat``) records on that
test engine (docs/engines.md) into tests/fixtures/recordings/<lane>/.

``go-one-file`` is a rebuild, not a ``--no-cache`` build: the Go demo (copied to a temporary
folder) is built, one source file is changed, and it is built again with the cache check msb-tui
runs around every build; the second recording is kept with its cache record (``.cache.json``: the
explanation of why each step ran) and context manifest (``.context.json``). It feeds the build
view's explanation tests and the README screenshot.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt, VertexUpdate  # noqa: E402
from msb_tui.backends import open_backend  # noqa: E402
from msb_tui.builds.inputs import BuildInputs  # noqa: E402
from msb_tui.engine.connection import connect  # noqa: E402
from msb_tui.offline import offline_build_args  # noqa: E402

OUT = REPO / "tests" / "fixtures" / "recordings"
DEMOS = REPO / "demo_dockerfiles"


class Fixture(NamedTuple):
    folder: str  # the demo (or a folder of the repository: a path with a "/")
    dockerfile: str
    target: str | None
    expected: str  # outcome
    backend: str = "engine"  # engine, classic or buildx (the lane's default builder)
    platform: str | None = None
    attest: tuple[str, ...] = ()  # buildx --attest values (attestation manifests, the containerd store only)


FIXTURES = {
    "parallel": Fixture("parallel", "Dockerfile", None, "succeeded"),
    "seed-example": Fixture("seed-example", "Dockerfile", None, "succeeded"),
    "broken": Fixture("broken", "Dockerfile", None, "failed"),
    "go": Fixture("go", "Dockerfile", None, "succeeded"),
    "seed-example-classic": Fixture("seed-example", "Dockerfile", None, "succeeded", "classic"),
    # The parallel demo cancelled while its three sleeps run side by side.
    "cancelled": Fixture("parallel", "Dockerfile", None, "cancelled"),
    # Two platforms through buildx (record with --lane containerd: the overlay2 store's docker
    # driver refuses multi-platform builds, the Engine API takes one platform only).
    "multiplatform": Fixture("multiplatform", "Dockerfile", None, "succeeded", "buildx", "linux/amd64,linux/arm64"),
    "multiplatform-test": Fixture("multiplatform", "Dockerfile", "test", "succeeded", "buildx", "linux/amd64,linux/arm64"),
    # Build checks on two stages, a COPY --link (a progress group) and the engine's own steps.
    "engine-steps": Fixture("tests/fixtures/engine_steps", "Dockerfile", None, "succeeded"),
    # The Go demo through buildx with a provenance attestation (record with --lane containerd: the
    # overlay2 store refuses attestations): the export writes an attestation manifest and buildx
    # resolves the provenance for its metadata file.
    "go-provenance": Fixture("go", "Dockerfile", None, "succeeded", "buildx", attest=("type=provenance,mode=max",)),
}
CANCEL_AFTER = 1.5  # seconds after the first RUN step starts
# name -> (demo folder, the file changed between the two builds, the line added to it: made unique
# with the time, so that the engine never has the changed file's steps in its cache already)
REBUILDS = {
    "go-one-file": ("go", "cmd/server/main.go", "\n// Changed at {stamp}: COPY . . and the steps after it run again.\n"),
}


def _portable(path: Path) -> None:
    """Rewrite the header's absolute paths relative to the repository."""
    lines = path.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    inputs = header["inputs"]
    for key in ("context", "dockerfile"):
        value = inputs.get(key)
        if value and Path(value).is_absolute():
            try:
                inputs[key] = str(Path(value).relative_to(REPO))
            except ValueError:
                pass
    lines[0] = json.dumps(header, ensure_ascii=False).encode("utf-8")
    path.write_bytes(b"\n".join(lines))


def record(client, name: str, host: str | None = None) -> Path:
    folder, dockerfile, target, expected, backend, platform, attest = FIXTURES[name]
    context = REPO / folder if "/" in folder else DEMOS / folder
    text = (context / dockerfile).read_text()
    inputs = BuildInputs(
        context=context,
        dockerfile=context / dockerfile,
        target=target,
        build_args=offline_build_args(text),
        no_cache=True,
        network="none",
        platform=platform,
    )
    path = OUT / f"{name}.jsonl"
    started = time.monotonic()
    outcome = "?"
    if backend == "buildx":
        stream = open_backend("buildx", builder="default", host=host, record=path, attest=attest).start(inputs)
    else:
        stream = open_backend(backend, client=client, record=path).start(inputs)
    timer = None
    for event in stream:
        if isinstance(event, ImageBuilt):
            outcome = "succeeded"
        elif isinstance(event, BuildFailed):
            outcome = "failed"
        elif isinstance(event, BuildCancelled):
            outcome = "cancelled"
        elif (
            expected == "cancelled" and timer is None and isinstance(event, VertexUpdate)
            and event.started is not None and "] RUN " in event.name
        ):
            timer = threading.Timer(CANCEL_AFTER, stream.cancel)
            timer.start()
    _portable(path)
    size = path.stat().st_size
    print(f"{name}: {outcome} in {time.monotonic() - started:.1f}s -> {path.relative_to(REPO)} ({size / 1024:.0f} KB)")
    if outcome != expected:
        raise SystemExit(f"{name}: expected {expected}, got {outcome}")
    return path


def record_rebuild(client, name: str) -> Path:
    """Build the demo, change one file, build it again with the cache check (see module docstring)."""
    from msb_tui.analysis import analyze
    from msb_tui.builds.model import BuildModel
    from msb_tui.cache import record as records
    from msb_tui.cache.check import CacheCheck

    folder, changed, added = REBUILDS[name]
    path = OUT / f"{name}.jsonl"
    with tempfile.TemporaryDirectory(prefix="msb-rebuild-") as tmp:
        context = Path(tmp) / folder
        shutil.copytree(DEMOS / folder, context)
        text = (context / "Dockerfile").read_text()
        analysis = analyze(text, build_args=offline_build_args(text))
        for round_, recording in ((1, Path(tmp) / "first.jsonl"), (2, path)):
            if round_ == 2:
                with open(context / changed, "a", encoding="utf-8") as handle:
                    handle.write(added.format(stamp=time.time_ns()))
            inputs = BuildInputs(context=context, dockerfile=context / "Dockerfile",
                                 build_args=offline_build_args(text), network="none")
            backend = open_backend("engine", client=client, record=recording)
            started = time.monotonic()
            check = CacheCheck.prepare(inputs, backend, analysis, folder=Path(tmp))
            source = backend.start(inputs)
            check.attach(source.recording_path)
            model = BuildModel(analysis)
            for event in source:
                model.apply(event)
            explanation = check.finish(model)
            ran = [step.label for step in explanation.steps if step.ran]
            print(f"{name} build {round_}: {model.status} in {time.monotonic() - started:.1f}s, ran {ran}")
            if model.status != "succeeded":
                raise SystemExit(f"{name}: build {round_} {model.status}")
        _portable(path)
        _portable_record(path, tmp, context)
    for kept in (path, records.record_path(path), records.manifest_path(path)):
        print(f"  -> {kept.relative_to(REPO)} ({kept.stat().st_size / 1024:.0f} KB)")
    return path


def _portable_record(path: Path, tmp: str, context: Path) -> None:
    """The cache record's and manifest's temporary paths as the repository's (the demo, the fixture)."""
    from msb_tui.cache import record as records

    for file in (records.record_path(path), records.manifest_path(path)):
        raw = file.read_text(encoding="utf-8")
        raw = raw.replace(json.dumps(str(path))[1:-1], str(path.relative_to(REPO)))
        raw = raw.replace(json.dumps(str(context))[1:-1], str((DEMOS / context.name).relative_to(REPO)))
        raw = raw.replace(json.dumps(tmp)[1:-1], "previous-build")
        file.write_text(raw, encoding="utf-8")


def main(argv: list[str]) -> int:
    global OUT
    host = None
    if argv[:1] == ["--lane"] and len(argv) > 1:
        from msb_tui.engine.lanes import lane

        chosen = lane(argv[1])
        host, OUT, argv = chosen.host, OUT / chosen.name, argv[2:]
    names = argv or list(FIXTURES)
    unknown = [n for n in names if n not in FIXTURES and n not in REBUILDS]
    if unknown:
        print(f"unknown fixture(s): {', '.join(unknown)}; known: {', '.join([*FIXTURES, *REBUILDS])}", file=sys.stderr)
        return 2
    client = connect(host, timeout=None)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        record_rebuild(client, name) if name in REBUILDS else record(client, name, host)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
