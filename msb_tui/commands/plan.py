"""``msb-tui plan``: what BuildKit will run for a target, before running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "show the stages, the plan for a target, errors and lint of a Dockerfile (no engine needed)"

EXIT_OK = 0
EXIT_DOCKERFILE_ERROR = 1
EXIT_USAGE = 2


def _build_arg(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if not sep:
        import os

        # Like docker build: "--build-arg KEY" takes the value from the environment.
        if key not in os.environ:
            raise argparse.ArgumentTypeError(f"{key} has no value and is not set in the environment")
        value = os.environ[key]
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a build context folder (uses PATH/Dockerfile) or a Dockerfile")
    parser.add_argument("-f", "--file", help="the Dockerfile, relative to PATH when PATH is a folder")
    parser.add_argument("--target", help="the stage to build (default: the last one); case-insensitive")
    parser.add_argument(
        "--build-arg", dest="build_args", action="append", default=[], type=_build_arg, metavar="KEY=VALUE",
        help="set a build argument (repeatable)",
    )
    parser.add_argument("--platform", help="target platform for TARGETPLATFORM & co (default linux/amd64)")
    parser.add_argument(
        "--format", choices=("text", "json", "dot", "mermaid"), default="text", help="output format (default text)"
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the lint checks")


def dockerfile_path(path: Path, file: str | None) -> Path:
    """Where the Dockerfile is for ``PATH [-f FILE]`` (docker build's rules, minus stdin).

    Like ``docker build``, a relative ``-f`` is taken from the current directory; when nothing is
    there, from the context folder.
    """
    if path.is_dir():
        if file is None:
            return path / "Dockerfile"
        candidate = Path(file)
        return candidate if candidate.is_absolute() or candidate.exists() else path / candidate
    if file is not None:
        return Path(file)
    return path


def run(args: argparse.Namespace) -> int:
    from msb_tui.analysis import analyze
    from msb_tui.analysis.render import RENDERERS, clean

    location = dockerfile_path(Path(args.path), args.file)
    if not location.is_file():
        print(f"msb-tui plan: no Dockerfile at {clean(location)}", file=sys.stderr)
        return EXIT_USAGE
    analysis = analyze(
        location,
        target=args.target,
        build_args=dict(args.build_args),
        platform=args.platform,
        lint=not args.no_lint,
    )
    print(RENDERERS[args.format](analysis))
    if analysis.errors:
        first = analysis.errors[0]
        where = f"line {first.line}" if first.line is not None else "file"
        print(clean(f"{location}: {where}: {first.message}"), file=sys.stderr)
        return EXIT_DOCKERFILE_ERROR
    return EXIT_OK
