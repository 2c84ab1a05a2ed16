"""``msb-tui import-log FILE``: read a saved ``--progress=plain`` build log (CI or local) and summarise it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msb_tui.builds.inputs import build_arg_option
from msb_tui.commands import EXIT_FAILED, EXIT_USAGE, CommandFailed

HELP = "summarise a saved 'docker build --progress=plain' log (GitHub Actions, Azure, ACR, local)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the build log ('-' reads standard input)")
    parser.add_argument("-f", "--dockerfile", dest="dockerfile", metavar="DOCKERFILE",
                        help="the Dockerfile that was built: adds the plan (skipped stages, Dockerfile lines)")
    parser.add_argument("--target", help="the target stage that was built (with --dockerfile)")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], type=build_arg_option,
                        metavar="NAME=VALUE", help="a build arg the build used (with --dockerfile; NAME alone: from the environment)")
    parser.add_argument("--progress", choices=("none", "plain", "json"), default="none",
                        help="also print the progress again, normalised (default: only the summary)")


def run(args: argparse.Namespace) -> int:
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.plain_log import PlainLogError, import_log
    from msb_tui.builds.report import summary_text
    from msb_tui.builds.inputs import parse_build_args
    from msb_tui.commands.build import consume, load_analysis

    build_args = parse_build_args(args.build_args)
    source = Path("/dev/stdin") if args.file == "-" else Path(args.file)
    analysis = None
    dockerfile_text = None
    if args.dockerfile:
        dockerfile = Path(args.dockerfile)
        try:
            dockerfile_text = dockerfile.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise CommandFailed(f"msb-tui import-log: cannot read {dockerfile}: "
                                f"{error.strerror or error}", EXIT_USAGE) from None
        analysis = load_analysis(dockerfile, args.target, build_args, None)
    model = BuildModel(analysis)
    try:
        # Streamed: events go into the model as the second pass reads them (bounded memory).
        events = import_log(source, dockerfile_text=dockerfile_text)
        if args.progress == "none":
            for event in events:
                model.apply(event)
            sys.stdout.write(summary_text(model, None))  # (its "recording:" line would name the log)
            sys.stdout.flush()
            status = model.status
        else:
            status = consume(events, model, progress=args.progress, recording=None)
    except PlainLogError as error:
        raise CommandFailed(f"msb-tui import-log: {error}", EXIT_FAILED) from None
    return 0 if status == "succeeded" else EXIT_FAILED
