"""``msb-tui watch [REF]``: follow a build running on a builder, whoever started it, live."""

from __future__ import annotations

import argparse
import sys

from msb_tui.commands import EXIT_CANCELLED, EXIT_FAILED, EXIT_NO_ENGINE, CommandFailed

HELP = "follow a build that is running on a builder now (docker build in another terminal, compose, CI), live"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", nargs="?", metavar="REF",
                        help="the build ('docker buildx history ls' lists them); default: the most recent running "
                             "build, or the next one to start")
    parser.add_argument("--builder", default=None, metavar="NAME", help="the builder (default: BUILDX_BUILDER, else the current one)")
    parser.add_argument("--host", help="engine address for the docker CLI (default: DOCKER_HOST, the docker context)")
    parser.add_argument("--no-wait", action="store_true", help="fail at once when no build is running")
    parser.add_argument("--progress", choices=("plain", "json"), default="plain", help="progress output format")


def open_history_build(args: argparse.Namespace, *, wait: bool, command: str):
    """(source, model) of a build from the builder's history; ``CommandFailed`` saying why not."""
    from msb_tui.backends import open_backend
    from msb_tui.backends.buildx import BuildxUnavailable
    from msb_tui.backends.history import HistoryError
    from msb_tui.builds.model import BuildModel
    from msb_tui.commands.replay import analysis_for_recording

    try:
        backend = open_backend("history", ref=args.ref, builder=args.builder, host=args.host, wait=wait)
    except BuildxUnavailable as error:
        raise CommandFailed(f"msb-tui {command}: {error}", EXIT_NO_ENGINE) from None
    source = backend.start()
    if wait and args.ref is None:
        print("msb-tui watch: waiting for a build to start on the builder (Ctrl+C to stop) ...", file=sys.stderr)
    try:
        found = source.prepare()
    except HistoryError as error:
        raise CommandFailed(f"msb-tui {command}: {error}", EXIT_FAILED) from None
    if not found:
        raise CommandFailed(f"msb-tui {command}: no build is running on the builder", EXIT_FAILED)
    inputs = source.inputs()
    print(f"msb-tui {command}: build {source.ref} ({inputs.get('name') or 'unnamed'}), "
          f"{source.record.status.lower()}", file=sys.stderr)
    return source, BuildModel(analysis_for_recording(inputs))


def run(args: argparse.Namespace) -> int:
    from msb_tui.commands.build import consume, exit_status

    try:
        source, model = open_history_build(args, wait=not args.no_wait, command="watch")
    except KeyboardInterrupt:  # while waiting for a build: nothing to stop
        return EXIT_CANCELLED
    try:
        status = consume(source, model, progress=args.progress)
    except KeyboardInterrupt:
        source.cancel()
        print("\nmsb-tui watch: stopped following (the build goes on on the builder)", file=sys.stderr)
        return EXIT_CANCELLED
    return exit_status(status)
