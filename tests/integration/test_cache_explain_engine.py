"""Why each step ran, checked on the real engine (issue 18 "Tests"): the Go demo is built with
``msb-tui build`` as a user runs it, changed one way at a time and rebuilt; each time the
explanation names what changed and the prediction made before the build agrees with BuildKit on
every step.

The demo is copied to a temporary folder (a Dockerfile path of its own: no earlier recorded build
of it exists) with two changes to its Dockerfile: ``ARG VERSION`` used by ``go build`` (a build arg
used in a RUN), and a cache mount for Go's compiler cache so that six builds of the SDK stage take
seconds, not minutes. Every change carries a fresh token, so no earlier build on the shared engine
can have its steps cached already.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine
PROGRAM = Path(sys.executable).with_name("msb-tui")
TAG = "msb-test-cache/go"
GO_BUILD = 'RUN go build -trimpath -ldflags="-s -w" -o /out/server ./cmd/server'
GO_BUILD_WITH_ARG = ('ARG VERSION=dev\nRUN --mount=type=cache,target=/root/.cache/go-build '
                     'go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/server ./cmd/server')


class Builds:
    """Runs ``msb-tui build`` on one context with a state folder of its own."""

    def __init__(self, context: Path, state: Path, args: dict[str, str]):
        self.context, self.args, self.count = context, dict(args), 0
        self.env = {**os.environ, "MSB_TUI_STATE": str(state)}

    def build(self, *extra: str, progress: str = "json") -> tuple[dict, str]:
        self.count += 1
        command = [str(PROGRAM), "build", str(self.context), "--progress", progress, "-t", f"{TAG}:{self.count}"]
        for name, value in self.args.items():
            command += ["--build-arg", f"{name}={value}"]
        result = subprocess.run([*command, *extra], capture_output=True, text=True, env=self.env, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        if progress == "plain":
            shown = subprocess.run([str(PROGRAM), "explain", "latest", "--json"], capture_output=True, text=True,
                                   env=self.env, check=True)
            return json.loads(shown.stdout), result.stdout
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        summary = next(line for line in reversed(lines) if line.get("type") == "summary")
        prediction = next(line for line in lines if line.get("type") == "cache_prediction")
        assert summary["cache"]["previous"] == prediction["previous"]
        return summary["cache"], result.stdout


def _steps(explanation: dict) -> dict[str, dict]:
    return {step["id"]: step for step in explanation["steps"]}


def _agrees(explanation: dict) -> None:
    assert explanation["previous"], "compared with the previous build"
    assert explanation["disagreements"] == [], explanation["disagreements"]
    for step in explanation["steps"]:
        if step["instruction"].startswith("FROM"):
            continue
        assert step["ran"] is not None, step
        assert (step["predicted"], step["ran"]) in (("cached", False), ("run", True), ("content", True),
                                                    ("content", False)), step


def test_why_each_step_ran_on_the_go_demo(engine_lane, docker_api, offline_images, demos, tmp_path):
    if engine_lane.name != "current":
        pytest.skip("issue 18's real-engine tests run on the current engine")
    context = tmp_path / "go"
    shutil.copytree(demos / "go", context)
    dockerfile = context / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(GO_BUILD, GO_BUILD_WITH_ARG))
    builds = Builds(context, tmp_path / "state", {"SDK_IMAGE": offline_images["SDK_IMAGE"]})
    token = uuid.uuid4().hex[:12]
    try:
        first, _ = builds.build()
        assert first["previous"] is None  # nothing recorded for this Dockerfile yet

        # One source file changed: that file, the COPY . . step and the cascade after it; go mod download stays cached.
        main_go = context / "cmd" / "server" / "main.go"
        main_go.write_text(main_go.read_text().replace('"hello, %s\\n"', f'"hello, %s ({token})\\n"'))
        explanation, output = builds.build(progress="plain")
        steps = _steps(explanation)
        assert steps["build:5"]["cause"] == "files_changed"
        assert [c["path"] for c in steps["build:5"]["detail"]["changes"]] == ["cmd/server/main.go"]
        assert "cmd/server/main.go modified" in output and "[build 5/6] COPY . ." in output
        assert steps["build:6"]["cause"] == "parent_ran" and steps["build:6"]["cascade_from"] == "build:5"
        assert steps["final:1"]["ran"] and steps["final:1"]["cascade_from"] == "build:5"
        assert steps["build:4"]["instruction"] == "RUN go mod download" and steps["build:4"]["ran"] is False
        assert steps["build:3"]["ran"] is False and steps["build:2"]["ran"] is False
        assert "Prediction vs BuildKit: agreed on every step" in output
        _agrees(explanation)
        # Explained again from the recording (replayed) and the records: the same causes.
        again = json.loads(subprocess.run([str(PROGRAM), "explain", "latest", "--recompute", "--json"],
                                          capture_output=True, text=True, env=builds.env, check=True).stdout)
        assert [(s["id"], s["ran"], s["cause"], s["cascade_from"]) for s in again["steps"]] == [
            (s["id"], s["ran"], s["cause"], s["cascade_from"]) for s in explanation["steps"]]

        # go.mod changed: names it and the dependency step.
        with open(context / "go.mod", "a") as handle:
            handle.write(f"// {token}\n")
        explanation, _ = builds.build()
        steps = _steps(explanation)
        assert steps["build:3"]["cause"] == "files_changed"
        assert [c["path"] for c in steps["build:3"]["detail"]["changes"]] == ["go.mod"]
        assert steps["build:4"]["ran"] and steps["build:4"]["cascade_from"] == "build:3"
        _agrees(explanation)

        # A build arg used in a RUN changed: names the arg.
        builds.args["VERSION"] = token
        explanation, _ = builds.build()
        steps = _steps(explanation)
        assert steps["build:5"]["ran"] is False
        assert steps["build:6"]["cause"] == "arg_changed"
        assert (steps["build:6"]["detail"]["name"], steps["build:6"]["detail"]["old"],
                steps["build:6"]["detail"]["new"]) == ("VERSION", "dev", token)
        _agrees(explanation)

        # One Dockerfile line edited: names the line (old and new).
        text = dockerfile.read_text()
        dockerfile.write_text(text.replace("./cmd/server", f"./cmd/server && echo {token}"))
        explanation, _ = builds.build()
        steps = _steps(explanation)
        assert steps["build:6"]["cause"] == "line_changed"
        assert f"echo {token}" in steps["build:6"]["detail"]["new"] and token not in steps["build:6"]["detail"]["old"]
        assert steps["build:6"]["detail"]["old_line"] == steps["build:6"]["line"] == 13
        _agrees(explanation)

        # --no-cache: says so for every step.
        explanation, _ = builds.build("--no-cache")
        steps = _steps(explanation)
        # RUN, COPY and ADD run; BuildKit does not make WORKDIR ignore the cache: it still comes from it.
        assert steps["build:2"]["instruction"] == "WORKDIR /src" and steps["build:2"]["ran"] is False
        for id_ in ("build:3", "build:4", "build:5", "build:6", "final:1"):
            assert steps[id_]["ran"] and steps[id_]["cause"] == "no_cache", steps[id_]
        _agrees(explanation)
    finally:
        for number in range(1, builds.count + 1):
            try:
                docker_api.remove_image(f"{TAG}:{number}", noprune=False)
            except Exception:  # noqa: BLE001 - an image a failed build did not make
                pass
