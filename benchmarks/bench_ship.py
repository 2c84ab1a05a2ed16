"""Benchmark: wire sizes + push plan for the ~600 MB Go SDK image against ``docker push`` of the same
image to the same registry, in one run, per engine lane. Target (issue 16): plan <= 10% of the push.

Each lane gets a throwaway registry (Debian's docker-registry, empty storage, port 5099) in its
network namespace and in the host's, so ``docker push`` really uploads every layer. Timed, in order:

1. ``plan``: what ``msb-tui ship IMAGE --to ...`` does: wire sizes (remembered figures, the
   engine's RepoDigests, else the export) and a HEAD per layer. Run with the user's memory as it is
   (``~/.cache/msb-tui/wire-layers.json``) and again with an empty one (``plan, nothing remembered``).
2. ``from scratch``: the export read and every layer gzipped (overlay2) or its blobs listed
   (containerd store), no memory, no registry: what the first look at a never-pushed image costs.
3. ``docker push`` with the docker CLI.
4. the plan again after the push (everything present) and the measured sizes vs the planned ones.

    .venv/bin/python benchmarks/bench_ship.py [--lanes current,containerd,compat] [--image IMAGE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from msb_tui.engine.lanes import parse_lanes  # noqa: E402
from msb_tui.registry.client import Reference  # noqa: E402
from msb_tui.registry.plan import push_plan  # noqa: E402
from msb_tui.registry.server import BINARY, ping  # noqa: E402
from msb_tui.registry.wire import scan_export, wire_sizes  # noqa: E402

PORT = 5099
TARGET = 0.10


def _registry(netns: str | None, folder: Path) -> subprocess.Popen:
    config = folder / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n"
                      f"  filesystem:\n    rootdirectory: {folder / 'store'}\nhttp:\n  addr: 127.0.0.1:{PORT}\n"
                      f"  secret: bench\n")
    command = [BINARY, "serve", str(config)]
    if netns:
        command = ["nsenter", f"--net=/run/netns/{netns}", "--", *command]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _timed(function):
    started = time.monotonic()
    value = function()
    return value, time.monotonic() - started


def bench_lane(lane, image: str) -> dict:
    import docker

    client = docker.APIClient(base_url=lane.host, timeout=900)
    folder = Path(tempfile.mkdtemp(prefix="msb-bench-ship-"))
    processes = [_registry(None, folder)] + ([_registry(lane.netns, folder)] if lane.own_engine else [])
    try:
        deadline = time.monotonic() + 10
        while not ping(f"127.0.0.1:{PORT}") and time.monotonic() < deadline:
            time.sleep(0.1)
        target = Reference.parse(f"127.0.0.1:{PORT}/msb-bench/sdk:{lane.name}")
        plan, plan_seconds = _timed(lambda: push_plan(wire_sizes(client, image), target))
        remembered = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = str(folder / "empty-cache")
        try:
            (_, fresh_seconds) = _timed(lambda: push_plan(wire_sizes(client, image), target))
        finally:
            os.environ.pop("XDG_CACHE_HOME") if remembered is None else os.environ.update(XDG_CACHE_HOME=remembered)
        scratch, scratch_seconds = _timed(lambda: scan_export(client, image, None))
        repository = f"127.0.0.1:{PORT}/msb-bench/sdk"
        client.tag(image, repository, lane.name)
        env = {**os.environ, "DOCKER_HOST": lane.host}
        pushed, push_seconds = _timed(lambda: subprocess.run([shutil.which("docker") or "docker", "push", f"{repository}:{lane.name}"],
                                                             env=env, capture_output=True, text=True))
        if pushed.returncode != 0:
            raise SystemExit(f"docker push failed on {lane.name}: {pushed.stderr[-500:]}")
        from msb_tui.registry.push import measure

        measured = measure(client, image, target)
        after, after_seconds = _timed(lambda: push_plan(wire_sizes(client, image), target))
        client.remove_image(f"{repository}:{lane.name}")
        return {
            "lane": lane.name, "plan": plan_seconds, "plan_fresh": fresh_seconds, "scratch": scratch_seconds,
            "push": push_seconds, "after": after_seconds, "planned_upload": plan.upload_bytes,
            "planned_sources": plan.wire.sources, "measured": measured.wire_size,
            "content": measured.content_size, "scratch_bytes": sum(f["wire_size"] for f in scratch.values()),
            "after_upload": after.upload_bytes,
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", default="current,containerd,compat")
    parser.add_argument("--image", default="msb-demo/golang:1.19-bookworm")
    args = parser.parse_args()
    failed = False
    for lane in parse_lanes(args.lanes):
        r = bench_lane(lane, args.image)
        share = r["plan"] / r["push"]
        failed |= share > TARGET
        print(f"[{r['lane']}] {args.image}: content {r['content'] / 1e6:.1f} MB, wire (registry) {r['measured'] / 1e6:.1f} MB")
        print(f"  docker push                      {r['push']:7.2f} s")
        print(f"  plan (as msb-tui ship runs it)   {r['plan']:7.2f} s  = {share:.1%} of the push (target <= {TARGET:.0%}); "
              f"planned upload {r['planned_upload'] / 1e6:.1f} MB from {', '.join(r['planned_sources'])}")
        print(f"  plan, nothing remembered         {r['plan_fresh']:7.2f} s  = {r['plan_fresh'] / r['push']:.1%} of the push")
        print(f"  wire sizes from scratch (export) {r['scratch']:7.2f} s  = {r['scratch'] / r['push']:.1%} of the push; "
              f"{r['scratch_bytes'] / 1e6:.1f} MB")
        print(f"  plan after the push              {r['after']:7.2f} s; uploads {r['after_upload']} B")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
