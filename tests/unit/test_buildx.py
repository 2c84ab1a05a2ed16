"""The buildx backend without a builder: its JSON stream, its command line, and a fake docker CLI
standing in for buildx when it is missing, too old, asked for an unknown builder, or loses its
builder mid-build. (Real builds through buildx: tests/integration/test_buildx_engine.py.)"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.backends import open_backend
from msb_tui.backends.buildx import BuildxBackend, BuildxUnavailable, buildx_command
from msb_tui.builds.decode import decode_message
from msb_tui.builds.events import BuildFailed, BuildWarning, ImageBuilt, LogChunk, MalformedMessage, StatusUpdate, StreamText, VertexUpdate
from msb_tui.builds.inputs import BuildInputs
from msb_tui.builds.masking import Masker
from msb_tui.builds.model import BuildModel
from msb_tui.builds.solve_status import decode_solve_status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "buildx"
DEMOS = Path(__file__).resolve().parents[2] / "demo_dockerfiles"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_solve_status_line_becomes_the_engine_api_events():
    line = {
        "vertexes": [{"digest": "sha256:a", "inputs": ["sha256:b"], "name": "[build 2/3] RUN make",
                      "started": "2026-12-01T15:58:02.401038709Z", "completed": "2026-12-01T15:58:03.5Z",
                      "cached": False}],
        "statuses": [{"id": "extracting", "vertex": "sha256:a", "name": "extracting", "current": 5, "total": 10,
                      "timestamp": "2026-12-01T15:58:02.5Z"}],
        "logs": [{"vertex": "sha256:a", "stream": 2, "data": _b64("boom\n"), "timestamp": "2026-12-01T15:58:02.6Z"}],
        "warnings": [{"vertex": "sha256:a", "level": 1, "short": _b64("FromAsCasing: 'as' (line 1)"),
                      "detail": [_b64("match the case")], "url": "https://docs.docker.com/go/x/"}],
    }
    events = decode_message(line)
    vertex, status, log, warning = events
    assert vertex == VertexUpdate("sha256:a", "[build 2/3] RUN make", ("sha256:b",), vertex.started, vertex.completed, False, None)
    assert vertex.completed - vertex.started == pytest.approx(1.098961, abs=3e-6)  # nanoseconds cut to microseconds
    assert isinstance(status, StatusUpdate) and (status.current, status.total) == (5, 10)
    assert log == LogChunk("sha256:a", b"boom\n", 2, log.timestamp)
    assert warning == BuildWarning("sha256:a", "FromAsCasing: 'as' (line 1)", 1, ("match the case",), "https://docs.docker.com/go/x/")


@pytest.mark.parametrize("line", [
    {"vertexes": [{"name": "no digest"}]},
    {"vertexes": "not a list"},
    {"logs": [{"vertex": "v", "data": "%%% not base64"}]},
    {"statuses": [{"id": "x", "vertex": "v", "current": "many"}]},
    {"vertexes": [{"digest": "d", "started": "yesterday"}]},
    {"vertexes": [{"digest": "d", "started": 12}]},
])
def test_a_damaged_solve_status_line_is_one_malformed_message(line):
    events = decode_solve_status(line)
    assert len(events) == 1 and isinstance(events[0], MalformedMessage)


def test_the_parallel_demo_as_buildx_wrote_it_shows_three_stages_at_once():
    """A real `docker buildx build --progress=rawjson --no-cache` of the parallel demo on Docker 28.5.2."""
    analysis = analyze((DEMOS / "parallel" / "Dockerfile").read_text(), build_args={"BASE_IMAGE": "msb-demo/busybox:1.35"})
    model = BuildModel(analysis)
    lines = (FIXTURES / "parallel.rawjson").read_bytes().splitlines()
    for raw in lines:
        for event in decode_message(json.loads(raw)):
            assert not isinstance(event, MalformedMessage)
            model.apply(event)
    model.apply(ImageBuilt("sha256:" + "0" * 64))
    assert model.totals().max_parallel >= 3
    busy = {name: model.stage(name) for name in ("backend", "frontend", "docs")}
    assert all(stage.state.value == "done" for stage in busy.values())
    # the three independent stages ran side by side: each started before any of them ended
    assert max(stage.started for stage in busy.values()) < min(stage.completed for stage in busy.values())
    assert model.stage("final").state.value == "done"


def test_secrets_in_buildx_logs_are_masked_inside_their_base64():
    masker = Masker(["hunter2-secret"])
    line = json.dumps({"logs": [{"vertex": "v", "stream": 1, "data": _b64("token=hunter2-secret\n")}]}).encode()
    masked = masker.line(line)
    assert b"hunter2" not in base64.b64decode(json.loads(masked)["logs"][0]["data"])
    assert base64.b64decode(json.loads(masked)["logs"][0]["data"]) == b"token=**************\n"


def test_the_command_line_carries_every_build_input(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    inputs = BuildInputs(context=tmp_path, target="test", build_args={"A": "1", "B": "x y"}, platform="linux/arm64",
                         no_cache=True, pull=True, tags=("me/app:1",), labels={"k": "v"}, network="none")
    command = buildx_command(inputs, builder="k8s-pool", metadata_file=Path("/tmp/m.json"))
    assert command[:5] == ["docker", "buildx", "build", "--progress=rawjson", "--metadata-file"]
    for flag, value in [("--builder", "k8s-pool"), ("--target", "test"), ("--platform", "linux/arm64"),
                        ("--tag", "me/app:1"), ("--label", "k=v"), ("--network", "none"),
                        ("--file", str(tmp_path / "Dockerfile"))]:
        assert command[command.index(flag) + 1] == value
    assert [command[i + 1] for i, word in enumerate(command) if word == "--build-arg"] == ["A=1", "B=x y"]
    assert "--no-cache" in command and "--pull" in command and command[-1] == str(tmp_path)


def _fake_docker(tmp_path: Path, version: str = "v0.29.1", builder_missing: bool = False, build: str = "") -> str:
    """A `docker` stand-in answering `buildx version`, `buildx inspect` and `buildx build` as scripted."""
    script = tmp_path / "docker"
    if builder_missing:
        inspect = 'echo "ERROR: no builder \\"$3\\" found" >&2; exit 1'
    else:
        inspect = 'printf "Name: fake\\nDriver: kubernetes\\n"; exit 0'
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = context ]; then echo "context not found" >&2; exit 1; fi\n'
        f'if [ "$2" = version ]; then echo "github.com/docker/buildx {version} abc"; exit 0; fi\n'
        f'if [ "$2" = inspect ]; then {inspect}; fi\n'
        f'if [ "$2" = build ]; then\n{build or "exit 0"}\nfi\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_buildx_too_old_names_the_version_needed(tmp_path):
    with pytest.raises(BuildxUnavailable, match=r"0\.12\.0 is too old: msb-tui needs 0\.15 or newer"):
        BuildxBackend(docker=_fake_docker(tmp_path, version="v0.12.0"))


def test_buildx_missing_says_so(tmp_path):
    script = tmp_path / "docker"
    script.write_text("#!/bin/sh\necho \"docker: 'buildx' is not a docker command.\" >&2\nexit 1\n")
    script.chmod(0o755)
    with pytest.raises(BuildxUnavailable, match="buildx plugin is not installed"):
        BuildxBackend(docker=str(script))


def test_an_unknown_builder_fails_before_any_build(tmp_path):
    with pytest.raises(BuildxUnavailable, match='builder nope: no builder "nope" found'):
        open_backend("buildx", builder="nope", docker=_fake_docker(tmp_path, builder_missing=True))


def test_a_builder_that_goes_away_mid_build_fails_the_build_and_garbage_is_skipped(tmp_path):
    first = json.dumps({"vertexes": [{"digest": "sha256:a", "name": "[build 1/2] RUN make",
                                      "started": "2026-12-01T15:58:02Z"}]})
    build = f"""cat >&2 <<'JSON'
{first}
{{"vertexes": [{{"digest": "sha256:a", "name": "[build
not json at all, a plain warning
ERROR: failed to build: failed to receive status: rpc error: code = Unavailable desc = closing transport
JSON
exit 1"""
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text("FROM scratch AS build\nRUN make\n")
    backend = open_backend("buildx", builder="fake", docker=_fake_docker(tmp_path, build=build), record=tmp_path / "r.jsonl")
    events = list(backend.start(BuildInputs(context=tmp_path / "ctx")))
    assert isinstance(events[0], VertexUpdate)
    assert sum(isinstance(e, MalformedMessage) for e in events) == 1
    assert any(isinstance(e, StreamText) and "plain warning" in e.text for e in events)
    assert events[-1] == BuildFailed("failed to build: failed to receive status: rpc error: code = Unavailable desc = closing transport",
                                     {"exit_code": 1})
    footer = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[-1])
    assert footer["outcome"] == "failed" and "closing transport" in footer["error"]
    assert stat.S_IMODE(os.stat(tmp_path / "r.jsonl").st_mode) == 0o600


def test_a_docker_context_builder_is_reached_through_the_context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    command = buildx_command(BuildInputs(context=tmp_path), builder="remote", metadata_file=Path("/m"), context="remote")
    assert command[:5] == ["docker", "--context", "remote", "buildx", "build"]
    assert "--builder" not in command
