"""``msb-tui ci IMAGE``: fail a pipeline when an image breaks a size, waste or leak limit."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

from msb_tui.commands import EXIT_FAILED, EXIT_USAGE, CommandFailed

HELP = "check an image against limits (size, efficiency, wasted bytes, leaks); exit 1 when one is broken"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # "PASS", "FAIL" or "SKIP"
    detail: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.commands.layers import add_engine_arguments

    parser.add_argument("image", help="image name, tag or id")
    add_engine_arguments(parser)
    parser.add_argument("--max-size", help="largest allowed image size, e.g. 10MB, 512KiB")
    parser.add_argument("--min-efficiency", help="lowest allowed efficiency, e.g. 0.9 or 90%%")
    parser.add_argument("--max-wasted", help="most wasted bytes allowed, e.g. 5MB")
    parser.add_argument("--fail-on-leaks", action="store_true",
                        help="fail when the leak check finds anything (toolchains, caches, sources, secrets)")
    # The old name read as "skip the leak check"; it still works for pipelines that use it.
    parser.add_argument("--no-leaks", dest="fail_on_leaks", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-push-size", help="most compressed (wire) bytes a push of the image may send, e.g. 50MB "
                        "(measured in a registry or the containerd store, else computed as docker's gzip)")


def evaluate(report, max_size: int | None, min_efficiency: float | None, max_wasted: int | None,
             fail_on_leaks: bool) -> list[Check]:
    """One check per limit; limits not given are SKIPped (reported, never failing)."""
    from msb_tui.image.render import percent, size

    layers, waste = report.layers, report.waste
    # The limit is on content size (the same on both image stores); the compressed size, where
    # the store keeps one, is said beside it.
    what = "content size" if layers.size_kind == "content" else "size on disk"
    packed = f" (compressed {size(layers.compressed_size)})" if layers.compressed_size is not None else ""
    checks = [_limit("max-size", what, layers.size, max_size, size, packed),
              _limit("min-efficiency", "efficiency", waste.efficiency, min_efficiency, percent,
                     at_most=False),
              _limit("max-wasted", "wasted", waste.wasted_bytes, max_wasted, size)]
    found = len(report.leaks)
    if not fail_on_leaks:
        checks.append(Check("leaks", "SKIP", f"{found} leak finding(s) (not enforced; use --fail-on-leaks)"))
    else:
        checks.append(Check("leaks", "PASS" if found == 0 else "FAIL", f"{found} leak finding(s)"))
    return checks


def _limit(name: str, what: str, value, limit, shown, note: str = "", *,
           at_most: bool = True) -> Check:
    """``value`` against ``limit`` (at most, or at least); SKIP, saying the value, without one."""
    if limit is None:
        return Check(name, "SKIP", f"{what} {shown(value)}{note} (no limit given)")
    ok = value <= limit if at_most else value >= limit
    sign = ("<=" if ok else ">") if at_most else (">=" if ok else "<")
    detail = f"{what} {shown(value)} {sign} {shown(limit)}{note}"
    return Check(name, "PASS" if ok else "FAIL", detail)


def push_size_check(wire, max_push_size: int) -> Check:
    """The image's wire size (every layer compressed) against ``--max-push-size``."""
    from msb_tui.image.render import size

    how = ", ".join(wire.sources) or "unknown"
    if not wire.complete:
        return Check("max-push-size", "FAIL", f"wire size unknown for some layers ({how})")
    return _limit("max-push-size", "wire size", wire.wire_size, max_push_size, size, f" ({how})")


def run(args: argparse.Namespace) -> int:
    from msb_tui.commands.layers import analyze, connect_or_fail
    from msb_tui.image.render import clean, parse_fraction, parse_size

    try:
        max_size = parse_size(args.max_size) if args.max_size else None
        max_wasted = parse_size(args.max_wasted) if args.max_wasted else None
        min_efficiency = parse_fraction(args.min_efficiency) if args.min_efficiency else None
        max_push_size = parse_size(args.max_push_size) if args.max_push_size else None
    except ValueError as error:
        raise CommandFailed(f"msb-tui ci: {error}", EXIT_USAGE) from None
    client = connect_or_fail(args.host)
    report = analyze(client, args.image, args.platform)
    checks = evaluate(report, max_size, min_efficiency, max_wasted, args.fail_on_leaks)
    if max_push_size is not None:
        from msb_tui.registry.wire import EXACT, wire_sizes

        # A gate decides on a figure, never on a sampled estimate: compute what nothing measured.
        checks.append(push_size_check(wire_sizes(client, args.image, mode=EXACT), max_push_size))
    failed = [check for check in checks if check.status == "FAIL"]
    # No limit at all: nothing was checked, and a gate that cannot fail must not read as PASS.
    checked = any(check.status != "SKIP" for check in checks)
    if args.json:
        json.dump({"image": args.image, "passed": not failed and checked, "checked": checked,
                   "checks": [asdict(c) for c in checks]}, sys.stdout, indent=2)
        print()
    else:
        print(f"Image: {clean(args.image)}")
        for check in checks:
            print(f"  {check.status}  {check.name}: {check.detail}")
        if args.fail_on_leaks:
            for leak in report.leaks:
                print(f"        leak: {leak.category} {clean(leak.where)}: {clean(leak.why)}")
        if not checked:
            print("Result: NOTHING CHECKED (no limit given: use --max-size, --min-efficiency, --max-wasted or "
                  "--fail-on-leaks)")
        else:
            print(f"Result: {'FAIL' if failed else 'PASS'}" + (f" ({len(failed)} limit{'s' if len(failed) != 1 else ''} broken)" if failed else ""))
    if not checked:
        return EXIT_USAGE  # no limit given: a usage error, as argparse reports one
    return EXIT_FAILED if failed else 0
