"""``msb-tui demo-images``: seed the offline base images the demos build on."""

from __future__ import annotations

import argparse
import sys

HELP = "create the demos' base images offline (busybox, a Go SDK via debootstrap); existing ones are reused"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="recreate images that already exist")
    parser.add_argument("--only", choices=["busybox", "go"], help="create only this image")
    parser.add_argument("--host", help="Docker engine address (default: DOCKER_HOST or the local socket)")


def run(args: argparse.Namespace) -> int:
    import docker

    from msb_tui.engine.demo_images import ensure_demo_images
    from msb_tui.engine.local import DEFAULT_SOCKET, EngineSetupError
    from msb_tui.offline import BUSYBOX_IMAGE, GO_SDK_IMAGE
    import os

    host = args.host or os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    try:
        client = docker.APIClient(base_url=host, timeout=900)
        client.ping()
    except Exception as error:  # noqa: BLE001
        print(f"msb-tui demo-images: no Docker engine at {host} ({error}); run 'msb-tui engine up'", file=sys.stderr)
        return 3
    only = {"busybox": {BUSYBOX_IMAGE}, "go": {GO_SDK_IMAGE}}.get(args.only) if args.only else None
    try:
        ensure_demo_images(client, only=only, force=args.force)
    except (EngineSetupError, RuntimeError) as error:
        print(f"msb-tui demo-images: {error}", file=sys.stderr)
        return 1
    return 0
