"""Benchmark: tarring a build context — msb_tui.builds.context against GNU tar and the docker package.

A generated context of 20,000 small files in 100 folders plus a few 20 MB files, with a
.dockerignore excluding about a tenth of it. All three tools tar the same files: ``make_context_tar``
(what msb-tui uploads, applying .dockerignore), GNU tar (C: the floor) given exactly the list of
members msb-tui's tar holds (``--no-recursion -T``), and ``docker.utils.build.tar`` (the docker
package's context tar, applying .dockerignore; its member count is checked against ours). Rounds
interleave the tools in rotating order; medians are printed. Target: at most 2x GNU tar (writing
to a file) and no slower than the docker package.

    .venv/bin/python benchmarks/bench_build_context.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
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


def interleaved(tools: dict, rounds: int) -> dict[str, list[float]]:
    """Each round runs every tool once, the order rotated so no tool always goes first."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            tools[name]()
            times[name].append(time.perf_counter() - start)
    return times


def members(fileobj) -> list[str]:
    fileobj.seek(0)
    with tarfile.open(fileobj=fileobj, mode="r:") as tar:
        return [member.name for member in tar.getmembers()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from docker.utils.build import tar as docker_tar

    with tempfile.TemporaryDirectory(prefix="msb-bench-context-") as folder:
        root = Path(folder) / "context"
        root.mkdir()
        make_context(root)
        excludes = (root / ".dockerignore").read_text().split()
        handle, _ = make_context_tar(root)
        ours_members = members(handle)
        handle.close()
        theirs = docker_tar(str(root), exclude=excludes)
        docker_members = members(theirs)
        theirs.close()
        files = [name for name in ours_members if (root / name).is_file()]
        assert sorted(files) == sorted(n for n in docker_members if (root / n).is_file()), "the tools disagree on the files"
        listing = Path(folder) / "members.txt"
        listing.write_bytes(b"\0".join(os.fsencode(name) for name in ours_members) + b"\0")

        def ours():
            handle, _ = make_context_tar(root)
            handle.close()

        def gnu():
            # Into a temp file like ours (GNU tar skips reading file data when writing to /dev/null).
            with tempfile.TemporaryFile() as out:
                subprocess.run(["tar", "-C", str(root), "--no-recursion", "--null", "-T", str(listing), "-cf", "-"],
                               stdout=out, check=True)

        def docker_package():
            docker_tar(str(root), exclude=excludes).close()

        times = interleaved({"ours": ours, "gnu": gnu, "docker": docker_package}, args.rounds)
    t_ours, t_gnu, t_docker = (statistics.median(times[name]) for name in ("ours", "gnu", "docker"))
    ratio = t_ours / t_gnu
    ok = ratio <= TARGET_VS_GNU and t_ours <= t_docker
    print(f"context: {len(files):,} files after .dockerignore ({len(ours_members):,} members), "
          f"{BIG_FILES} x {BIG_SIZE >> 20} MB; median of {args.rounds} interleaved rounds")
    print(f"msb-tui make_context_tar {t_ours:7.3f}s | GNU tar, same members {t_gnu:7.3f}s (ratio {ratio:.2f}x, "
          f"target <= {TARGET_VS_GNU:.0f}x) | docker.utils.build.tar {t_docker:7.3f}s (ratio {t_ours / t_docker:.2f}x, "
          f"target <= 1x)  {'OK' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
