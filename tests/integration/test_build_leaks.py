"""Nothing leaks through a build (issue 15 items 3 and 4), checked on the real engine with the program
a user runs: a Dockerfile given with -f from outside the context does not land in the image, a
Dockerfile linking out of the context is refused unread, secret build-arg values are masked."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from msb_tui.offline import BUSYBOX_IMAGE

pytestmark = pytest.mark.engine

PROGRAM = Path(sys.executable).with_name("msb-tui")


def _run(args: list[str], tmp_path: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, MSB_TUI_STATE=str(tmp_path / "state"))
    return subprocess.run([str(PROGRAM), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def _recordings(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state" / "recordings").glob("*.jsonl"))


# With BuildKit, msb-tui build sends such a Dockerfile through docker buildx (a session keeps it apart
# from the context): measured on dockerd 20.10.24 and 28.5.2, BuildKit applies no .dockerignore to a
# context uploaded as a tar body through the Engine API, so the file would be copied there.
@pytest.mark.parametrize("classic", [False, True], ids=["buildkit", "classic"])
def test_a_dockerfile_from_outside_the_context_is_not_copied_into_the_image(docker_api, offline_images, tmp_path, classic):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "app.txt").write_text("app\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Dockerfile").write_text(
        "# a comment that must not ship\n"
        f"FROM {BUSYBOX_IMAGE}\nCOPY . /app\nRUN ls -A /app > /listing\n"
    )
    tag = f"msb-faults-outside-{uuid.uuid4().hex[:10]}:latest"
    extra = ["--classic"] if classic else []
    result = _run(["build", str(context), "-f", "../elsewhere/Dockerfile", "-t", tag, "--no-record", *extra],
                  tmp_path, cwd=context)
    try:
        assert result.returncode == 0, result
        container = docker_api.create_container(tag, command=["cat", "/listing"])
        try:
            docker_api.start(container)
            docker_api.wait(container, timeout=60)
            listing = docker_api.logs(container).decode().split()
        finally:
            docker_api.remove_container(container, force=True)
        assert listing == ["app.txt"]  # neither .msb-tui-dockerfile-* nor .dockerignore
    finally:
        try:
            docker_api.remove_image(tag, force=True)
        except Exception:  # noqa: BLE001 - a failed build made no image
            pass


def test_a_dockerfile_linking_out_of_the_context_is_refused_and_not_recorded(offline_images, tmp_path):
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$faults-test-hash:19000:0:99999:7:::\n")
    context = tmp_path / "ctx"
    context.mkdir()
    os.symlink(secret, context / "Dockerfile")
    result = _run(["build", str(context)], tmp_path)
    assert result.returncode == 2, result
    assert "symlink to a file outside the build context" in result.stderr
    assert "faults-test-hash" not in result.stdout + result.stderr
    for path in _recordings(tmp_path):
        assert b"faults-test-hash" not in path.read_bytes()


def test_secret_build_arg_values_are_masked_in_the_recording_and_the_output(offline_images, tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {BUSYBOX_IMAGE}\nARG GITHUB_TOKEN\nARG DEPLOY_NOTE\n"
        f"RUN echo run-{uuid.uuid4().hex} token=$GITHUB_TOKEN note=$DEPLOY_NOTE\n"
    )
    token, note = "ghp_" + uuid.uuid4().hex, "note-" + uuid.uuid4().hex
    os.environ["FAULTS_DEPLOY_NOTE"] = note
    try:
        result = _run(["build", str(context), "--build-arg", f"GITHUB_TOKEN={token}",
                       "--secret-build-arg", f"DEPLOY_NOTE={note}", "--no-cache"], tmp_path)
    finally:
        del os.environ["FAULTS_DEPLOY_NOTE"]
    assert result.returncode == 0, result
    assert "token=" in result.stdout and "note=" in result.stdout  # the step ran and printed
    assert token not in result.stdout and note not in result.stdout
    [recording] = _recordings(tmp_path)
    data = recording.read_bytes()
    assert token.encode() not in data and note.encode() not in data
    assert recording.stat().st_mode & 0o777 == 0o600
    replayed = _run(["replay", str(recording)], tmp_path)
    assert "token=" + "*" * len(token) in replayed.stdout
    assert "note=" + "*" * len(note) in replayed.stdout
