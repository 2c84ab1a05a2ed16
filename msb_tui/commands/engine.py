"""``msb-tui engine``: check the Docker engine(s), or start local ones."""

from __future__ import annotations

import argparse

from msb_tui.commands import EXIT_NO_ENGINE, CommandFailed

HELP = "check the Docker engine ('status') or make sure one runs, starting a local one if needed ('up')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.engine.lanes import LANES

    parser.add_argument("action", choices=["up", "status"], help="up: start a local engine when none answers")
    parser.add_argument(
        "--lanes", metavar="LANES",
        help="the test engines instead of the configured one: 'all' or a comma-separated list of "
             + ", ".join(f"{lane.name} ({lane.summary}, {lane.host})" for lane in LANES),
    )


def run(args: argparse.Namespace) -> int:
    from msb_tui.engine.lanes import parse_lanes
    from msb_tui.engine.local import (EngineSetupError, EngineStatus, ensure_engine, ensure_lanes,
                                      ping)

    try:
        if args.lanes and args.action == "up":
            statuses = ensure_lanes(parse_lanes(args.lanes))
        elif args.lanes:
            statuses = [EngineStatus(host=lane.host, version=ping(lane.host) or "", lane=lane.name)
                        for lane in parse_lanes(args.lanes)]
        else:
            statuses = [ensure_engine(start=args.action == "up")]
    except (EngineSetupError, ValueError) as error:
        raise CommandFailed(f"msb-tui engine: {error}", EXIT_NO_ENGINE) from None
    failed = False
    for status in statuses:
        lane = f"{status.lane}: " if status.lane else ""
        if not status.version:
            print(f"{lane}no engine answers at {status.host}")
            failed = True
            continue
        if args.action == "status":
            _print_info(status.host, lane.rstrip(": ") or None)
        else:
            print(f"{lane}Docker engine {status.version} at {status.host}" + (" (started by msb-tui)" if status.started_by_us else ""))
    return EXIT_NO_ENGINE if failed else 0


def _print_info(host: str, lane: str | None) -> None:
    """Everything msb-tui knows of the engine at ``host`` (msb_tui.engine.info)."""
    import docker

    from msb_tui.engine.info import gather

    info = gather(docker.APIClient(base_url=host, timeout=10), host=host)
    rows = ([("lane", lane)] if lane else []) + info.describe()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label + ':':<{width + 1}} {value}")
    print()
