"""Build overhead: `msb-tui build --progress plain` vs `DOCKER_BUILDKIT=1 docker build --progress=plain`.

The same context is built alternately by both (order swapped every round), N rounds, once with the
cache warm and once with ``--no-cache``; medians of wall time and their ratio are printed side by
side (target: msb-tui / docker <= 1.03). A third column times the same build through the API from
an already running Python process (how the TUI builds: no interpreter start-up), so the fixed cost
of starting a Python program is visible separately from the cost of msb-tui's build path.

    .venv/bin/python benchmarks/bench_build_overhead.py [--rounds 5] [--base-image msb-demo/busybox:1.35]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKER_CLI = "/usr/bin/docker"  # dockerd 20.10's own CLI: BuildKit without buildx
TARGET = 1.03

DOCKERFILE = """\
ARG BASE_IMAGE=busybox
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN for i in $(seq 1 200); do echo "compiling unit $i"; done \\
 && seq 1 300000 | md5sum > /checksum && cat /checksum
FROM ${BASE_IMAGE}
COPY --from=build /checksum /checksum
"""


def make_context(folder: Path) -> Path:
    (folder / "Dockerfile").write_text(DOCKERFILE)
    for index in range(20):
        (folder / f"file{index}.txt").write_text(f"source file {index}\n" * 200)
    return folder


CPU = []  # (client CPU seconds) of the last timed() call, user + sys of the child process


def timed(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[:] = [(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)]
    if result.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(command)}\n{result.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def in_process(client, context: Path, build_args: dict[str, str], no_cache: bool, tag: str) -> float:
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.runner import BuildRequest, start_build

    request = BuildRequest(context=context, build_args=build_args, no_cache=no_cache, tags=(tag,))
    started = time.perf_counter()
    model = BuildModel()
    for event in start_build(client, request, record=True):
        model.apply(event)
    elapsed = time.perf_counter() - started
    if model.status != "succeeded":
        raise SystemExit(f"in-process build failed: {model.error}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--base-image", default="msb-demo/busybox:1.35")
    args = parser.parse_args()

    # Measure the package as an install has it: byte-compiled (PYTHONDONTWRITEBYTECODE would
    # otherwise leave an edited checkout compiling from source on every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "msb_tui")], check=True, stdout=subprocess.DEVNULL)

    from msb_tui.engine.connection import connect

    client = connect()
    dangling_before = {image["Id"] for image in client.images(filters={"dangling": True})}
    tag = f"msb-test-bench/overhead:{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    msb = [str(REPO / ".venv" / "bin" / "msb-tui")] if (REPO / ".venv" / "bin" / "msb-tui").exists() else [sys.executable, "-m", "msb_tui"]
    state = tempfile.mkdtemp(prefix="msb-bench-state-")
    msb_env = dict(env, MSB_TUI_STATE=state)  # recordings on (the default) but kept out of the user's folder
    build_args = {"BASE_IMAGE": args.base_image}
    print(f"build overhead: {args.rounds} rounds per mode, alternating; engine {client.version()['Version']}")
    print(f"{'mode':<10} {'msb-tui CLI':>12} {'docker CLI':>12} {'ratio':>7} {'target':>7}  {'msb-tui in-process':>19} {'ratio':>7}"
          f"  {'client CPU msb/docker':>22}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="msb-bench-ctx-") as folder:
        context = make_context(Path(folder))
        common = ["--build-arg", f"BASE_IMAGE={args.base_image}", "-t", tag]
        # warm the cache (and the page cache) once with each tool
        timed([*msb, "build", str(context), "--progress", "plain", *common], msb_env)
        timed([DOCKER_CLI, "build", "--progress=plain", *common, str(context)], env)
        for mode, extra in (("cached", []), ("no-cache", ["--no-cache"])):
            ours, theirs, api, cpu_ours, cpu_theirs = [], [], [], [], []
            for round_index in range(args.rounds):
                runs = [
                    ("msb", lambda: timed([*msb, "build", str(context), "--progress", "plain", *common, *extra], msb_env)),
                    ("cli", lambda: timed([DOCKER_CLI, "build", "--progress=plain", *common, *extra, str(context)], env)),
                    ("api", lambda: in_process(client, context, build_args, bool(extra), tag)),
                ]
                if round_index % 2:
                    runs.reverse()
                for name, run in runs:
                    value = run()
                    {"msb": ours, "cli": theirs, "api": api}[name].append(value)
                    if name in ("msb", "cli"):
                        (cpu_ours if name == "msb" else cpu_theirs).append(CPU[0])
            m_ours, m_theirs, m_api = (statistics.median(v) for v in (ours, theirs, api))
            results[mode] = (m_ours, m_theirs, m_api)
            print(
                f"{mode:<10} {m_ours:>11.3f}s {m_theirs:>11.3f}s {m_ours / m_theirs:>7.3f} {'<=' + str(TARGET):>7}"
                f"  {m_api:>18.3f}s {m_api / m_theirs:>7.3f}"
                f"  {statistics.median(cpu_ours):>9.3f}s / {statistics.median(cpu_theirs):.3f}s"
            )
            # The engine's pace drifts during a run (its build cache grows, other work comes and
            # goes); the ratio of the two runs of each round cancels most of that drift.
            per_round = sorted(o / t for o, t in zip(ours, theirs))
            quartiles = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else per_round * 3
            print(f"{'':<10} per-round msb-tui/docker: median {statistics.median(per_round):.3f}, "
                  f"middle half {quartiles[0]:.3f}-{quartiles[2]:.3f}, best {per_round[0]:.3f}, worst {per_round[-1]:.3f}")
        # The fixed cost of starting each program, for reading the figures above.
        starts = {"python -c pass": [], "docker --version": []}
        for _ in range(args.rounds):
            starts["python -c pass"].append(timed([sys.executable, "-c", "pass"], env))
            starts["docker --version"].append(timed([DOCKER_CLI, "--version"], env))
        print("program start alone: " + ", ".join(f"{name} {statistics.median(v) * 1000:.1f} ms" for name, v in starts.items()))
    # Leave the engine as it was: each --no-cache build left the previous image untagged, and
    # hundreds of those slow the engine down for later runs.
    leftovers = [tag] + [image["Id"] for image in client.images(filters={"dangling": True})
                         if image["Id"] not in dangling_before]
    for image in leftovers:
        try:
            client.remove_image(image)
        except Exception:  # noqa: BLE001 - in use or already gone
            pass
    shutil.rmtree(state, ignore_errors=True)
    print("(medians of wall time; 'in-process' = start_build + BuildModel from a running Python, recording on;")
    print(" client CPU = user+sys of the client process: the engine's own work is the same for both)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work skews wall times)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
