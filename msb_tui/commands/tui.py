"""``msb-tui [PATH]``: open the build explorer on a Dockerfile or a folder (default ``./Dockerfile``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from msb_tui.builds.inputs import BUILD_ARG_HELP, build_arg_option, parse_build_args
from msb_tui.commands import EXIT_USAGE, CommandFailed

HELP = "open the build explorer on a Dockerfile or folder (default ./Dockerfile)"


def _speed(text: str) -> float | None:
    if text in ("max", "fast", "0"):
        return None
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("speed must be > 0 (or 'max')")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="Dockerfile or build context folder (default: .)")
    parser.add_argument("-f", "--file", dest="dockerfile", type=Path, help="Dockerfile (default: PATH/Dockerfile)")
    parser.add_argument("--target", help="stage to build (default: the last stage)")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], type=build_arg_option,
                        metavar="NAME=VALUE", help=BUILD_ARG_HELP)
    parser.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    parser.add_argument("--pull", action="store_true", help="always try to pull newer base images")
    parser.add_argument("--platform", help="target platform, e.g. linux/amd64; several (linux/amd64,linux/arm64) "
                        "show one lane per stage and platform (build them with --builder: the Engine API builds one)")
    parser.add_argument("-t", "--tag", dest="tags", action="append", default=[], metavar="NAME[:TAG]",
                        help="tag the built image (repeatable)")
    parser.add_argument("--host", help="engine address (default: DOCKER_HOST, docker context, local socket)")
    parser.add_argument("--backend", default="engine", metavar="NAME",
                        help="how the app builds: engine (BuildKit through the Engine API, the default) or classic")
    parser.add_argument("--builder", default=os.environ.get("BUILDX_BUILDER"), metavar="NAME",
                        help="build with docker buildx on this builder (default: BUILDX_BUILDER; the palette's "
                             "'Builders…' lists them and the builds each remembers)")
    parser.add_argument("--replay", type=Path, metavar="FILE",
                        help="open a recorded build (.jsonl) or a .dockerbuild bundle (docker buildx history export)")
    parser.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                        help="replay speed: 1 = real time, 5 = five times faster, max = no waiting")
    parser.add_argument("--import-log", type=Path, metavar="FILE",
                        help="open a plain CI build log (docker build --progress=plain)")
    parser.add_argument("--offline-demo-args", action="store_true",
                        help="add the build args that select the seeded offline demo images")
    parser.add_argument("--theme", choices=("dark", "light"), default="dark", help="colour theme (ctrl+t toggles)")
    parser.add_argument("--build", action="store_true", help="start building the target at once")


def options_from_args(args: argparse.Namespace):
    """The app's LaunchOptions: each option of the same name, with PATH, build args and tags parsed."""
    from dataclasses import fields

    from msb_tui.tui.app import LaunchOptions

    given = {f.name: getattr(args, f.name) for f in fields(LaunchOptions) if hasattr(args, f.name)}
    return LaunchOptions(**{**given, "path": Path(args.path), "build_args": parse_build_args(args.build_args),
                            "tags": tuple(args.tags)})


def run(args: argparse.Namespace) -> int:
    options = options_from_args(args)
    if args.replay is None and args.import_log is None:
        _, dockerfile = options.resolve()
        if not dockerfile.is_file():
            raise CommandFailed(f"msb-tui: no Dockerfile at {dockerfile} (give a path or -f FILE)",
                                EXIT_USAGE)
    from msb_tui.tui.app import run_app

    return run_app(options)
