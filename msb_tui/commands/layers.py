"""``msb-tui layers IMAGE``: an image's layers, the Dockerfile line behind each, waste and leaks."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence

from msb_tui.builds.inputs import build_arg_option, parse_build_args
from msb_tui.commands import EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed

HELP = "show an image's layers tied to Dockerfile lines, with sizes, waste, efficiency and leaks"


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="engine address (default: DOCKER_HOST, the docker context, the local socket)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--platform", metavar="OS/ARCH[/VARIANT]",
                        help="the platform to read from a multi-platform image (containerd image store, "
                             "Docker 28+; default: the engine's own); attestation manifests are never read")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", help="image name, tag or id")
    add_engine_arguments(parser)
    parser.add_argument("--dockerfile", help="the Dockerfile the image was built from (ties layers to its lines; "
                        "default: the recording of the build that made the image, when msb-tui built it)")
    parser.add_argument("--target", help="the stage the image was built for (default: the last stage)")
    parser.add_argument("--build-arg", action="append", default=[], type=build_arg_option, metavar="NAME=VALUE",
                        help="a build arg the build used (repeatable; NAME alone: from the environment)")
    parser.add_argument("--no-files", action="store_true", help="skip the file trees (no export: no waste, no file leaks)")
    parser.add_argument("--top", type=int, default=10, help="how many wasted paths to list (default 10)")


def connect_or_fail(host: str | None):
    """A client on the engine the user chose; ``CommandFailed`` when it does not answer."""
    from msb_tui.engine.connection import EngineUnavailable, connect

    try:
        return connect(host)
    except EngineUnavailable as error:
        raise CommandFailed(f"msb-tui: no Docker engine answered: {error}", EXIT_NO_ENGINE)


def analyze(client, image: str, platform: str | None, *, dockerfile: str | None = None,
            target: str | None = None, build_args: Sequence[str] = (), with_files: bool = True,
            origin: bool = False):
    """The image report; ``CommandFailed`` saying what went wrong.

    ``origin``: without ``dockerfile``, tie the layers through the recording of the build that
    made the image (its Dockerfile, target and build args), and say which one on stderr."""
    import docker.errors
    import requests
    import urllib3

    from msb_tui.image.export import ExportError
    from msb_tui.image.report import analyze_image

    text, model = None, None
    arguments = parse_build_args(build_args)
    if not dockerfile and origin:
        found = _origin(client, image)
        if found is not None:
            text, target, arguments, model = found.dockerfile_text, found.target, found.build_args, found.model
    if dockerfile:
        from pathlib import Path

        path = Path(dockerfile)
        if path.is_dir():
            path = path / "Dockerfile"
        try:
            text = path.read_text()
        except OSError as error:
            raise CommandFailed(f"msb-tui: cannot read {path}: {error}", EXIT_USAGE)
    try:
        return analyze_image(
            client,
            image,
            dockerfile=text,
            target=target,
            build_args=arguments,
            with_files=with_files,
            build_model=model,
            platform=platform,
        )
    except docker.errors.NotFound as error:
        # The containerd image store answers "no such image" where the classic store says
        # "ambiguous digest string": a short id matching several images is ambiguous either way.
        if _is_short_id(image) and len(_matching(client, image)) > 1:
            message, code = ambiguous_message(client, image), EXIT_USAGE
        else:
            message, code = f"no such image {image!r}: {error.explanation or error}", EXIT_USAGE
    except ValueError as error:  # bad --target or Dockerfile
        message, code = f"no Docker engine answered: {error}", EXIT_USAGE
    except docker.errors.APIError as error:
        if "ambiguous" in str(error):
            message, code = ambiguous_message(client, image), EXIT_USAGE
        else:
            message, code = f"the engine failed while reading {image!r}: {error}", EXIT_NO_ENGINE
    except ExportError as error:
        message = f"the engine's export of {image!r} could not be read: {error}"
        code = EXIT_NO_ENGINE
    except (docker.errors.DockerException, requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        message, code = f"the engine failed while reading {image!r}: {error}", EXIT_NO_ENGINE
    raise CommandFailed(f"msb-tui: {message}", code)


def _is_short_id(text: str) -> bool:
    short = text.removeprefix("sha256:")
    return 0 < len(short) < 64 and all(c in "0123456789abcdef" for c in short)


def _matching(client, prefix: str) -> list[dict]:
    short = prefix.removeprefix("sha256:").lower()
    try:
        return [image for image in client.images(all=True) if image["Id"].removeprefix("sha256:").startswith(short)]
    except Exception:  # noqa: BLE001 - say what we know
        return []


def ambiguous_message(client, prefix: str, limit: int = 10) -> str:
    """Which images a short id matches (the engine only says "ambiguous digest string")."""
    images = _matching(client, prefix)
    lines = [f"{prefix!r} is the start of {len(images) or 'several'} image ids: give more of the id, or a name"]
    for image in images[:limit]:
        tags = [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
        lines.append(f"  {image['Id'].removeprefix('sha256:')[:16]}  {', '.join(tags) or '(untagged)'}")
    if len(images) > limit:
        lines.append(f"  … {len(images) - limit} more")
    return "\n".join(lines)


def _origin(client, image: str):
    """The recorded build that made ``image`` (None when there is none), said on stderr either way."""
    from msb_tui.builds.provenance import origin_of

    try:
        image_id = client.inspect_image(image)["Id"]
    except Exception:  # noqa: BLE001 - analyze_image reports a missing image or a failing engine
        return None
    found = origin_of(image_id)
    if found is None:
        print("msb-tui: no recording of the build that made this image: layers are not tied to Dockerfile "
              "lines (give --dockerfile and --target)", file=sys.stderr)
    else:
        print(f"msb-tui: layers tied to the Dockerfile of {found.recording} (target {found.target_label})",
              file=sys.stderr)
    return found


def run(args: argparse.Namespace) -> int:
    client = connect_or_fail(args.host)
    report = analyze(client, args.image, args.platform, dockerfile=args.dockerfile,
                     target=args.target, build_args=args.build_arg, with_files=not args.no_files,
                     origin=True)
    if args.json:
        json.dump(report.to_dict(top_waste=args.top), sys.stdout, indent=2, default=str)
        print()
        return 0
    from msb_tui.image.render import layers_text

    print(layers_text(report, width=shutil.get_terminal_size((120, 40)).columns, top_waste=args.top))
    return 0
