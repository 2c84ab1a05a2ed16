"""``msb-tui history --builder [NAME] [REF]``: the builds a buildx builder remembers, and one of them opened."""

from __future__ import annotations

import argparse
import json
import sys

from msb_tui.durations import format_duration, format_utc


def run_builder_history(args: argparse.Namespace) -> int:
    from msb_tui.backends.buildx import BuildxUnavailable, check_buildx
    from msb_tui.backends.history import HistoryError, list_history
    from msb_tui.sanitize import plain

    builder = args.builder or None
    if args.ref is not None:
        return _open(args)
    try:
        check_buildx()
        entries = list_history(builder, host=args.host)
    except (BuildxUnavailable, HistoryError) as error:
        print(f"msb-tui history: {error}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps([{**vars(e), "id": e.id, "duration": e.duration, "cached_share": e.cached_share}
                          for e in entries], indent=2))
        return 0
    if not entries:
        print(f"builder {builder or '(current)'} remembers no builds")
        return 0
    print(f"{'created (UTC)':<20} {'status':<10} {'duration':>9} {'steps':>6} {'cached':>7}  {'id':<26} name")
    for e in entries:
        share = "-" if e.cached_share is None else f"{e.cached_share:.0%}"
        duration = "-" if e.duration is None else format_duration(e.duration)
        print(f"{format_utc(e.created):<20} {e.status:<10} {duration:>9} {e.total_steps:>6} {share:>7}  {e.id:<26} "
              f"{plain(e.name)[:60]}")
    return 0


def _open(args: argparse.Namespace) -> int:
    from msb_tui.commands.build import consume, exit_status
    from msb_tui.commands.watch import open_history_build

    args.builder = args.builder or None
    source, model = open_history_build(args, wait=False, command="history")
    if source is None:
        return model
    return exit_status(consume(source, model, progress="plain"))
