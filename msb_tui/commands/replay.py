"""``msb-tui replay FILE``: print a recorded build's progress and summary again, with no engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msb_tui.commands import EXIT_FAILED, EXIT_USAGE, CommandFailed

HELP = "replay a recorded build (progress and summary) without an engine"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a recording (.jsonl) from msb-tui build, or a .dockerbuild bundle "
                        "('docker buildx history export', or a CI system's build record)")
    parser.add_argument("--speed", type=float, default=None,
                        help="pace as recorded divided by X (e.g. 1 = real time, 10 = ten times faster); default: no waiting")
    parser.add_argument("--progress", choices=("plain", "json"), default="plain", help="progress output format")


def analysis_for_recording(inputs: dict):
    """The Dockerfile analysis rebuilt from the recording's inputs (its Dockerfile text), or None."""
    text = inputs.get("dockerfile_text")
    if not text:
        return None
    from msb_tui.analysis import analyze

    try:
        return analyze(text, target=inputs.get("target"), build_args=inputs.get("build_args") or {},
                       platform=inputs.get("platform"))
    except Exception:  # noqa: BLE001 - replay works without a plan
        return None


def replay_into(path: Path, model=None, *, speed: float | None = None):
    """For UIs: ``(model, events)`` — a BuildModel joined with the recording's analysis, and the
    event iterator to feed it (``for e in events: model.apply(e)``)."""
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.recording import read_inputs, replay

    inputs = read_inputs(path)
    if model is None:
        model = BuildModel(analysis_for_recording(inputs), classic=bool(inputs.get("classic")))
    return model, replay(path, speed)


def replayed_model(path: Path):
    """The model of a recorded build, replayed at once to its end."""
    model, events = replay_into(path)
    for event in events:
        model.apply(event)
    return model


def _say_engine(path: Path) -> None:
    """Which engine the build ran on, as the recording (or the bundle) says, on stderr."""
    from msb_tui.backends import open_recorded

    try:
        info = open_recorded(path).start().engine_info()
    except Exception:  # noqa: BLE001 - unreadable input: the replay itself says why
        return
    if info is not None:
        print(f"msb-tui replay: {path.name}, {info.headline(recorded=True)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from msb_tui.backends import open_recorded
    from msb_tui.backends.bundle import BundleError, is_bundle
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.recording import RecordingError
    from msb_tui.commands.build import consume, exit_status

    if args.speed is not None and args.speed <= 0:
        raise CommandFailed("msb-tui replay: --speed must be positive", EXIT_USAGE)
    path = Path(args.file)
    _say_engine(path)
    try:
        if is_bundle(path):
            events = open_recorded(path, args.speed).start()
            model = BuildModel(analysis_for_recording(events.inputs()))
        else:
            model, events = replay_into(path, speed=args.speed)
        status = consume(events, model, progress=args.progress, recording=str(path))
    except (BundleError, RecordingError) as error:
        raise CommandFailed(f"msb-tui replay: {error}", EXIT_FAILED) from None
    return exit_status(status)
