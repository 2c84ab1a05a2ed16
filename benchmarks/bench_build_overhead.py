"""A realistic build through msb-tui vs the engine's own CLI: wall time and client CPU, interleaved.

The builds (issue 11's benchmark): the Go demo with ``--no-cache`` (a 583 MB SDK stage, ``go
build``, a 4.5 MB final image) and the parallel demo with ``--no-cache`` (three stages side by
side). Each round builds with ``msb-tui build --progress plain`` and with the engine's own CLI, in
alternating order, so drift of the machine's load hits both alike. The engine's CLI is
``DOCKER_BUILDKIT=1 /usr/bin/docker build --progress=plain`` for Docker 20.10 (its own CLI, no
buildx) and ``docker buildx build --progress=plain`` for current engines. Target: msb-tui / CLI
wall time at most 1.05 (median of the per-round ratios). Client CPU = user + sys of the client
process tree (the engine's work is the same for both).

Only what this run made is removed at the end: its tag, and the images its builds produced that
did not exist before it started (``--no-cache`` leaves the previous build's image untagged).

    .venv/bin/python benchmarks/bench_build_overhead.py [--lanes compat,current] [--rounds 3]

With ``--builder NAME`` msb-tui builds through buildx (``msb-tui build --builder NAME``, the buildx
backend) and the baseline is ``docker buildx build --builder NAME --progress=plain`` (issue 13's
target, 1.05 too): ``--lanes current --builder default --demos go``.
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
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMOS = REPO / "demo_dockerfiles"
TARGET = 1.05
DEMO_BUILDS = ("go", "parallel")


@dataclass
class Run:
    wall: float
    cpu: float


@dataclass
class Series:
    ours: list[Run] = field(default_factory=list)
    theirs: list[Run] = field(default_factory=list)


def timed(command: list[str], env: dict[str, str]) -> Run:
    """Run ``command`` to its end; its wall time and the CPU its process tree used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"build failed: {' '.join(command)}\n{result.stderr.decode(errors='replace')[-2000:]}")
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def engine_cli(version: str) -> list[str]:
    """The engine's own build command: 20.10's CLI with BuildKit, else docker buildx."""
    if version.startswith("20.10"):
        return ["/usr/bin/docker", "build", "--progress=plain"]
    return ["docker", "buildx", "build", "--progress=plain"]


def bench_lane(lane, rounds: int, msb: list[str], state: str, builder: str | None = None,
               demos: tuple[str, ...] = DEMO_BUILDS) -> dict[str, Series]:
    from msb_tui.engine.connection import connect
    from msb_tui.offline import offline_build_args

    client = connect(lane.host)
    version = client.version()["Version"]
    before = {image["Id"] for image in client.images(all=True)}
    tag = f"msb-test-bench/realistic:{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, DOCKER_HOST=lane.host, DOCKER_BUILDKIT="1", MSB_TUI_STATE=state)
    env.pop("DOCKER_CONTEXT", None)
    cli = engine_cli(version) if builder is None else ["docker", "buildx", "build", "--builder", builder, "--progress=plain"]
    print(f"\n{lane.name}: Docker {version} at {lane.host}; engine CLI: {' '.join(cli)}")
    made: set[str] = set()
    results: dict[str, Series] = {}
    try:
        for demo in demos:
            folder = DEMOS / demo
            args = []
            for key, value in offline_build_args((folder / "Dockerfile").read_text()).items():
                args += ["--build-arg", f"{key}={value}"]
            args += ["--no-cache", "-t", tag]
            ours = [*msb, "build", str(folder), "--progress", "plain", *args,
                    *(["--builder", builder] if builder else [])]
            theirs = [*cli, *args, str(folder)]
            series = results[demo] = Series()
            for round_index in range(rounds):
                pair = [("ours", ours), ("theirs", theirs)]
                if round_index % 2:
                    pair.reverse()
                for who, command in pair:
                    getattr(series, who).append(timed(command, env))
                    made.add(client.inspect_image(tag)["Id"])
            report(demo, series)
    finally:
        for image in [tag, *sorted(made - before)]:
            try:
                client.remove_image(image)
            except Exception:  # noqa: BLE001 - in use by a container, or already gone
                pass
    return results


def report(demo: str, series: Series) -> None:
    ratios = sorted(o.wall / t.wall for o, t in zip(series.ours, series.theirs))
    ours = statistics.median(r.wall for r in series.ours)
    theirs = statistics.median(r.wall for r in series.theirs)
    verdict = "ok" if statistics.median(ratios) <= TARGET else "OVER"
    print(f"  {demo + ' --no-cache':<20} msb-tui {ours:7.2f}s  CLI {theirs:7.2f}s  "
          f"ratio of medians {ours / theirs:.3f}  per-round median {statistics.median(ratios):.3f} "
          f"(best {ratios[0]:.3f}, worst {ratios[-1]:.3f}; target <= {TARGET}: {verdict})  "
          f"client CPU msb-tui {statistics.median(r.cpu for r in series.ours):.2f}s / "
          f"CLI {statistics.median(r.cpu for r in series.theirs):.2f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="builds per tool and demo (default 3)")
    parser.add_argument("--lanes", default="compat,current", help="engine lanes (msb_tui.engine.lanes), comma-separated")
    parser.add_argument("--builder", help="build through buildx on this builder (msb-tui's buildx backend vs docker buildx build)")
    parser.add_argument("--demos", default=",".join(DEMO_BUILDS), help="demos to build, comma-separated (default: go,parallel)")
    args = parser.parse_args()

    from msb_tui.engine.lanes import LANES

    lanes = [lane for name in args.lanes.split(",") for lane in LANES if lane.name == name.strip()]
    msb = [str(REPO / ".venv" / "bin" / "msb-tui")] if (REPO / ".venv" / "bin" / "msb-tui").exists() else [
        sys.executable, "-m", "msb_tui"]
    state = tempfile.mkdtemp(prefix="msb-bench-state-")  # recordings on (the default), out of the user's folder
    print(f"realistic builds, {args.rounds} rounds per demo, tools alternating; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    try:
        for lane in lanes:
            bench_lane(lane, args.rounds, msb, state, args.builder, tuple(d.strip() for d in args.demos.split(",")))
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other work on the machine skews wall times)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
