"""``msb-tui demo [NAME]``: open the app on one of the bundled demos, offline when possible."""

from __future__ import annotations

import argparse
from pathlib import Path

from msb_tui.commands import EXIT_USAGE, CommandFailed

HELP = "open the app on a bundled demo (go, seed-example, parallel, broken, ...) with the offline images"

DEMOS_DIR = Path(__file__).resolve().parents[2] / "demo_dockerfiles"


def _names() -> list[str]:
    return sorted(p.name for p in DEMOS_DIR.iterdir() if (p / "Dockerfile").is_file()) if DEMOS_DIR.is_dir() else []


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", default="go", help=f"the demo (default: go; one of {', '.join(_names())})")
    parser.add_argument("--online", action="store_true", help="use the official base images instead of the seeded ones")
    parser.add_argument("--headless", action="store_true", help="build in the terminal without the app ('msb-tui build')")
    parser.add_argument("--target", help="build this stage (default: the last stage)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="extra build args")
    parser.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    parser.add_argument("--classic", action="store_true", help="with --headless: use the classic builder")
    parser.add_argument("--tour", action="store_true",
                        help="a guided tour of multi-stage builds: one key (→ or PgDn) per step, ← or PgUp back")
    parser.add_argument("--recordings", action="store_true",
                        help="with --tour: replay the bundled recordings of real builds even when an engine answers")


def _started_engine() -> str | None:
    """The current engine 'msb-tui engine up' started, when the user named no engine (no DOCKER_HOST,
    context or --host) and the default socket does not answer. An engine the user named is used or
    fails, never replaced (as with the docker CLI)."""
    from msb_tui.engine.connection import EngineUnavailable, candidate
    from msb_tui.engine.lanes import PRIMARY
    from msb_tui.engine.local import ping

    try:
        chosen = candidate()
    except EngineUnavailable:
        return None  # a configured source that cannot be used: the command says why
    if chosen.source != "default socket" or ping(chosen.host, timeout=2):
        return None
    return PRIMARY.host if ping(PRIMARY.host, timeout=2) else None


def run(args: argparse.Namespace) -> int:
    from msb_tui.cli import main
    from msb_tui.offline import offline_build_args

    if args.tour:
        from msb_tui.tui.tour import run_tour

        return run_tour(recordings_only=args.recordings, demos_dir=DEMOS_DIR if DEMOS_DIR.is_dir() else None)
    folder = DEMOS_DIR / args.name
    if not (folder / "Dockerfile").is_file():
        raise CommandFailed(f"msb-tui demo: no demo named {args.name!r}; "
                            f"choose one of {', '.join(_names())}", EXIT_USAGE)
    argv = [str(folder)]
    if not args.online:
        for key, value in offline_build_args((folder / "Dockerfile").read_text()).items():
            argv += ["--build-arg", f"{key}={value}"]
    host = _started_engine()
    rest = [f"--host={host}"] if host else []
    rest += [f"--build-arg={value}" for value in args.build_arg]
    rest += [f"--target={args.target}"] if args.target else []
    rest += ["--no-cache"] if args.no_cache else []
    if args.classic and args.headless:
        rest.append("--classic")
    if args.headless:
        return main(["build", *argv, *rest])
    return main([*argv, *rest])
