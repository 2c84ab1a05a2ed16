"""Benchmark: layer analysis of the Go SDK image on the containerd image store vs ``docker save``.

Target (issue 12): on the containerd store (Docker 28.5.2, the ``containerd`` lane of
docs/engines.md), reading ``msb-demo/golang:1.19-bookworm`` (~600 MB, ~25,000 files) the way
``msb-tui layers`` does (export stream, gunzip of the compressed layer blobs, tar index, file
trees, waste, leaks, content and compressed sizes) takes at most 1.5x the time of
``docker save IMAGE > /dev/null`` from the same engine, and its peak RSS stays under 300 MB.
Both are measured in the same run, alternately, and printed side by side.

    .venv/bin/python benchmarks/bench_image_containerd.py [--runs 3] [--host unix:///...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HOST = "unix:///run/msb-tui/containerd/docker.sock"
IMAGE = "msb-demo/golang:1.19-bookworm"
TIME_TARGET = 1.5
RSS_TARGET_MB = 300

ANALYSIS = """
import json, sys, time
started = time.perf_counter()
import docker
from msb_tui.image.report import analyze_image
client = docker.APIClient(base_url=sys.argv[1], timeout=600)
report = analyze_image(client, sys.argv[2])
files = sum(1 for _ in report.file_tree().files())
layers = report.layers
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "files": files,
    "store": layers.store,
    "content": layers.size,
    "compressed": layers.compressed_size,
    "engine_size": layers.engine_size,
    "archive_bytes": report.archive.archive_bytes,
    "layers": len(layers.diff_ids),
}))
"""


def time_docker_save(docker: str, host: str) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run([docker, "save", IMAGE], stdout=sink, check=True, env={**os.environ, "DOCKER_HOST": host})
    return time.perf_counter() - started


def time_analysis(host: str) -> tuple[dict, float]:
    """The analysis in a fresh child: its result and its own peak RSS in MB (``os.wait4``)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", ANALYSIS, host, IMAGE], stdout=subprocess.PIPE, text=True)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the analysis failed")
    result = json.loads(output)
    result["wall"] = time.perf_counter() - started
    result["cpu"] = usage.ru_utime + usage.ru_stime
    return result, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each, alternating (best is reported)")
    parser.add_argument("--host", default=HOST, help=f"the containerd-store engine (default {HOST})")
    args = parser.parse_args()
    docker = shutil.which("docker")
    if docker is None:
        print("needs the docker CLI", file=sys.stderr)
        return 2
    saves, analyses, cpus, peak, result = [], [], [], 0.0, {}
    for _ in range(args.runs):
        saves.append(time_docker_save(docker, args.host))
        result, rss = time_analysis(args.host)
        analyses.append(result["wall"])
        cpus.append(result["cpu"])
        peak = max(peak, rss)
    if result["store"] != "containerd":
        print(f"warning: {args.host} uses the {result['store']} image store, not containerd", file=sys.stderr)
    save, analysis = min(saves), min(analyses)
    ratio = analysis / save
    print(f"image {IMAGE} on {args.host} ({result['store']} store): {result['layers']} layer(s), "
          f"{result['archive_bytes'] / 1e6:.0f} MB export, {result['files']:,} files")
    print(f"  content {result['content'] / 1e6:.1f} MB, compressed {(result['compressed'] or 0) / 1e6:.1f} MB "
          f"(engine's inspect Size {result['engine_size'] / 1e6:.1f} MB)")
    print(f"{'measure':<34}{'docker save':>14}{'msb-tui':>14}{'target':>12}  verdict")
    print(f"{'time (best of %d)' % args.runs:<34}{save:>12.2f} s{analysis:>12.2f} s{'<= 1.5x':>12}  "
          f"{ratio:.2f}x {'PASS' if ratio <= TIME_TARGET else 'FAIL'}")
    print(f"{'peak RSS of the analysis':<34}{'':>14}{peak:>11.0f} MB{'<= 300 MB':>12}  {'PASS' if peak <= RSS_TARGET_MB else 'FAIL'}")
    print(f"  runs: docker save {', '.join(f'{s:.2f}' for s in saves)} s; analysis {', '.join(f'{a:.2f}' for a in analyses)} s"
          f" (its CPU {', '.join(f'{c:.2f}' for c in cpus)} s)")
    return 0 if ratio <= TIME_TARGET and peak <= RSS_TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
