"""Benchmark: checksumming a build context (the context manifest) against sending it to the engine.

Issue 18's target: the checksums of a 1 GB / 100,000-file context take at most as long as sending
that context to the engine. One run measures, in rotating order each round:
  - ``make_manifest`` from scratch (every file read and hashed; the page cache is as warm as for
    the send, which reads the same files),
  - ``make_manifest`` given the previous manifest (nothing changed: stat only, no file read),
  - sending the context (``cache.context_send.send_context``: tar + ``POST /build`` upload until
    BuildKit holds it unpacked; what every ``msb-tui build`` of it pays).
Medians are printed with the load average (the machine is shared). The generated context: 100
folders of 1,000 files (1-9 KB) and 10 files of 50 MB, about 1 GB. The send leaves the context in the
engine's build cache (as every tar-context build does): ``prune_sent_contexts`` removes the records
of this run's sends by id at the end.

    .venv/bin/python benchmarks/bench_context_checksum.py [--lane current] [--rounds 3] [--context DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FOLDERS, FILES_PER_FOLDER = 100, 1000
BIG_FILES, BIG_SIZE = 10, 50 << 20


def make_context(root: Path) -> None:
    """About 1 GB in 100,000 files (content is random: nothing on the way compresses)."""
    block = os.urandom(BIG_SIZE)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    for d in range(FOLDERS):
        folder = root / f"pkg{d:03d}"
        folder.mkdir()
        for f in range(FILES_PER_FOLDER):
            size = 1024 + (d * FILES_PER_FOLDER + f) * 7919 % 8192
            start = (d * 131 + f * 17) % (BIG_SIZE - size)
            (folder / f"file{f:04d}.dat").write_bytes(block[start:start + size])
    for b in range(BIG_FILES):
        (root / f"blob{b}.bin").write_bytes(block[b:] + block[:b])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lane", default="current", help="engine lane to send to (default: current)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--context", type=Path, help="use this folder instead of generating one")
    parser.add_argument("--keep-cache", action="store_true", help="leave the sent contexts in the build cache")
    args = parser.parse_args()

    from msb_tui.cache.context_send import now, prune_sent_contexts, send_context
    from msb_tui.cache.manifest import make_manifest
    from msb_tui.engine.connection import connect
    from msb_tui.engine.lanes import LANES

    lane = next(lane for lane in LANES if lane.name == args.lane)
    client = connect(lane.host)
    since = now()
    with tempfile.TemporaryDirectory(prefix="msb-bench-checksum-") as folder:
        root = args.context
        if root is None:
            root = Path(folder) / "context"
            root.mkdir()
            started = time.perf_counter()
            make_context(root)
            print(f"generated the context in {time.perf_counter() - started:.1f}s")
        previous = make_manifest(root)
        time.sleep(2.1)  # files written just before a manifest are read again next time (racy window)
        previous = make_manifest(root)
        files, size = len(previous.files), previous.total_bytes
        load_before = os.getloadavg()
        tools = {
            "checksums": lambda: make_manifest(root),
            "checksums, previous manifest": lambda: make_manifest(root, previous=previous),
            "send to engine": lambda: send_context(client, root),
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        sends = []
        names = list(tools)
        for round_index in range(args.rounds):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                result = tools[name]()
                times[name].append(time.perf_counter() - start)
                if name == "send to engine":
                    sends.append(result)
        load_after = os.getloadavg()
    pruned = 0 if args.keep_cache else prune_sent_contexts(client, since, sends)

    median = {name: statistics.median(values) for name, values in times.items()}
    send = median["send to engine"]
    print(f"context: {files:,} files, {size / 1e9:.2f} GB; engine {lane.name} ({lane.host}); "
          f"median of {args.rounds} rounds, order rotated; cores {os.cpu_count()}")
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for name, value in median.items():
        runs = " ".join(f"{v:.2f}" for v in times[name])
        print(f"  {name:<30} {value:7.2f}s   ({runs})   {value / send:5.2f}x the send")
    best = min(sends, key=lambda s: s.total_seconds)
    print(f"  send split (fastest round): tar {best.tar_seconds:.2f}s, upload {best.upload_seconds:.2f}s, "
          f"engine load {best.engine_load_seconds or 0:.2f}s + unpack {best.engine_unpack_seconds or 0:.2f}s, "
          f"{best.tar_bytes / 1e9:.2f} GB on the wire")
    ok = median["checksums"] <= send
    print(f"target: checksums <= send: {median['checksums']:.2f}s vs {send:.2f}s  {'OK' if ok else 'MISS'}"
          f"{'' if args.keep_cache else f'; pruned {pruned} build-cache records of this run'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
