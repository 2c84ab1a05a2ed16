"""Log flood: a step printing 1,000,000 lines, built by msb-tui and by the docker CLI.

BuildKit in the engine clips step logs (dockerd 20.10: "[output clipped, log limit 200KiB/s
reached]" after ~36,000 lines), so a real flood needs an engine with the limits raised. This script
starts a throw-away second dockerd (own data/exec root and network namespace, as the tests do; see
tests/integration/second_engine.py) with BUILDKIT_STEP_LOG_MAX_SIZE/SPEED at 1 GiB, copies the
busybox image into it, and builds a step printing N lines with ``--no-cache`` on it. The lines come
in 10 bursts 0.3 s apart: measured here, a single burst of 1,000,000 lines (``seq 1 1000000``) sends
that engine into a loop of empty trace messages (``{"aux": ""}``, millions per minute) that never
ends, for every client; 10 x 100,000 lines go through in ~5 s.

The figure is client CPU (user + sys of the client's process tree): the step sleeps between bursts,
so any client that keeps up ties on wall time. Measured, tools in rotating order each round:

- msb-tui (``msb-tui build --progress plain``, recording on): client CPU, wall time, peak RSS
  (``ru_maxrss`` of a launcher process whose only child is msb-tui; target <= 250 MB);
- docker CLI (``DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain``): the same figures.
  Its plain printer is slow on floods, so it is capped (``--cli-timeout``);
- the engine's own pace: a bare client that reads the /build stream and throws it away;
- the same with the classic builder (``--classic`` vs ``DOCKER_BUILDKIT=0``), which has no log limit.

Both clients' output is kept and checked: each must show every one of the N numbers the step
printed (a client that dropped lines would look cheap).

    .venv/bin/python benchmarks/bench_log_flood.py [--lines 1000000] [--cli-timeout 180]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))

from second_engine import SecondEngine  # noqa: E402

DOCKER_CLI = "/usr/bin/docker"
BASE_IMAGE = "msb-demo/busybox:1.35"
RSS_TARGET_MB = 250

# Runs a command as its only child, its output (stdout and stderr: the docker CLI prints progress
# on stderr) into a file, and prints the child's wall time, peak RSS (KiB), exit code and CPU time.
LAUNCHER = """
import resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[2], "wb") as out:
    try:
        code = subprocess.run(sys.argv[3:], stdout=out, stderr=subprocess.STDOUT, timeout=float(sys.argv[1])).returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - started, usage.ru_maxrss, code, usage.ru_utime + usage.ru_stime)
