"""``msb-tui plan``: what BuildKit will run for a target, before running anything."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msb_tui.builds.inputs import BUILD_ARG_HELP, build_arg_option
from msb_tui.commands import EXIT_FAILED, EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed

HELP = "show the stages, the plan for a target, errors and lint of a Dockerfile (no engine needed)"

EXIT_LINT_ERROR = 4  # BuildKit accepts the file, but a lint finding is an error (e.g. FromUnknownStage)

EPILOG = (
    "Exit status: 0 the file builds (warnings may be printed); 1 BuildKit would refuse it, or it would "
    "crash the engine and is refused; 2 usage error or no Dockerfile; 3 --buildkit engine and no engine "
    "answers; 4 BuildKit accepts it but a lint finding has severity error (e.g. FromUnknownStage: "
    "--from names no stage and looks like a typo). The plan is exact to one BuildKit: 0.8 is Docker 20.10, "
    "0.25 Docker 28.5 (the default)."
)


def _buildkit(text: str):
    from msb_tui.analysis.versions import parse_buildkit

    if text in ("engine", "current"):
        return text
    try:
        return parse_buildkit(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a build context folder (uses PATH/Dockerfile) or a Dockerfile")
    parser.add_argument("-f", "--file", help="the Dockerfile, relative to PATH when PATH is a folder")
    parser.add_argument("--target", help="the stage to build (default: the last one); case-insensitive")
    parser.add_argument("--build-arg", dest="build_args", action="append", default=[], type=build_arg_option,
                        metavar="NAME=VALUE", help=BUILD_ARG_HELP)
    parser.add_argument("--platform", help="target platform for TARGETPLATFORM & co (default linux/amd64)")
    parser.add_argument(
        "--format", choices=("text", "json", "dot", "mermaid"), default="text", help="output format (default text)"
    )
    parser.add_argument("--no-lint", action="store_true", help="skip the lint checks")
    parser.add_argument(
        "--buildkit", type=_buildkit, default="current", metavar="VERSION",
        help="plan for this BuildKit: a version such as 0.8 (Docker 20.10) or 0.25 (Docker 28.5), 'current' "
        "(the default), or 'engine': the engine in use (DOCKER_HOST or the local one), whose base images' "
        "ONBUILD triggers are then inspected too",
    )
    parser.epilog = EPILOG


def dockerfile_path(path: Path, file: str | None) -> Path:
    """Where the Dockerfile is for ``PATH [-f FILE]`` (docker build's rules, minus stdin).

    Like ``docker build``, a relative ``-f`` is taken from the current directory; when nothing is
    there, from the context folder.
    """
    if path.is_dir():
        if file is None:
            return path / "Dockerfile"
        candidate = Path(file)
        return candidate if candidate.is_absolute() or candidate.exists() else path / candidate
    if file is not None:
        return Path(file)
    return path


def run(args: argparse.Namespace) -> int:
    from msb_tui.analysis import analyze
    from msb_tui.analysis.render import RENDERERS, clean
    from msb_tui.builds.inputs import parse_build_args

    location = dockerfile_path(Path(args.path), args.file)
    if not location.is_file():
        raise CommandFailed(f"msb-tui plan: no Dockerfile at {clean(location)}", EXIT_USAGE)
    options = {"target": args.target, "build_args": parse_build_args(args.build_args),
               "platform": args.platform}
    buildkit, triggers = (None if args.buildkit == "current" else args.buildkit), None
    if buildkit == "engine":
        buildkit, triggers = _engine_facts(location, options)
    analysis = analyze(location, **options, lint=not args.no_lint, buildkit=buildkit,
                       image_triggers=triggers)
    print(RENDERERS[args.format](analysis))
    lint_errors = [finding for finding in analysis.lint if finding.severity == "error"]
    if analysis.errors:  # BuildKit would refuse the file (or it would crash the engine: never sent)
        first, code = analysis.errors[0], EXIT_FAILED
        what = first.message
    elif lint_errors:
        first, code = lint_errors[0], EXIT_LINT_ERROR
        what = f"{first.rule}: {first.message}"
    else:
        return 0
    where = f"line {first.line}" if first.line is not None else "file"
    raise CommandFailed(clean(f"{location}: {where}: {what}"), code)


def _engine_facts(location: Path, options: dict):
    """(BuildKit of the engine in use, ONBUILD triggers of the base images it holds);
    ``CommandFailed`` when no engine answers."""
    from msb_tui.analysis import analyze
    from msb_tui.analysis.render import clean
    from msb_tui.analysis.versions import engine_buildkit
    from msb_tui.engine.connection import EngineUnavailable, connect
    from msb_tui.engine.info import gather

    try:
        client = connect(timeout=30)
    except EngineUnavailable as error:
        raise CommandFailed(clean(f"msb-tui plan: --buildkit engine: {error}"), EXIT_NO_ENGINE)
    version = gather(client).version
    buildkit = engine_buildkit(version)
    if buildkit is None:
        print(clean(f"msb-tui plan: engine {version}: unknown BuildKit, planning for current BuildKit"),
              file=sys.stderr)
    first = analyze(location, **options, lint=False, buildkit=buildkit)
    return buildkit, image_triggers(client, first.externals)


def image_triggers(client, refs) -> dict[str, list[str] | None]:
    """{image ref: its ONBUILD triggers, or None when the engine does not hold the image}."""
    found: dict[str, list[str] | None] = {}
    for ref in refs:
        if ref == "scratch":
            continue
        try:
            config = client.inspect_image(ref).get("Config") or {}
        except Exception:  # noqa: BLE001 - not pulled yet, or an engine error: unknown
            found[ref] = None
            continue
        found[ref] = list(config.get("OnBuild") or [])
    return found
