"""``msb-tui registry up|status``: the local registry (Debian's docker-registry) the tests push to."""

from __future__ import annotations

import argparse
import sys

HELP = "start the local registry on 127.0.0.1:5000 ('up', also in each engine lane's network namespace) or check it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["up", "status"])


def run(args: argparse.Namespace) -> int:
    from msb_tui.registry.server import ADDRESS, RegistrySetupError, ensure_registry, instances, ping

    if args.action == "status":
        down = 0
        for instance in instances():
            answers = ping(ADDRESS, instance.netns)
            down += not answers
            print(f"registry {ADDRESS} in {instance.label} namespace: {'answers' if answers else 'no answer'}")
        return 3 if down else 0
    try:
        for line in ensure_registry():
            print(line)
    except RegistrySetupError as error:
        print(f"msb-tui registry: {error}", file=sys.stderr)
        return 3
    return 0
