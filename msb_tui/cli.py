"""Command-line entry point: ``msb-tui [PATH]`` opens the app, ``msb-tui COMMAND`` runs a headless command.

Each command lives in ``msb_tui/commands/<name>.py`` and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Only the command asked for is imported, and
command modules import Textual and docker inside ``run``, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from msb_tui import __version__
from msb_tui.commands import EXIT_CANCELLED, CommandFailed

# In the order the help lists them; "import-log" is msb_tui/commands/import_log.py. The app
# itself (msb_tui/commands/tui.py) is the default command.
COMMANDS = ("plan", "build", "replay", "import-log", "layers", "compare", "ci", "ship", "context",
            "registry", "history", "explain", "watch", "demo", "demo-images", "serve", "engine")


def _load(command: str) -> ModuleType:
    return importlib.import_module(f"msb_tui.commands.{command.replace('-', '_')}")


def _top_level_help() -> str:
    lines = [
        "usage: msb-tui [PATH] [options]        open the build explorer on a Dockerfile or folder",
        "       msb-tui COMMAND [options]       run a headless command",
        "",
        "A terminal build explorer for Docker multi-stage builds: the stage graph, the plan",
        "BuildKit follows for a target, live builds on a real engine, and what came out.",
        "",
        "commands:",
    ]
    for name in COMMANDS:
        lines.append(f"  {name:<14}{_load(name).HELP}")
    lines += [
        "",
        "Run 'msb-tui COMMAND --help' for a command's options, 'msb-tui --tui-help' for the app's.",
        "Engine: DOCKER_HOST, the current docker context, or --host; 'msb-tui engine up' starts a local one.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run ``msb-tui ARGV``; the exit status.

    When the reader of stdout goes away (``msb-tui history | head``), the command ends quietly
    with status 141, as a program killed by SIGPIPE does, instead of a ``BrokenPipeError`` traceback.
    """
    try:
        code = _dispatch(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return _reader_gone()


EXIT_READER_GONE = 141  # 128 + SIGPIPE: what docker, git and coreutils report after "| head"


def _reader_gone() -> int:
    """Point stdout at /dev/null, so what is still buffered is dropped at exit without a second error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_READER_GONE


def _dispatch(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(_top_level_help())
        return 0
    if argv and argv[0] in ("-V", "--version"):
        print(f"msb-tui {__version__}")
        return 0
    if argv and argv[0] in COMMANDS:
        module, rest, prog = _load(argv[0]), argv[1:], f"msb-tui {argv[0]}"
    else:
        module, rest, prog = _load("tui"), ["--help"] if argv[:1] == ["--tui-help"] else argv, "msb-tui"
    parser = argparse.ArgumentParser(prog=prog, description=module.HELP)
    module.add_arguments(parser)
    args = parser.parse_args(rest)  # exits 2 on usage errors, as argparse does
    try:
        return int(module.run(args) or 0)
    except CommandFailed as failed:
        print(failed, file=sys.stderr)
        return failed.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_CANCELLED


def entry() -> None:
    """The ``msb-tui`` program."""
    raise SystemExit(main())
