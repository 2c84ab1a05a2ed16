"""``msb-tui ship IMAGE...``: what an image costs to ship: wire sizes, a push plan, a push, pull times."""

from __future__ import annotations

import argparse
import json
import sys

from msb_tui.commands import EXIT_USAGE, CommandFailed

HELP = "what images cost to ship: compressed (wire) sizes per layer, a push plan or push to a registry, pull estimates"

EXIT_REGISTRY = 5

EPILOG = """\
figures: 'measured (registry)' = the blob size a registry stores; 'measured (engine blob)' = the
containerd image store's compressed blob; 'computed (gzip -6)' = the layer tar gzipped as docker push
does (overlay2 store, never pushed from here: --exact); '~ estimated from a N% sample, ±M%' = a share
of the layer's files gzipped (the default there: fast; a push then measures it). Pull times are
estimates at --bandwidth.
exit status: 0 done, 2 bad argument or unknown image, 3 no engine, 5 registry unreachable, refused
(401/403) or missing the image, or a push that failed."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from msb_tui.commands.layers import add_engine_arguments

    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="local image(s); give the SDK (build stage) image and the final image to compare them")
    add_engine_arguments(parser)
    parser.add_argument("--to", metavar="REGISTRY/REPO[:TAG]",
                        help="plan a push of the (last) image there: which layers it has, what would be uploaded")
    parser.add_argument("--push", action="store_true", help="push the image to --to, with progress per layer, then measure")
    parser.add_argument("--bandwidth", default="100Mbit", help="link speed for pull estimates (default 100Mbit; 12.5MB = bytes/s)")
    parser.add_argument("--since", metavar="IMAGE", help="an earlier image or tag: estimate a pull of only what changed")
    parser.add_argument("--measure-pull", action="store_true", help="download the pushed image's blobs from --to and time it")
    # --platform (os/arch[/variant]) comes with the engine arguments: for an index in the registry
    # too (default: the engine's platform).
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--exact", action="store_true",
                       help="compute never-pushed overlay2 layers from the export (gzip -6 of all of it) instead of "
                            "estimating them from a sample; takes about as long as compressing the push")
    sizes.add_argument("--no-compute", action="store_true", help="neither estimate nor compute: unknown sizes stay unknown")


def run(args: argparse.Namespace) -> int:
    import docker.errors

    from msb_tui.commands.layers import connect_or_fail
    from msb_tui.registry.client import Reference, RegistryError
    from msb_tui.registry.plan import parse_bandwidth

    try:
        bandwidth = parse_bandwidth(args.bandwidth)
        target = Reference.parse(args.to) if args.to else None
    except ValueError as error:
        raise _failed(str(error), EXIT_USAGE) from None
    if (args.push or args.measure_pull) and target is None:
        raise _failed("--push and --measure-pull need --to REGISTRY/REPO[:TAG]", EXIT_USAGE)
    client = connect_or_fail(args.host)
    try:
        return _ship(client, args, target, bandwidth)
    except docker.errors.ImageNotFound as error:
        raise _failed(f"no such image: {error.explanation or error}", EXIT_USAGE) from None
    except RegistryError as error:
        raise _failed(str(error), EXIT_REGISTRY) from None


def _failed(message: str, code: int) -> CommandFailed:
    return CommandFailed(f"msb-tui ship: {message}", code)


def _ship(client, args, target, bandwidth) -> int:
    from msb_tui.registry import render
    from msb_tui.registry.plan import pull_estimate, push_plan
    from msb_tui.registry.push import PushFailed, measure_pull, push_image
    from msb_tui.registry.wire import ESTIMATE, EXACT, KNOWN, wire_sizes

    def say(message: str) -> None:
        print(f"msb-tui ship: {message}", file=sys.stderr, flush=True)

    registry_name = target.registry if target else None
    mode = KNOWN if args.no_compute else EXACT if args.exact else ESTIMATE
    reports = [wire_sizes(client, image, mode=mode, registry=registry_name, progress=say)
               for image in args.images]
    previous = client.inspect_image(args.since)["RootFS"]["Layers"] if args.since else None
    estimates = [pull_estimate(report, bandwidth, previous, args.since) for report in reports]
    out: dict = {"images": [r.to_dict() for r in reports],
                 "estimates": [{"image": e.image, "bandwidth_bytes_per_second": e.bandwidth, "cold_bytes": e.cold_bytes,
                                "cold_seconds": e.cold_seconds, "since": e.previous, "delta_bytes": e.delta_bytes,
                                "delta_seconds": e.delta_seconds} for e in estimates]}
    lines: list[str] = []
    for report, estimate in zip(reports, estimates):
        lines += render.wire_lines(report) + render.estimate_lines(estimate) + [""]
    if len(reports) >= 2:
        lines.append(render.story_line(reports[0], reports[-1]))
    if target is not None:
        plan = push_plan(reports[-1], target)
        out["plan"] = plan.to_dict()
        lines += [""] + render.plan_lines(plan)
        if args.push:
            _flush(lines, args.json)
            lines = []
            try:
                result = push_image(client, args.images[-1], target, on_progress=_progress_printer(say))
            except PushFailed as error:
                raise _failed(f"the push failed: {error}", EXIT_REGISTRY) from None
            measured = result.measured
            out["push"] = {"digest": result.digest, "seconds": result.seconds, "uploaded": result.uploaded,
                           "skipped": result.skipped, "measured": measured.to_dict() if measured else None}
            lines += ["", f"Pushed {render.clean(str(target))} ({result.digest}) in {render.seconds(result.seconds)}: "
                      f"{len(result.uploaded)} layer(s) uploaded, {len(result.skipped)} already there",
                      "Measured in the registry afterwards:"] + (render.wire_lines(measured) if measured else [])
        if args.measure_pull:
            from msb_tui.registry.push import engine_platform

            pulled = measure_pull(target, platform=args.platform or engine_platform(client))
            out["measured_pull"] = {"bytes": pulled.bytes, "seconds": pulled.seconds, "blobs": pulled.blobs}
            lines.append(f"  measured pull from {render.clean(target.registry)}: {render.size(pulled.bytes)} in "
                         f"{pulled.blobs} blob(s) downloaded in {render.seconds(pulled.seconds)} (download only, no unpacking)")
    _flush(lines, args.json, out)
    return 0


def _flush(lines: list[str], as_json: bool, data: dict | None = None) -> None:
    if as_json:
        if data is not None:
            json.dump(data, sys.stdout, indent=2)
            print()
        return
    for line in lines:
        print(line)
    sys.stdout.flush()


def _progress_printer(say):
    """One line per layer state change, and per 25% of an upload."""
    last: dict[str, tuple[str, int]] = {}

    def show(layer) -> None:
        quarter = layer.current * 4 // layer.total if layer.total else 0
        if last.get(layer.id) == (layer.status, quarter):
            return
        last[layer.id] = (layer.status, quarter)
        from msb_tui.image.render import size

        amount = f" {size(layer.current)} / {size(layer.total)}" if layer.total and layer.status == "Pushing" else ""
        say(f"{layer.id}: {layer.status}{amount}")

    return show
