"""``msb-tui history --builder [NAME] [REF]``: the builds a buildx builder remembers, and one of them opened."""

from __future__ import annotations

import argparse
import json

from msb_tui.commands import EXIT_NO_ENGINE, CommandFailed
from msb_tui.durations import format_duration, format_utc


def run_builder_history(args: argparse.Namespace) -> int:
    from msb_tui.backends.buildx import BuildxUnavailable, check_buildx
    from msb_tui.backends.history import HistoryError, list_history
    from msb_tui.commands.build import consume, exit_status
    from msb_tui.commands.watch import open_history_build
    from msb_tui.sanitize import plain

    if args.ref is not None:
        source, model = open_history_build(args, wait=False, command="history")
        return exit_status(consume(source, model, progress="plain"))
    try:
        check_buildx()
        entries = list_history(args.builder or None, host=args.host)
    except (BuildxUnavailable, HistoryError) as error:
        raise CommandFailed(f"msb-tui history: {error}", EXIT_NO_ENGINE) from None
    if args.json:
        print(json.dumps([{**vars(e), "id": e.id, "duration": e.duration, "cached_share": e.cached_share}
                          for e in entries], indent=2))
        return 0
    if not entries:
        print(f"builder {args.builder or '(current)'} remembers no builds")
        return 0
    print(f"{'created (UTC)':<20} {'status':<10} {'duration':>9} {'steps':>6} {'cached':>7}  {'id':<26} name")
    for e in entries:
        share = "-" if e.cached_share is None else f"{e.cached_share:.0%}"
        duration = "-" if e.duration is None else format_duration(e.duration)
        print(f"{format_utc(e.created):<20} {e.status:<10} {duration:>9} {e.total_steps:>6} {share:>7}  {e.id:<26} "
              f"{plain(e.name)[:60]}")
    return 0

