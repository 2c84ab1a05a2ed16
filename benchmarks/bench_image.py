"""Benchmark: analysing a ~1 GB, ~100,000-file image against plain ``docker save``.

Targets (issue 6): the full analysis (export stream + layers + file trees + waste + leaks) takes
at most 1.5x the time of ``docker save IMAGE > /dev/null``, and its peak RSS stays under 300 MB.
Both are measured in the same run and printed side by side. The image ``msb-bench/image-1g`` is
built once (from a generated build context on the offline busybox image) and reused.

    .venv/bin/python benchmarks/bench_image.py [--rebuild] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGE = "msb-bench/image-1g"
BASE = "msb-demo/busybox:1.35"
DOCKER = "/usr/bin/docker"  # the 20.10 CLI with BuildKit (see engine notes)
DIRS = 100
FILES_PER_DIR = 1000
FILE_SIZE = 10_000  # 100 x 1000 x 10 kB = 1.0 GB
TIME_TARGET = 1.5
RSS_TARGET_MB = 300

DOCKERFILE = f"""\
FROM {BASE}
COPY data /data
# waste on purpose: delete one directory (10 MB) and overwrite 1,000 files (10 MB)
RUN rm -rf /data/d000 && for f in /data/d001/*; do echo new > "$f"; done
"""


def image_exists() -> bool:
    return subprocess.run([DOCKER, "image", "inspect", IMAGE], capture_output=True).returncode == 0


def build_image() -> None:
    with tempfile.TemporaryDirectory(prefix="msb-bench-") as folder:
        context = Path(folder)
        (context / "Dockerfile").write_text(DOCKERFILE)
        started = time.perf_counter()
        block = bytes(range(256)) * (FILE_SIZE // 256 + 1)
        for d in range(DIRS):
            directory = context / "data" / f"d{d:03d}"
            directory.mkdir(parents=True)
            for f in range(FILES_PER_DIR):
                # vary the content a little so files differ
                (directory / f"f{f:04d}").write_bytes(block[f % 256 : f % 256 + FILE_SIZE])
        print(f"generated the build context in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [DOCKER, "build", "-q", "-t", IMAGE, str(context)],
            check=True,
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
        )
        print(f"built {IMAGE} in {time.perf_counter() - started:.1f} s", flush=True)


def time_docker_save() -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run([DOCKER, "save", IMAGE], stdout=sink, check=True)
    return time.perf_counter() - started


ANALYSIS = """
import json, sys, time, resource
started = time.perf_counter()
import docker
from msb_tui.image.report import analyze_image
client = docker.APIClient(base_url="unix:///var/run/docker.sock", timeout=600)
report = analyze_image(client, sys.argv[1])
tree = report.file_tree()
files = sum(1 for _ in tree.files())
elapsed = time.perf_counter() - started
print(json.dumps({
    "seconds": elapsed,
    "files": files,
    "entries": sum(len(layer.entries) for layer in report.archive.layers),
    "total_bytes": report.waste.total_bytes,
    "wasted_bytes": report.waste.wasted_bytes,
    "efficiency": report.waste.efficiency,
    "archive_bytes": report.archive.archive_bytes,
    "leaks": len(report.leaks),
}))
"""


def time_analysis() -> tuple[dict, float]:
    """Run the analysis in a fresh child; returns its result and that child's own peak RSS in MB
    (``os.wait4`` gives the rusage of exactly this child, like ``RUSAGE_CHILDREN`` would for a
    process that had no other children)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", ANALYSIS, IMAGE], stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"the analysis failed (exit {child.returncode})")
    result = json.loads(output)
    result["wall"] = wall
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result, usage.ru_maxrss / 1024  # Linux reports kB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark image")
    parser.add_argument("--runs", type=int, default=2, help="timed runs of each (best is reported)")
    args = parser.parse_args()
    if not shutil.which(DOCKER):
        print(f"needs {DOCKER}", file=sys.stderr)
        return 2
    if args.rebuild or not image_exists():
        build_image()
    saves, analyses, cpus, peak = [], [], [], 0.0
    result: dict = {}
    for _ in range(args.runs):
        saves.append(time_docker_save())
        result, rss = time_analysis()
        analyses.append(result["wall"])
        cpus.append(result["cpu"])
        peak = max(peak, rss)
    save, analysis = min(saves), min(analyses)
    ratio = analysis / save
    print(f"image {IMAGE}: {result['archive_bytes'] / 1e9:.2f} GB export, {result['entries']:,} tar entries, "
          f"{result['files']:,} files in the final tree")
    print(f"  waste {result['wasted_bytes']:,} B of {result['total_bytes']:,} B, efficiency {result['efficiency']:.4f}, leaks {result['leaks']}")
    print(f"{'measure':<34}{'baseline':>14}{'msb-tui':>14}{'target':>12}  verdict")
    print(f"{'time (best of %d)' % args.runs:<34}{save:>12.2f} s{analysis:>12.2f} s{'<= 1.5x':>12}  "
          f"{ratio:.2f}x {'PASS' if ratio <= TIME_TARGET else 'FAIL'}")
    print(f"{'peak RSS of the analysis':<34}{'':>14}{peak:>11.0f} MB{'<= 300 MB':>12}  {'PASS' if peak <= RSS_TARGET_MB else 'FAIL'}")
    print(f"  runs: docker save {', '.join(f'{s:.2f}' for s in saves)} s; analysis {', '.join(f'{a:.2f}' for a in analyses)} s"
          f" (its CPU {', '.join(f'{c:.2f}' for c in cpus)} s: the rest is waiting for the engine's export)")
    return 0 if ratio <= TIME_TARGET and peak <= RSS_TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