"""


def launch(command: list[str], env: dict[str, str], timeout: float, lines: int) -> tuple[float, float, str, float, int]:
    """(wall seconds, peak RSS MB, exit code or 'timeout', CPU seconds, lines shown) of one run;
    lines shown = how many of the numbers 1..``lines`` end a line of the client's output."""
    with tempfile.NamedTemporaryFile(prefix="msb-flood-out-") as output:
        out = subprocess.run([sys.executable, "-c", LAUNCHER, str(timeout), output.name, *command], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        return float(out[0]), int(out[1]) / 1024, out[2], float(out[3]), numbers_shown(Path(output.name), lines)


def numbers_shown(path: Path, lines: int) -> int:
    """How many distinct numbers 1..``lines`` end a line of ``path`` (``#6 1.234 4711`` or ``4711``)."""
    seen = set()
    with path.open("rb") as handle:
        for line in handle:
            last = line.rsplit(None, 1)[-1] if line.strip() else b""
            if last.isdigit() and 0 < int(last) <= lines:
                seen.add(int(last))
    return len(seen)


def median_run(results: list[tuple[float, float, str, float, int]]) -> tuple[float, float, str, float, int]:
    """Median wall time, the largest peak RSS, 'timeout' if any run timed out, median CPU, fewest lines shown."""
    codes = [r[2] for r in results]
    code = "timeout" if "timeout" in codes else next((c for c in codes if c != "0"), "0")
    return (statistics.median(r[0] for r in results), max(r[1] for r in results), code,
            statistics.median(r[3] for r in results), min(r[4] for r in results))


def bare_stream(host: str, context: Path, classic: bool) -> tuple[float, int]:
    """The engine's pace: POST /build and read the stream to the end, decoding nothing."""
    import docker

    client = docker.APIClient(base_url=host, version="auto", timeout=None)
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.add(context / "Dockerfile", "Dockerfile")
    body.seek(0)
    params = {"version": "1" if classic else "2", "nocache": "1", "rm": "1",
              "buildargs": json.dumps({"BASE_IMAGE": BASE_IMAGE})}
    started = time.perf_counter()
    response = client._post(client._url("/build"), params=params, data=body.getvalue(),
                            headers={"Content-Type": "application/x-tar"}, stream=True, timeout=None)
    total = 0
    for chunk in response.raw.stream(1 << 16, decode_content=False):
        total += len(chunk)
    return time.perf_counter() - started, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--cli-timeout", type=float, default=300.0,
                        help="stop waiting for the docker CLI after this many seconds")
    parser.add_argument("--skip-classic", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="runs per tool (medians are printed)")
    args = parser.parse_args()

    import docker

    main_engine = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    os.environ["BUILDKIT_STEP_LOG_MAX_SIZE"] = str(1 << 30)
    os.environ["BUILDKIT_STEP_LOG_MAX_SPEED"] = str(1 << 30)
    engine = SecondEngine().start()
    state = tempfile.mkdtemp(prefix="msb-bench-state-")
    try:
        engine.load_image(main_engine, BASE_IMAGE)
        with tempfile.TemporaryDirectory(prefix="msb-flood-") as folder:
            context = Path(folder)
            burst = args.lines // 10
            run = f"for i in 0 1 2 3 4 5 6 7 8 9; do seq $((i*{burst}+1)) $(((i+1)*{burst})); sleep 0.3; done"
            (context / "Dockerfile").write_text(f"ARG BASE_IMAGE=busybox\nFROM ${{BASE_IMAGE}}\nRUN {run}\n")
            env = dict(os.environ, DOCKER_BUILDKIT="1", MSB_TUI_STATE=state)
            msb = [str(REPO / ".venv" / "bin" / "msb-tui"), "build", str(context), "--progress", "plain",
                   "--no-cache", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", "--host", engine.host]
            cli = [DOCKER_CLI, "-H", engine.host, "build", "--progress=plain", "--no-cache",
                   "--build-arg", f"BASE_IMAGE={BASE_IMAGE}", str(context)]
            print(f"log flood: a RUN printing {burst * 10:,} lines in 10 bursts (--no-cache) on a second dockerd,"
                  f" BuildKit log limits at 1 GiB; medians of {args.rounds} runs, order rotated")
            rows = []
            for label, classic in (("BuildKit", False), ("classic", True)):
                if classic and args.skip_classic:
                    continue
                cli_env = dict(env, DOCKER_BUILDKIT="0" if classic else "1")
                runs: dict[str, list] = {"msb": [], "cli": [], "pace": []}
                for round_index in range(args.rounds):
                    order = ["msb", "cli", "pace"]
                    order = order[round_index % 3:] + order[:round_index % 3]  # rotate: no tool always goes first
                    for name in order:
                        if name == "msb":
                            runs[name].append(launch(msb + (["--classic"] if classic else []), env, 3600, args.lines))
                        elif name == "cli":
                            runs[name].append(launch(cli, cli_env, args.cli_timeout, args.lines))
                        else:
                            runs[name].append(bare_stream(engine.host, context, classic))
                ours = median_run(runs["msb"])
                theirs = median_run(runs["cli"])
                engine_pace = statistics.median(r[0] for r in runs["pace"])
                stream_bytes = runs["pace"][0][1]
                rows.append((label, ours, theirs, engine_pace, stream_bytes))
            print(f"{'builder':<9} {'client CPU msb-tui':>19} {'docker CLI':>11} {'ratio':>6}   {'lines shown msb-tui':>20}"
                  f" {'docker CLI':>11}   {'wall msb-tui':>12} {'docker CLI':>11} {'engine pace':>12}"
                  f"   {'peak RSS msb-tui':>16} {'docker CLI':>11}")
            same_lines = True
            for label, ours, theirs, pace, stream_bytes in rows:
                cli_wall = f">{args.cli_timeout:.0f}s" if theirs[2] == "timeout" else f"{theirs[0]:.2f}s"
                status = "" if ours[2] == "0" else f"  (msb-tui exit {ours[2]})"
                same_lines = same_lines and ours[4] == theirs[4] == args.lines
                print(f"{label:<9} {ours[3]:>18.2f}s {theirs[3]:>10.2f}s {ours[3] / theirs[3]:>6.2f}   {ours[4]:>20,}"
                      f" {theirs[4]:>11,}   {ours[0]:>11.2f}s {cli_wall:>11} {pace:>11.2f}s"
                      f"   {ours[1]:>13.1f} MB {theirs[1]:>8.0f} MB{status}")
                print(f"          (engine stream: {stream_bytes / 1e6:.1f} MB of JSON; peak RSS target <= {RSS_TARGET_MB} MB)")
            print(f"lines shown: every one of the {args.lines:,} numbers on both sides: {'yes' if same_lines else 'NO'}")
            print("client CPU = user + sys of the client process tree (medians); the engine's work is the same for both.")
            print("engine pace = a bare client in this (already running) process reading the /build stream.")
            print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        engine.stop()
        subprocess.run(["rm", "-rf", state])
    return 0 if same_lines else 1


if __name__ == "__main__":
    raise SystemExit(main())
