"""Command-line entry point: ``msb-tui [PATH]`` opens the app, ``msb-tui COMMAND`` runs a headless command.

Each command lives in ``msb_tui/commands/<name>.py`` and exposes ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import their heavy
dependencies (Textual, docker) inside ``run`` so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from msb_tui import __version__

# Subcommand name -> module under msb_tui.commands. "tui" is the default command.
COMMANDS: dict[str, str] = {
    "plan": "plan",
    "build": "build",
    "replay": "replay",
    "import-log": "import_log",
    "layers": "layers",
    "compare": "compare",
    "ci": "ci",
    "history": "history",
    "demo": "demo",
    "demo-images": "demo_images",
    "serve": "serve",
    "engine": "engine",
}

EXIT_USAGE = 2


def _load(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"msb_tui.commands.{module_name}")
    except ModuleNotFoundError as error:
        if error.name == f"msb_tui.commands.{module_name}":
            return None
        raise


def _available() -> dict[str, ModuleType]:
    found = {}
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is not None:
            found[name] = module
    return found


def _top_level_help(commands: dict[str, ModuleType]) -> str:
    lines = [
        "usage: msb-tui [PATH] [options]        open the build explorer on a Dockerfile or folder",
        "       msb-tui COMMAND [options]       run a headless command",
        "",
        "A terminal build explorer for Docker multi-stage builds: the stage graph, the plan",
        "BuildKit follows for a target, live builds on a real engine, and what came out.",
        "",
        "commands:",
    ]
    for name, module in commands.items():
        lines.append(f"  {name:<14}{module.HELP}")
    lines += [
        "",
        "Run 'msb-tui COMMAND --help' for a command's options, 'msb-tui --tui-help' for the app's.",
        "Engine: DOCKER_HOST, the current docker context, or --host; 'msb-tui engine up' starts a local one.",
    ]
    return "\n".join(lines)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized from $COLUMNS or the terminal through ``os``: argparse builds one
    for every ``add_argument`` and sizes it with ``shutil``, an import (~2.5 ms with the compression
    modules it pulls in) that every command would pay before doing anything."""

    def __init__(self, prog: str):
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
            except (AttributeError, ValueError, OSError):
                columns = 80
        super().__init__(prog, width=(columns or 80) - 2)


def build_parser(name: str, module: ModuleType) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"msb-tui {name}".strip(), description=module.HELP, formatter_class=HelpFormatter)
    module.add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    return _run(argv)[0]


EXIT_READER_GONE = 141  # 128 + SIGPIPE: what docker, git and coreutils report after "| head"


def _run(argv: list[str] | None) -> tuple[int, ModuleType | None]:
    """Run ``msb-tui ARGV``: the exit status, and the module of the command that ran (if one did).

    When the reader of stdout goes away (``msb-tui history | head``), the command ends quietly
    with status 141, as a program killed by SIGPIPE does, instead of a ``BrokenPipeError`` traceback.
    """
    try:
        result = _dispatch(argv)
        sys.stdout.flush()
        return result
    except BrokenPipeError:
        return _reader_gone(), None


def _reader_gone() -> int:
    """Point stdout at /dev/null, so what is still buffered is dropped at exit without a second error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_READER_GONE


def _dispatch(argv: list[str] | None) -> tuple[int, ModuleType | None]:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(_top_level_help(_available()))
        return 0, None
    if argv and argv[0] in ("-V", "--version"):
        print(f"msb-tui {__version__}")
        return 0, None
    # Only the command asked for is imported: start-up time is part of every headless command.
    module = _load(COMMANDS[argv[0]]) if argv and argv[0] in COMMANDS else None
    if module is not None:
        name, rest = argv[0], argv[1:]
        prog = f"msb-tui {name}"
    else:
        if argv and argv[0] == "--tui-help":
            argv = ["--help"]
        tui = _load("tui")
        if tui is None:
            print("msb-tui: the app is not available in this build; try 'msb-tui --help'", file=sys.stderr)
            return EXIT_USAGE, None
        name, rest, module, prog = "", argv, tui, "msb-tui"
    parser = argparse.ArgumentParser(prog=prog, description=module.HELP, formatter_class=HelpFormatter)
    module.add_arguments(parser)
    args = parser.parse_args(rest)  # exits 2 on usage errors, as argparse does
    try:
        return int(module.run(args) or 0), module
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130, module


def entry() -> None:
    """The ``msb-tui`` program: :func:`main`, then the exit.

    A command whose module sets ``EXIT_AT_ONCE`` has flushed and closed everything it opened when
    it returns normally (exit 0 or 1), so the process ends there: tearing down the interpreter
    and its ~150 modules takes ~6 ms, a tenth of a cached ``msb-tui build``. Any other exit
    (another command, an interrupt, an exception) goes through the normal teardown.
    """
    code, module = _run(None)
    if code in (0, 1) and getattr(module, "EXIT_AT_ONCE", False):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise SystemExit(code) from None
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    raise SystemExit(main())
