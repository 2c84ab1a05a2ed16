"""``msb-tui context [PATH] [-f Dockerfile]``: what the build context costs, and what to leave out."""

from __future__ import annotations

import argparse
import json
import sys

from msb_tui.commands import EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed

HELP = "what the build context costs: files and bytes sent, time to send, what .dockerignore should exclude"

EXIT_SEND = 4

DESCRIPTION = """\
Shows what a build of PATH sends to the engine: files, bytes and the time it takes (measured by
sending it), the biggest files and folders, what the ignore file (.dockerignore, or
<Dockerfile>.dockerignore) keeps out, and candidates it should keep out: version-control folders
(.git), dependency folders (node_modules, .venv), build outputs and caches (dist, target,
__pycache__) that no instruction names, and files no COPY, ADD or RUN --mount in the Dockerfile can
reach. The context is then sent again without the candidates, so the time they cost is measured
too."""

EPILOG = """\
how the send is measured: the context goes to the engine the way 'msb-tui build' sends it (POST
/build with the context as a tar), with a probe Dockerfile (FROM scratch) instead of yours, so
none of your steps runs and no image is made. The time runs from the first file read into the
tar until BuildKit reports the context received and unpacked. Each way is sent --rounds times,
interleaved; medians are shown. Each send leaves the context in the engine's build cache, as
every build of a tar context does ('docker builder prune' reclaims it).

exit status: 0 done, 2 bad context or Dockerfile, 3 no engine, 4 the engine did not take the context.

examples:
  msb-tui context demo_dockerfiles/go
  msb-tui context . -f docker/Dockerfile --rounds 5
  msb-tui context --no-send --format json ."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.builds.inputs import build_arg_option

    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("path", nargs="?", default=".", help="the build context folder (default: .)")
    parser.add_argument("-f", "--file", dest="dockerfile", metavar="DOCKERFILE",
                        help="the Dockerfile (default: PATH/Dockerfile); relative to the current folder, as docker build")
    parser.add_argument("--build-arg", action="append", default=[], type=build_arg_option, metavar="NAME=VALUE",
                        help="a build arg COPY sources may name (repeatable; NAME alone: from the environment)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--host", help="engine address (default: DOCKER_HOST, the docker context, the local socket)")
    parser.add_argument("--rounds", type=_positive, default=3,
                        help="sends of each way (as is, without the candidates), interleaved (default 3)")
    parser.add_argument("--no-send", action="store_true", help="do not send anything: sizes and candidates only")
    parser.add_argument("--top", type=_positive, default=10, help="how many files, folders and candidates to list (default 10)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from msb_tui.builds.context import ContextError
    from msb_tui.builds.inputs import parse_build_args
    from msb_tui.cache.context_report import scan_context

    try:
        report = scan_context(args.path, args.dockerfile, build_args=parse_build_args(args.build_arg))
    except (ContextError, OSError) as error:
        raise _failed(str(error), EXIT_USAGE) from None
    if not args.no_send:
        _measure(report, args)
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, indent=2)
        print()
    else:
        from msb_tui.cache.context_render import report_lines

        print("\n".join(report_lines(report, args.top)))
    return 0


def _measure(report, args) -> None:
    from msb_tui.cache.context_report import measure_send
    from msb_tui.cache.context_send import SendError
    from msb_tui.commands.layers import connect_or_fail
    from msb_tui.engine.info import gather

    client = connect_or_fail(args.host)
    try:
        engine = gather(client)
    except Exception as error:  # noqa: BLE001 - the engine stopped answering after the ping
        raise _failed(f"the engine did not answer: {error}", EXIT_NO_ENGINE) from None
    if not engine.buildkit:
        raise _failed(f"the engine at {engine.host} runs no BuildKit builds: the send is measured "
                      "with BuildKit (--no-send: sizes and candidates only)", EXIT_SEND)
    ways = 2 if report.candidates else 1
    progress = _Progress(args.rounds * ways) if sys.stderr.isatty() else None
    try:
        measure_send(report, client, rounds=args.rounds, progress=progress,
                     engine=f"Docker {engine.version} at {engine.host}")
    except SendError as error:
        raise _failed(str(error), EXIT_SEND) from None
    finally:
        if progress is not None:
            progress.done()


class _Progress:
    """One status line on stderr while the context is sent (a big context takes a while)."""

    def __init__(self, sends: int):
        self.sends, self.seen, self.last = sends, set(), 0.0

    def __call__(self, variant: str, round_index: int, phase: str, done: int, total: int) -> None:
        import time

        self.seen.add((variant, round_index))
        if time.monotonic() - self.last < 0.1:
            return  # called for every block sent: ten lines a second are plenty
        self.last = time.monotonic()
        from humanize import naturalsize

        amount = f"{done:,} files" if phase == "tar" else f"{naturalsize(done)} of {naturalsize(total)}"
        sys.stderr.write(f"\rsending the context {len(self.seen)}/{self.sends} ({variant}): {phase} {amount}\x1b[K")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _failed(message: str, code: int) -> CommandFailed:
    return CommandFailed(f"msb-tui context: {message}", code)
