"""``msb-tui explain [RECORDING|latest]``: why each step of a recorded build ran instead of coming
from the cache, and where the prediction made before it disagreed with BuildKit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from msb_tui.commands import EXIT_FAILED, CommandFailed

HELP = "why each step of a recorded build ran instead of coming from the cache"

DESCRIPTION = """\
Why each step of a build ran instead of coming from BuildKit's cache, compared with the previous
build of the same Dockerfile and target on the same engine: the build was asked not to use the
cache; its Dockerfile line changed (old and new); a build arg or ENV value it sees changed (secret
values masked); files under its COPY/ADD sources changed (added, removed, modified, with sizes, from
checksums of the context as it was sent); its base image changed (old and new digest); the step it
is built on ran (the step that started the cascade); or none of these: the cache entry was not on
the engine. Also every step where the prediction made before the build disagreed with what BuildKit
did. 'msb-tui build' prints the same at its end and keeps it with the recording.

exit status: 0 explained, 1 the recording cannot be explained (none, damaged, or recorded without
its cache inputs: --no-explain, --no-record, or an older msb-tui)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("recording", nargs="?", default="latest", metavar="RECORDING|latest",
                        help="a recording (.jsonl) made by msb-tui build, or 'latest' (the default): the newest "
                             "one in the state folder ('msb-tui history' lists them)")
    parser.add_argument("--all", action="store_true", help="list every step, the cached ones too")
    parser.add_argument("--json", action="store_true", help="print the explanation as JSON")
    parser.add_argument("--recompute", action="store_true",
                        help="explain again from the recording and the previous build's record, instead of "
                             "showing what was kept at the end of the build")
    parser.add_argument("--dir", type=Path, default=None, help="the recordings folder (default: the state folder's)")


def latest_recording(folder: Path | None = None) -> Path | None:
    """The newest recording that has a cache record."""
    from msb_tui.cache.record import RECORD_SUFFIX

    if folder is None:
        from msb_tui.paths import recordings_dir

        folder = recordings_dir()
    paths = [p.with_name(p.name[: -len(RECORD_SUFFIX)] + ".jsonl") for p in Path(folder).glob("*" + RECORD_SUFFIX)]
    paths = [p for p in paths if p.exists()]
    return max(paths, key=lambda p: p.stat().st_mtime, default=None)


def recompute(record, folder: Path | None = None):
    """The explanation of a recorded build, from its recording and the records next to it."""
    from msb_tui.analysis.versions import engine_buildkit
    from msb_tui.builds.recording import read_inputs
    from msb_tui.cache import record as records
    from msb_tui.cache.explain import explain
    from msb_tui.cache.predict import predict
    from msb_tui.commands.replay import replayed_model
    from msb_tui.engine.info import EngineInfo

    path = Path(record.recording)
    version = EngineInfo.from_record(read_inputs(path).get("engine")).version
    previous = records.find_previous(record, folder or path.parent)
    forecast = predict(record, records.load_manifest(path), previous,
                       records.load_manifest(previous.recording) if previous else None,
                       buildkit=engine_buildkit(version) if version else None)
    return explain(forecast, replayed_model(path))


def run(args: argparse.Namespace) -> int:
    from msb_tui.builds.recording import RecordingError
    from msb_tui.cache import record as records
    from msb_tui.cache.explain import CacheExplanation, explanation_text

    if args.recording == "latest":
        path = latest_recording(args.dir)
        if path is None:
            raise _failed("no recorded build to explain yet (run 'msb-tui build PATH' first)")
    else:
        path = Path(args.recording)
        if not path.is_file():
            raise _failed(f"no such recording: {path}")
    record = records.load(path)
    if record is None:
        raise _failed(f"{path} was recorded without its cache inputs (msb-tui build --no-explain, "
                      "or an older msb-tui): there is nothing to compare it with")
    record.recording = str(path)
    if record.explanation is not None and not args.recompute:
        explanation = CacheExplanation.from_json(record.explanation)
    else:
        try:
            explanation = recompute(record, args.dir)
        except (RecordingError, OSError) as error:
            raise _failed(str(error)) from None
    if args.json:
        print(json.dumps({"recording": str(path), **explanation.to_json()}, ensure_ascii=False))
    else:
        print(f"build: {path}")
        sys.stdout.write(explanation_text(explanation, all_steps=args.all))
    return 0


def _failed(message: str) -> CommandFailed:
    return CommandFailed(f"msb-tui explain: {message}", EXIT_FAILED)
