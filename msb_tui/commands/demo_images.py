"""``msb-tui demo-images``: seed the offline base images the demos build on."""

from __future__ import annotations

import argparse
import sys

from msb_tui.commands import EXIT_FAILED, EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed

HELP = "create the demos' base images offline (busybox, a Go SDK via debootstrap); existing ones are reused"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="recreate images that already exist")
    parser.add_argument("--only", choices=["busybox", "go"], help="create only this image")
    parser.add_argument("--host", help="Docker engine address (default: DOCKER_HOST, the local socket, or the engine 'msb-tui engine up' started)")
    parser.add_argument("--lanes", metavar="LANES",
                        help="seed the test engines instead ('all' or comma-separated lane names; see 'msb-tui engine --help')")


def run(args: argparse.Namespace) -> int:
    from msb_tui.engine.lanes import parse_lanes
    from msb_tui.engine.local import EngineSetupError, ensure_engine

    if args.lanes:
        try:
            hosts = [(lane.name, lane.host) for lane in parse_lanes(args.lanes)]
        except ValueError as error:
            raise CommandFailed(f"msb-tui demo-images: {error}", EXIT_USAGE) from None
    elif args.host:
        hosts = [("", args.host)]
    else:
        try:  # DOCKER_HOST, the local socket, or the current engine 'msb-tui engine up' started
            hosts = [("", ensure_engine(start=False).host)]
        except EngineSetupError as error:
            raise CommandFailed(f"msb-tui demo-images: {error}", EXIT_NO_ENGINE) from None
    for name, host in hosts:
        code = _seed(host, args, prefix=f"msb-tui demo-images ({name})" if name else "msb-tui demo-images")
        if code:
            return code
    return 0


def _seed(host: str, args: argparse.Namespace, prefix: str) -> int:
    import docker

    from msb_tui.engine.demo_images import ensure_demo_images
    from msb_tui.engine.local import EngineSetupError
    from msb_tui.offline import BUSYBOX_IMAGE, GO_SDK_IMAGE

    def say(message: str) -> None:
        print(f"{prefix}: {message}", file=sys.stderr, flush=True)

    try:
        client = docker.APIClient(base_url=host, timeout=900)
        client.ping()
    except Exception as error:  # noqa: BLE001
        say(f"no Docker engine at {host} ({error}); run 'msb-tui engine up'")
        return EXIT_NO_ENGINE
    only = {"busybox": {BUSYBOX_IMAGE}, "go": {GO_SDK_IMAGE}}.get(args.only) if args.only else None
    try:
        ensure_demo_images(client, only=only, force=args.force, say=say)
    except (EngineSetupError, RuntimeError) as error:
        say(str(error))
        return EXIT_FAILED
    return 0
