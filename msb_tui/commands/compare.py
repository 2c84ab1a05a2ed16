"""``msb-tui compare A B``: two images side by side (e.g. the SDK stage and the final image)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time

HELP = "compare two images: sizes, shared layers, files added/removed/changed (largest first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.commands.layers import add_engine_arguments

    parser.add_argument("image_a", metavar="A", help="the first image (e.g. the SDK stage, or yesterday's build)")
    parser.add_argument("image_b", metavar="B", help="the second image (e.g. the final image, or today's build)")
    add_engine_arguments(parser)
    parser.add_argument("--limit", type=int, default=25, help="how many file differences to list (default 25)")


class Progress:
    """Says on stderr what is being read and for how long: a line that ticks on a terminal, a start
    and an end line otherwise (CI logs)."""

    def __init__(self, what: str, size: int | None = None) -> None:
        self.what = what + (f", {size / 1e6:,.0f} MB" if size else "")
        self._stop = threading.Event()
        self._tty = sys.stderr.isatty()

    def __enter__(self) -> "Progress":
        self.started = time.monotonic()
        if self._tty:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        else:
            print(f"msb-tui compare: {self.what}…", file=sys.stderr, flush=True)
        return self

    def _tick(self) -> None:
        while not self._stop.wait(0.25):
            print(f"\r{self.what}… {time.monotonic() - self.started:.1f}s", end="", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        took = time.monotonic() - self.started
        if self._tty:
            self._thread.join()
            print(f"\r{self.what}: {took:.1f}s\x1b[K", file=sys.stderr, flush=True)
        else:
            print(f"msb-tui compare: read in {took:.1f}s", file=sys.stderr, flush=True)


def _size(client, image: str) -> int | None:
    try:
        return int(client.inspect_image(image)["Size"])
    except Exception:  # noqa: BLE001 - analyze() reports a missing or ambiguous image
        return None


def run(args: argparse.Namespace) -> int:
    from msb_tui.commands.layers import analyze, connect_or_fail
    from msb_tui.image.compare import compare_reports

    client = connect_or_fail(args.host)
    reports = []
    for number, image in enumerate((args.image_a, args.image_b), start=1):
        # Reading an image means exporting all of it from the engine (seconds for hundreds of MB).
        with Progress(f"reading {image} ({number} of 2): its layers and files", _size(client, image)):
            reports.append(analyze(client, image, args.platform))
    comparison = compare_reports(*reports)
    if args.json:
        data = comparison.to_dict()
        data["files"] = data["files"][: args.limit] if args.limit >= 0 else data["files"]
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    from msb_tui.image.render import compare_text

    print(compare_text(comparison, limit=args.limit, width=shutil.get_terminal_size((120, 40)).columns))
    return 0
