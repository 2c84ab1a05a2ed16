"""What the cache explanation costs: a Go demo rebuild after a one-file change, with and without it.

Issue 18's target: the explanation (checksums of the context, the search for the previous build,
the base images' ids, the prediction before the build, the explanation and its record after it)
adds at most 5% to the wall time of ``msb-tui build`` of the Go demo after one source file changed.

Each round changes ``cmd/server/main.go`` (a fresh string, so ``COPY . .``, ``go build`` and the
final copy run again: a real rebuild) and builds with ``msb-tui build`` (explanation on, the
default) and with ``msb-tui build --no-explain``, in alternating order, so drift of the machine's
load hits both alike. Both record the build (the default). The demo is a copy in a temporary folder
with its own state folder; every image this run tagged is removed at the end.

Wall times of whole builds carry the noise of ``go build`` on a shared machine (seconds), far
above what is measured, so two steadier figures come with them: the CPU time of the msb-tui
process (the engine's work is the same for both), and the explanation's own work timed in this
process on the same context and recordings (``CacheCheck.prepare`` + ``finish``), set against the
rebuild's wall time.

    .venv/bin/python benchmarks/bench_explain.py [--rounds 3] [--lane current]
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
TARGET = 1.05


def change_one_file(context: Path) -> None:
    main_go = context / "cmd" / "server" / "main.go"
    text = main_go.read_text()
    marker = "hello, %s"
    start = text.index(marker)
    end = text.index("\\n", start)
    main_go.write_text(text[:start] + f"{marker} ({uuid.uuid4().hex[:8]})" + text[end:])


def build(msb: list[str], context: Path, args: list[str], env: dict[str, str], *extra: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the msb-tui process) of one build."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([*msb, "build", str(context), "--progress", "plain", *args, *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout.decode(errors='replace')[-2000:]}"
                         f"{result.stderr.decode(errors='replace')[-2000:]}")
    if not extra and b"Why steps ran" not in result.stdout:
        raise SystemExit("the build with the explanation printed none:\n" + result.stdout.decode(errors="replace")[-2000:])
    return wall, cpu


def own_work(context: Path, host: str, build_args: dict[str, str], state: str, rounds: int = 5) -> list[float]:
    """Seconds of ``CacheCheck.prepare`` + ``finish`` on this context against its recorded builds."""
    os.environ["MSB_TUI_STATE"] = state
    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs
    from msb_tui.builds.model import BuildModel
    from msb_tui.cache.check import CacheCheck

    backend = open_backend("engine", host=host, record=False)
    backend.engine()  # asked once per build in msb-tui build too, with or without the explanation
    inputs = BuildInputs(context, build_args=build_args)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        check = CacheCheck.prepare(inputs, backend)
        check.finish(BuildModel())
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rebuilds per variant (default 3)")
    parser.add_argument("--lane", default="current", help="engine lane (msb_tui.engine.lanes; default current)")
    args = parser.parse_args()

    from msb_tui.engine.connection import connect
    from msb_tui.engine.lanes import LANES
    from msb_tui.offline import offline_build_args

    lane = next(lane for lane in LANES if lane.name == args.lane)
    msb = [str(REPO / ".venv" / "bin" / "msb-tui")] if (REPO / ".venv" / "bin" / "msb-tui").exists() else [
        sys.executable, "-m", "msb_tui"]
    workdir = Path(tempfile.mkdtemp(prefix="msb-bench-explain-"))
    context, state = workdir / "go", str(workdir / "state")
    shutil.copytree(REPO / "demo_dockerfiles" / "go", context)
    build_args = offline_build_args((context / "Dockerfile").read_text())
    tag = f"msb-test-cache/bench:{uuid.uuid4().hex[:8]}"
    cli_args = [arg for key, value in build_args.items() for arg in ("--build-arg", f"{key}={value}")] + ["-t", tag]
    env = dict(os.environ, DOCKER_HOST=lane.host, MSB_TUI_STATE=state)
    env.pop("DOCKER_CONTEXT", None)
    client = connect(lane.host)
    print(f"Go demo rebuild after a one-file change, {args.rounds} rounds, with/without the explanation "
          f"alternating; {lane.name} lane (Docker {client.version()['Version']}); load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    made: set[str] = set()
    with_explain: list[float] = []
    without: list[float] = []
    cpu: dict[str, list[float]] = {"with": [], "without": []}
    try:
        build(msb, context, cli_args, env)  # the first build: the one the rebuilds are compared with
        for index in range(args.rounds):
            order = [("with", ()), ("without", ("--no-explain",))]
            if index % 2:
                order.reverse()
            for name, extra in order:
                change_one_file(context)
                wall, used = build(msb, context, cli_args, env, *extra)
                (with_explain if name == "with" else without).append(wall)
                cpu[name].append(used)
                made.add(client.inspect_image(tag)["Id"])
                print(f"  round {index + 1} {name:<8} {wall:7.2f}s wall, msb-tui CPU {used:5.2f}s  "
                      f"(load {os.getloadavg()[0]:.2f})")
        work = own_work(context, lane.host, build_args, state)
    finally:
        for image in [tag, *sorted(made)]:
            try:
                client.remove_image(image)
            except Exception:  # noqa: BLE001 - already gone, or still the tag's image
                pass
        shutil.rmtree(workdir, ignore_errors=True)
    ratios = sorted(w / o for w, o in zip(with_explain, without))
    a, b = statistics.median(with_explain), statistics.median(without)
    verdict = "ok" if statistics.median(ratios) <= TARGET else "OVER"
    cost = statistics.median(work)
    print(f"rebuild wall time: with {a:.2f}s, without {b:.2f}s (medians); ratio of medians {a / b:.3f}, "
          f"per-round median {statistics.median(ratios):.3f} (best {ratios[0]:.3f}, worst {ratios[-1]:.3f}); "
          f"target <= {TARGET}: {verdict}")
    print(f"msb-tui's own CPU per build (medians): with {statistics.median(cpu['with']):.2f}s, without "
          f"{statistics.median(cpu['without']):.2f}s")
    print(f"the explanation's own work (prepare + finish, in process, median of {len(work)}): {cost * 1000:.1f} ms "
          f"= {100 * cost / b:.2f}% of the rebuild without it")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
