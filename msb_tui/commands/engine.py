"""``msb-tui engine``: check the Docker engine, or start a local one."""

from __future__ import annotations

import argparse
import sys

HELP = "check the Docker engine ('status') or make sure one runs, starting a local dockerd if needed ('up')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["up", "status"], help="up: start a local engine when none answers")


def run(args: argparse.Namespace) -> int:
    from msb_tui.engine.local import EngineSetupError, ensure_engine

    try:
        status = ensure_engine(start=args.action == "up")
    except EngineSetupError as error:
        print(f"msb-tui engine: {error}", file=sys.stderr)
        return 3
    print(f"Docker engine {status.version} at {status.host}" + (" (started by msb-tui)" if status.started_by_us else ""))
    return 0
