"""Benchmark: the full analysis (parse + model + plan + lint) against BuildKit's bare parser.

Generates a 500-stage, 5,000-instruction Dockerfile and measures, alternating the two sides:

1. in process: ``dockerfile.parse_string`` alone against ``analyze()`` (which includes that parse),
   ``--repeat`` times each. No target: plan start-up is not a goal (issue 11 retired the 1.25x
   target that the analysis fast paths were tuned to).
2. what a user waits for: the whole ``msb-tui plan FILE --format json`` process (start-up, imports,
   analysis, JSON out) against a bare parse process (``python -c`` importing ``dockerfile`` and
   parsing the same file), ``--processes`` times each. Reported beside it, no target.

Medians are printed side by side with the median ratio of the paired runs.

``--demos`` measures the realistic files instead: every ``demo_dockerfiles/*/Dockerfile``, one row
each, in process and as a process (no target: a plan of 20-30 lines is a few milliseconds).

    .venv/bin/python benchmarks/bench_plan.py [--stages 500] [--per-stage 10] [--repeat 31] [--processes 9]
    .venv/bin/python benchmarks/bench_plan.py --demos [--repeat 31] [--processes 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dockerfile

from msb_tui.analysis import analyze

def generate(stages: int = 500, per_stage: int = 10) -> str:
    """A Dockerfile with ``stages`` stages of ``per_stage`` instructions each (FROM included)."""
    lines = ["# syntax=docker/dockerfile:1", "ARG BASE_IMAGE=busybox:1.35", "ARG SDK_IMAGE=golang:1.22"]
    for index in range(stages):
        if index == 0:
            lines.append("FROM ${SDK_IMAGE} AS s0")
        elif index % 7 == 0:
            lines.append(f"FROM --platform=$BUILDPLATFORM ${{BASE_IMAGE}} AS s{index}")
        elif index % 3 == 0:
            lines.append(f"FROM s{index // 2} AS s{index}")
        else:
            lines.append(f"FROM scratch AS s{index}")
        body = [
            f"ARG VERSION_{index}=1.{index}",
            f"ENV APP_HOME=/srv/app{index} MODE=release",
            "WORKDIR /srv/app",
            f"COPY --from=s{max(index - 1, 0)} /out /in/{index}" if index else "COPY go.mod go.sum ./",
            f"RUN --mount=type=cache,target=/root/.cache --mount=from=s{index // 3},target=/dep "
            f"echo building {index} && \\\n    touch /out-{index}" if index else "RUN go mod download",
            f"COPY --from={index // 2} /out /half/{index}" if index else "COPY . .",
            f'LABEL org.example.stage="{index}"',
            f"EXPOSE {8000 + index % 1000}/tcp",
            'CMD ["/bin/sh", "-c", "true"]',
        ]
        lines.extend(body[: per_stage - 1])
    return "\n".join(lines) + "\n"


def paired_timings(bare, full, repeat: int) -> tuple[list[float], list[float]]:
    """Run the two sides alternately (bare, full, bare, full, ...) so both see the same machine
    load: on a shared machine the load drifts, and back-to-back blocks would compare unlike times."""
    bare_times, full_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        bare()
        bare_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        full()
        full_times.append(time.perf_counter() - started)
    return bare_times, full_times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=500)
    parser.add_argument("--per-stage", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--processes", type=int, default=9, help="runs of each process (default 9)")
    parser.add_argument("--demos", action="store_true", help="time the demo Dockerfiles instead")
    args = parser.parse_args(argv)
    if args.demos:
        return demos(args.repeat, args.processes)

    text = generate(args.stages, args.per_stage)
    instructions = len(dockerfile.parse_string(text))
    check = analyze(text)
    assert not check.errors, check.errors[:3]
    assert check.plan is not None and len(check.stages) == args.stages

    # Warm-up: neither side pays first-call costs (imports, regex compilation, caches).
    dockerfile.parse_string(text)
    analyze(text)
    bare_times, full_times = paired_timings(lambda: dockerfile.parse_string(text), lambda: analyze(text), args.repeat)
    bare = statistics.median(bare_times)
    full = statistics.median(full_times)
    pair_ratios = [f / b for b, f in zip(bare_times, full_times)]
    ratio = statistics.median(pair_ratios)
    print(f"Dockerfile: {args.stages} stages, {instructions} instructions, {len(text):,} bytes")
    print(f"{'baseline: dockerfile.parse_string':<44}{bare * 1000:9.1f} ms  median of {args.repeat} "
          f"(best {min(bare_times) * 1000:.1f})")
    print(f"{'full: analyze() parse+model+plan+lint':<44}{full * 1000:9.1f} ms  median of {args.repeat} "
          f"(best {min(full_times) * 1000:.1f})")
    print(f"ratio full/bare: {ratio:.3f} (median of paired runs; "
          f"best-vs-best {min(full_times) / min(bare_times):.3f})")
    print(f"plan: {len(check.plan.needed)} needed, {len(check.plan.waves)} waves, "
          f"critical path {len(check.plan.critical_path)} stages, {len(check.lint)} lint findings")

    with tempfile.TemporaryDirectory(prefix="msb-bench-plan-") as folder:
        path = Path(folder) / "Dockerfile"
        path.write_text(text)
        bare_p, plan_p = process_timings(path, args.processes)
    process_ratio = statistics.median(p / b for b, p in zip(bare_p, plan_p))
    print(f"{'baseline: python -c parse_file (process)':<44}{statistics.median(bare_p) * 1000:9.1f} ms  "
          f"median of {args.processes}")
    print(f"{'msb-tui plan --format json (process)':<44}{statistics.median(plan_p) * 1000:9.1f} ms  "
          f"median of {args.processes}")
    print(f"ratio plan process/bare parse process: {process_ratio:.3f} (median of paired runs)")
    return 0


def process_timings(path: Path, processes: int) -> tuple[list[float], list[float]]:
    """Wall times of a bare parse process and of ``msb-tui plan PATH --format json``, paired."""
    program = Path(sys.executable).with_name("msb-tui")
    bare_process = [sys.executable, "-c", f"import dockerfile; dockerfile.parse_file({str(path)!r})"]
    plan_process = [str(program), "plan", str(path), "--format", "json"]

    def run(command):
        # Exit 0, 1 (BuildKit would refuse the file) or 4 (an error-level lint finding): each is
        # a finished plan.
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert result.returncode in (0, 1, 4), result.stderr[-500:]

    run(bare_process)
    run(plan_process)
    return paired_timings(lambda: run(bare_process), lambda: run(plan_process), processes)


def demos(repeat: int, processes: int) -> int:
    """One row per demo Dockerfile: analyze() against the bare parse, in process and as processes."""
    root = Path(__file__).resolve().parent.parent / "demo_dockerfiles"
    print(f"{'demo':<15}{'lines':>6}{'parse ms':>10}{'analyze ms':>12}{'ratio':>7}"
          f"{'parse proc ms':>15}{'plan proc ms':>14}{'ratio':>7}")
    for path in sorted(root.glob("*/Dockerfile")):
        dockerfile.parse_file(str(path))
        analyze(path)  # warm-up
        bare, full = paired_timings(lambda: dockerfile.parse_file(str(path)), lambda: analyze(path), repeat)
        bare_p, plan_p = process_timings(path, processes)
        median = statistics.median
        print(f"{path.parent.name:<15}{len(path.read_text().splitlines()):>6}"
              f"{median(bare) * 1000:>10.2f}{median(full) * 1000:>12.2f}"
              f"{median(f / b for b, f in zip(bare, full)):>7.2f}"
              f"{median(bare_p) * 1000:>15.0f}{median(plan_p) * 1000:>14.0f}"
              f"{median(p / b for b, p in zip(bare_p, plan_p)):>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
