"""Benchmark: tarring a build context — msb_tui.builds.context against GNU tar and the docker package.

A generated context of 20,000 small files in 100 folders plus a few 20 MB files, with a
.dockerignore excluding a tenth of it. Measured in the same run, best of N: ``make_context_tar``
(what msb-tui uploads), ``tar -c`` (GNU tar, C, no ignore rules: the floor) and
``docker.utils.build.tar`` (the docker package's own context tar, which also applies .dockerignore).
Target: at most 2x GNU tar (writing to a file) and no slower than the docker package.

    .venv/bin/python benchmarks/bench_build_context.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from msb_tui.builds.context import make_context_tar  # noqa: E402

FOLDERS, FILES = 100, 200
BIG_FILES, BIG_SIZE = 3, 20 << 20
TARGET_VS_GNU = 2.0


def make_context(root: Path) -> None:
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (root / ".dockerignore").write_text("d9*\n*.tmp\n")
    for d in range(FOLDERS):
        folder = root / f"d{d}"
        folder.mkdir()
        for f in range(FILES):
            (folder / f"f{f}.{'tmp' if f % 50 == 0 else 'txt'}").write_text(f"{d}-{f}\n" * 5)
    for b in range(BIG_FILES):
        (root / f"big{b}.bin").write_bytes(os.urandom(1 << 20) * (BIG_SIZE >> 20))


def best(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from docker.utils.build import tar as docker_tar

    with tempfile.TemporaryDirectory(prefix="msb-bench-context-") as folder:
        root = Path(folder)
        make_context(root)

        def ours():
            handle, _ = make_context_tar(root)
            handle.close()

        def gnu():
            # Into a temp file like ours (GNU tar skips reading file data when writing to /dev/null).
            with tempfile.TemporaryFile() as out:
                subprocess.run(["tar", "-C", str(root), "-cf", "-", "."], stdout=out, check=True)

        def docker_package():
            excludes = (root / ".dockerignore").read_text().split()
            docker_tar(str(root), exclude=excludes).close()

        t_ours, t_gnu, t_docker = best(ours, args.runs), best(gnu, args.runs), best(docker_package, args.runs)
    files = FOLDERS * FILES + BIG_FILES + 2
    ratio = t_ours / t_gnu
    ok = ratio <= TARGET_VS_GNU and t_ours <= t_docker
    print(f"context: {files:,} files, {BIG_FILES} x {BIG_SIZE >> 20} MB; best of {args.runs}")
    print(f"msb-tui make_context_tar {t_ours:7.3f}s | GNU tar {t_gnu:7.3f}s (ratio {ratio:.2f}x, target <= {TARGET_VS_GNU:.0f}x)"
          f" | docker.utils.build.tar {t_docker:7.3f}s (ratio {t_ours / t_docker:.2f}x, target <= 1x)  {'OK' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
