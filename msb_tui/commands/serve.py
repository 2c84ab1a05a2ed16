"""``msb-tui serve [PATH] [--port N] [--host ADDR]``: the app in a browser, one app process per session.

Every option of the app is accepted and passed on to each session's ``msb-tui`` (the app's own
``--host``, the engine address, is ``--engine`` here: ``--host`` is where the server listens).
``--demo NAME`` serves a bundled demo with its offline images, ``--tour`` the guided tour.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from msb_tui.commands import EXIT_FAILED, EXIT_USAGE, CommandFailed, tui

HELP = "serve the app in a browser (textual-serve): same options as the app, plus --port/--host/--token"


class _AppOptions:
    """Adds the app's options to the serve parser, renaming the app's ``--host`` to ``--engine``,
    and remembers them so a session's command line can be written back from the parsed values."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser
        self.group = parser.add_argument_group("the app's options (passed on to every browser session)")

    def add_argument(self, *names: str, **kwargs):
        if "--host" in names:
            names, kwargs = ("--engine",), dict(kwargs, dest="host")
        action = self.group.add_argument(*names, **kwargs)
        APP_ACTIONS.append(action)
        return action


APP_ACTIONS: list[argparse.Action] = []


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", dest="listen", default="127.0.0.1", metavar="ADDR",
                        help="address to listen on (default 127.0.0.1: this machine only; any other needs a token)")
    parser.add_argument("--port", type=int, default=8000, metavar="N", help="port to listen on (default 8000)")
    parser.add_argument("--token", help="the token the page URL must carry (default: generated when --host is "
                                        "not a loopback address; printed once)")
    parser.add_argument("--max-sessions", type=int, default=2, metavar="N",
                        help="browser sessions at once; each is an app process that may build (default 2)")
    parser.add_argument("--font-size", type=int, default=20, metavar="PX",
                        help="terminal font size in the page (default 20, for a projector; ?fontsize= overrides)")
    parser.add_argument("--title", help="the page title (default: msb-tui and what it shows)")
    parser.add_argument("--demo", metavar="NAME", help="serve a bundled demo (go, seed-example, ...) with the offline images")
    parser.add_argument("--tour", action="store_true", help="serve the guided tour (msb-tui demo --tour)")
    parser.add_argument("--recordings", action="store_true", help="with --tour: replay recordings even when an engine answers")
    APP_ACTIONS.clear()
    tui.add_arguments(_AppOptions(parser))  # type: ignore[arg-type]


def _format(action: argparse.Action, value) -> list[str]:
    """``value`` of one app option as command-line words (the inverse of its parsing)."""
    if action.dest == "speed":
        return [action.option_strings[0], "max" if value is None else f"{value:g}"]
    if isinstance(action, argparse._StoreTrueAction):
        return [action.option_strings[0]] if value else []
    if isinstance(action, argparse._AppendAction):
        return [word for item in value for word in (action.option_strings[0], str(item))]
    name = "--host" if action.dest == "host" else action.option_strings[0] if action.option_strings else None
    return [name, str(value)] if name else [str(value)]


def app_argv(args: argparse.Namespace) -> list[str]:
    """The ``msb-tui`` arguments each browser session runs with (what the app would get in a terminal)."""
    if args.tour:
        return ["demo", "--tour"] + (["--recordings"] if args.recordings else [])
    words: list[str] = []
    for action in APP_ACTIONS:
        value = getattr(args, action.dest)
        if value == action.default and not (action.dest == "path" and args.demo):
            continue
        if action.dest == "path" and args.demo:
            from msb_tui.commands.demo import DEMOS_DIR

            value = str(DEMOS_DIR / args.demo)
        words += _format(action, value)
    if args.demo:
        words.append("--offline-demo-args")
    return words


def _check(args: argparse.Namespace) -> str | None:
    if args.port <= 0 or args.port > 65535:
        return f"--port {args.port} is not a port"
    if args.max_sessions < 1:
        return "--max-sessions must be at least 1"
    if args.demo:
        from msb_tui.commands.demo import DEMOS_DIR, _names

        if not (DEMOS_DIR / args.demo / "Dockerfile").is_file():
            return f"no demo named {args.demo!r}; choose one of {', '.join(_names())}"
    elif not args.tour and args.replay is None and args.import_log is None:
        _, dockerfile = tui.options_from_args(args).resolve()
        if not dockerfile.is_file():
            return f"no Dockerfile at {dockerfile} (give a path, -f FILE, --demo NAME or --tour)"
    return None


def _title(args: argparse.Namespace) -> str:
    if args.title:
        return args.title
    if args.tour:
        return "msb-tui — a tour of multi-stage builds"
    shown = args.demo or (Path(args.replay).name if args.replay else Path(args.path).resolve().name)
    return f"msb-tui — {shown}"


def run(args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        raise CommandFailed(f"msb-tui serve: {problem}", EXIT_USAGE)
    from msb_tui.web.server import MsbServer, check_address, is_loopback, new_token

    unusable = check_address(args.listen, args.port)
    if unusable:
        raise CommandFailed(f"msb-tui serve: cannot listen on {args.listen}:{args.port}: "
                            f"{unusable}", EXIT_FAILED)
    token = args.token
    if token is None and not is_loopback(args.listen):
        token = new_token()
    command = shlex.join([sys.executable, "-m", "msb_tui", *app_argv(args)])
    server = MsbServer(command, host=args.listen, port=args.port, title=_title(args), token=token,
                       max_sessions=args.max_sessions, font_size=args.font_size)
    try:
        server.serve()
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise CommandFailed(f"msb-tui serve: cannot listen on {args.listen}:{args.port}: "
                            f"{error.strerror or error}", EXIT_FAILED) from None
    return 0
