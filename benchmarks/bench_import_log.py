"""import-log of a big CI log: peak RSS and wall time of ``msb-tui import-log`` (issue 15 item 7).

Generates a BuildKit ``--progress=plain`` log of about ``--mb`` MB the way a flooding build writes it
(GitHub Actions time prefixes, 12 vertices, two of them printing most of the lines and interleaving
with ``#N ...`` markers), then runs ``msb-tui import-log FILE`` (and ``-`` from a pipe) as a child
process and reports its wall time, CPU time (the machine may be shared) and ``ru_maxrss``. Issue 15 measured 3.1 GB and 78 s for 111 MB
before import-log streamed; pass ``--program`` to measure another checkout's msb-tui side by side.

    .venv/bin/python benchmarks/bench_import_log.py [--mb 111] [--program path/to/msb-tui ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_log(path: Path, megabytes: float) -> int:
    """A plain log of about ``megabytes`` MB; returns its line count."""
    target = int(megabytes * 1_000_000)
    lines = 0
    clock = 1_700_000_000.0
    with open(path, "w") as out:
        def emit(text: str) -> None:
            nonlocal lines, clock
            clock += 0.0001
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(clock)) + f".{int(clock % 1 * 1e7):07d}Z"
            out.write(f"{stamp} {text}\n")
            lines += 1

        emit("#0 building with \"default\" instance using docker driver")
        for n in range(1, 9):
            emit(f"#{n} [internal] step {n}")
            emit(f"#{n} DONE 0.{n}s")
        emit("#9 [build 1/3] FROM docker.io/library/golang:1.22")
        emit("#9 CACHED")
        emit("#10 [build 2/3] RUN ./generate-a-lot")
        emit("#11 [test 2/2] RUN ./run-tests -v")
        offset = 0.0
        while out.tell() < target:
            for vertex in (10, 11):
                for i in range(50):
                    offset += 0.001
                    emit(f"#{vertex} {offset:.3f} output line {lines} of vertex {vertex}: "
                         "some typical compiler or test output, lorem ipsum dolor sit amet")
                emit(f"#{vertex} ...")
                emit("")
        emit("#10 DONE 61.2s")
        emit("#11 DONE 60.9s")
        emit("#12 exporting to image")
        emit("#12 writing image sha256:" + "ab" * 32 + " done")
        emit("#12 DONE 0.1s")
    return lines


def measure(command: list[str], stdin_path: Path | None = None) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak RSS MB, exit status, last output line) of one child process, measured
    through a launcher whose only child it is (so ``RUSAGE_CHILDREN`` is that child's alone)."""
    launcher = (
        "import resource, subprocess, sys, time\n"
        "stdin = open(sys.argv[1], 'rb') if sys.argv[1] else subprocess.DEVNULL\n"
        "began = time.monotonic()\n"
        "done = subprocess.run(sys.argv[2:], stdin=stdin, capture_output=True, text=True)\n"
        "wall = time.monotonic() - began\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "rss, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime\n"
        "last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [''])[-1]\n"
        "print(f'{wall:.2f} {cpu:.2f} {rss:.1f} {done.returncode} {last}')\n"
    )
    out = subprocess.run([sys.executable, "-c", launcher, str(stdin_path or ""), *command],
                         capture_output=True, text=True, check=True).stdout.split(" ", 4)
    return float(out[0]), float(out[1]), float(out[2]), int(out[3]), out[4].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=111.0, help="log size in MB (default 111, as in issue 15)")
    parser.add_argument("--program", action="append", default=[],
                        help="an msb-tui executable to measure (default: this checkout's .venv)")
    args = parser.parse_args()
    programs = args.program or [str(Path(sys.executable).with_name("msb-tui"))]
    with tempfile.TemporaryDirectory(prefix="msb-bench-import-") as folder:
        log = Path(folder) / "build.log"
        began = time.monotonic()
        lines = write_log(log, args.mb)
        print(f"log: {log.stat().st_size / 1e6:.1f} MB, {lines:,} lines (written in {time.monotonic() - began:.1f} s)")
        print(f"{'program':<40} {'input':<6} {'wall s':>8} {'CPU s':>7} {'peak RSS MB':>12} {'exit':>5}  last line")
        for program in programs:
            for source, stdin in (("file", None), ("pipe", log)):
                command = [program, "import-log", str(log) if stdin is None else "-"]
                wall, cpu, rss, status, last = measure(command, stdin)
                print(f"{program[-40:]:<40} {source:<6} {wall:>8.2f} {cpu:>7.2f} {rss:>12.1f} {status:>5}  {last[:40]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
