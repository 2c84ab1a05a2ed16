"""``msb-tui compare A B``: two images side by side (e.g. the SDK stage and the final image)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys

HELP = "compare two images: sizes, shared layers, files added/removed/changed (largest first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.commands.layers import add_engine_arguments

    parser.add_argument("image_a", metavar="A", help="the first image (e.g. the SDK stage, or yesterday's build)")
    parser.add_argument("image_b", metavar="B", help="the second image (e.g. the final image, or today's build)")
    add_engine_arguments(parser)
    parser.add_argument("--limit", type=int, default=25, help="how many file differences to list (default 25)")


def run(args: argparse.Namespace) -> int:
    from msb_tui.commands.layers import EXIT_NO_ENGINE, analyze, connect_or_report
    from msb_tui.image.compare import compare_reports

    client = connect_or_report(args.host)
    if client is None:
        return EXIT_NO_ENGINE
    reports = []
    for image in (args.image_a, args.image_b):
        report = analyze(client, image, args)
        if isinstance(report, int):
            return report
        reports.append(report)
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
