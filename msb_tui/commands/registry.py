"""``msb-tui registry up|status``: the local registry (Debian's docker-registry) the tests push to."""

from __future__ import annotations

import argparse

from msb_tui.commands import EXIT_NO_ENGINE, CommandFailed

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
        return EXIT_NO_ENGINE if down else 0
    try:
        for line in ensure_registry():
            print(line)
    except RegistrySetupError as error:
        raise CommandFailed(f"msb-tui registry: {error}", EXIT_NO_ENGINE) from None
    return 0
