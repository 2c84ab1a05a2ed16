"""``msb-tui history``: the recorded builds (date, file, target, outcome, duration), per-stage
comparisons, and (``--builder``) the builds a buildx builder remembers.

The summaries read only a recording's header and footer (cheap, even for huge recordings); the
comparison replays two recordings into ``BuildModel`` as fast as possible. The TUI's History screen
uses the same functions.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msb_tui.commands import EXIT_NO_ENGINE, EXIT_USAGE, CommandFailed
from msb_tui.durations import format_duration, format_utc

HELP = "list recorded builds; --compare A B compares two per stage"


@dataclass
class RecordingSummary:
    path: Path
    started: float | None
    target: str | None
    dockerfile: str | None
    outcome: str  # "succeeded" | "failed" | "cancelled" | "interrupted" (no footer: msb-tui was killed) | "corrupt"
    duration: float | None
    image_id: str | None = None
    error: str | None = None
    engine: Any = None  # msb_tui.engine.info.EngineInfo of the engine that ran the build

    @property
    def engine_label(self) -> str:
        """``Docker 28.5.2 · BuildKit 0.25 · containerd store``; what old recordings knew."""
        return self.engine.summary() if self.engine is not None else "engine unknown"

    @property
    def date(self) -> str:
        return format_utc(self.started)


def _first_message_time(path: Path) -> float | None:
    with open(path, "rb") as handle:
        from msb_tui.builds.recording import MAX_LINE

        handle.readline(MAX_LINE)
        line = handle.readline(1 << 20)
    try:
        value = json.loads(line).get("t")
    except (ValueError, AttributeError, RecursionError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def summarize(path: Path) -> RecordingSummary:
    """Header + footer of one recording; never raises for a damaged file (outcome says so)."""
    from msb_tui.builds.recording import RecordingError, read_footer, read_inputs
    from msb_tui.engine.info import EngineInfo

    path = Path(path)
    try:
        inputs = read_inputs(path)
    except RecordingError as error:
        try:
            empty = path.stat().st_size == 0
        except OSError:
            empty = False
        # An empty file is a build whose msb-tui was killed before it wrote anything: interrupted.
        return RecordingSummary(path, None, None, None, "interrupted" if empty else "corrupt", None, error=str(error))
    started = inputs.get("started")
    started = float(started) if isinstance(started, (int, float)) else _first_message_time(path)
    footer = read_footer(path)
    if not footer:
        outcome, ended, image, error = "interrupted", None, None, "no end-of-recording footer (msb-tui was stopped mid-build)"
    else:
        outcome = str(footer.get("outcome") or "?")
        ended = footer.get("t") if isinstance(footer.get("t"), (int, float)) else None
        image, error = footer.get("image_id"), footer.get("error")
    duration = (ended - started) if (ended is not None and started is not None) else None
    return RecordingSummary(
        path=path,
        started=started,
        target=inputs.get("target"),
        dockerfile=inputs.get("dockerfile"),
        outcome=outcome,
        duration=duration,
        image_id=image,
        error=str(error) if error else None,
        engine=EngineInfo.from_record(inputs.get("engine")),
    )


def list_recordings(folder: Path | None = None) -> list[RecordingSummary]:
    """Every ``*.jsonl`` recording in ``folder`` (default: the state folder's recordings), newest first."""
    if folder is None:
        from msb_tui.paths import recordings_dir

        folder = recordings_dir()
    summaries = [summarize(path) for path in sorted(Path(folder).glob("*.jsonl"))]
    summaries.sort(key=lambda s: (s.started or 0.0, s.path.name), reverse=True)
    return summaries


@dataclass
class StageStats:
    name: str
    state: str
    duration: float | None
    steps: int
    cached: int


@dataclass
class StageDiff:
    name: str
    a: StageStats | None
    b: StageStats | None

    @property
    def delta(self) -> float | None:
        if self.a is None or self.b is None or self.a.duration is None or self.b.duration is None:
            return None
        return self.b.duration - self.a.duration


@dataclass
class BuildComparison:
    a: RecordingSummary
    b: RecordingSummary
    stages: list[StageDiff] = field(default_factory=list)
    wall: tuple[float | None, float | None] = (None, None)
    cache_hits: tuple[int, int] = (0, 0)
    steps: tuple[int, int] = (0, 0)


def stage_stats(path: Path) -> tuple[list[StageStats], Any]:
    """Replay a recording (no pacing) into a ``BuildModel``; per-stage time and cache use, and totals."""
    from msb_tui.commands.replay import replayed_model

    model = replayed_model(path)
    stats = [
        StageStats(
            name=stage.key,  # a multi-platform build: one per stage and platform ("linux/arm64 build")
            state=stage.state,
            duration=stage.duration,
            steps=len(stage.steps),
            cached=sum(1 for step in stage.steps if step.cached),
        )
        for stage in model.stages
    ]
    return stats, model.totals()


def compare(path_a: Path, path_b: Path) -> BuildComparison:
    """Per-stage time and cache differences between two recorded builds (stages matched by name)."""
    stats_a, totals_a = stage_stats(path_a)
    stats_b, totals_b = stage_stats(path_b)
    by_a = {s.name: s for s in stats_a}
    by_b = {s.name: s for s in stats_b}
    names = [s.name for s in stats_a] + [s.name for s in stats_b if s.name not in by_a]
    return BuildComparison(
        a=summarize(path_a),
        b=summarize(path_b),
        stages=[StageDiff(name, by_a.get(name), by_b.get(name)) for name in names],
        wall=(totals_a.wall, totals_b.wall),
        cache_hits=(totals_a.cache_hits, totals_b.cache_hits),
        steps=(totals_a.steps, totals_b.steps),
    )


def seconds(value: float | None) -> str:
    return format_duration(value, "—")


def signed(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{seconds(abs(value))}"


def cache_cell(stats: StageStats | None) -> str:
    if stats is None:
        return "—"
    if stats.state == "skipped":
        return "skipped"
    return f"{stats.cached}/{stats.steps} cached"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, help="recordings folder (default: the state folder's recordings)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="compare two recordings per stage")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--builder", nargs="?", const="", default=None, metavar="NAME",
                        help="list the builds a buildx builder remembers, whoever started them (NAME omitted: the "
                             "current builder); with REF, open that build (progress, stages, summary)")
    parser.add_argument("ref", nargs="?", metavar="REF", help="with --builder: the build to open")
    parser.add_argument("--host", help="with --builder: engine address for the docker CLI")


def run(args: argparse.Namespace) -> int:
    from msb_tui.sanitize import plain

    if args.builder is not None:
        return _builder_history(args)
    if args.ref is not None:
        raise CommandFailed("msb-tui history: REF needs --builder (recordings are listed by file)",
                            EXIT_USAGE)

    if args.compare:
        a, b = args.compare
        for path in (a, b):
            if not path.is_file():
                print(f"msb-tui history: no recording at {path}")
                return 2
        result = compare(a, b)
        if args.json:
            print(json.dumps({
                "a": str(a), "b": str(b), "wall": list(result.wall),
                "stages": [{"stage": d.name,
                            "a": None if d.a is None else vars(d.a),
                            "b": None if d.b is None else vars(d.b),
                            "delta": d.delta} for d in result.stages],
            }, indent=2))
            return 0
        print(f"A: {a.name}  ({result.a.outcome}, {seconds(result.wall[0])}, {plain(result.a.engine_label)})")
        print(f"B: {b.name}  ({result.b.outcome}, {seconds(result.wall[1])}, {plain(result.b.engine_label)})")
        print(f"{'stage':<24}{'A time':>9}{'B time':>9}{'Δ':>10}  {'A cache':<16}{'B cache':<16}")
        for diff in result.stages:
            print(f"{plain(diff.name)[:23]:<24}{seconds(diff.a.duration if diff.a else None):>9}"
                  f"{seconds(diff.b.duration if diff.b else None):>9}{signed(diff.delta):>10}  "
                  f"{cache_cell(diff.a):<16}{cache_cell(diff.b):<16}")
        print(f"{'total (wall)':<24}{seconds(result.wall[0]):>9}{seconds(result.wall[1]):>9}"
              f"{signed(None if None in result.wall else result.wall[1] - result.wall[0]):>10}  "
              f"{result.cache_hits[0]}/{result.steps[0]:<14}{result.cache_hits[1]}/{result.steps[1]}")
        return 0
    summaries = list_recordings(args.dir)
    if args.json:
        print(json.dumps([{**{k: v for k, v in vars(s).items() if k not in ("path", "engine")}, "path": str(s.path),
                           "engine": s.engine.to_record() if s.engine is not None else None}
                          for s in summaries], indent=2))
        return 0
    if not summaries:
        from msb_tui.paths import recordings_dir

        print(f"no recorded builds in {args.dir or recordings_dir()}")
        return 0
    print(f"{'date (UTC)':<20} {'outcome':<10} {'duration':>9}  {'target':<14} {'engine':<52} file")
    for s in summaries:
        print(f"{s.date:<20} {s.outcome:<10} {seconds(s.duration):>9}  {plain(s.target or '(default)')[:14]:<14} "
              f"{plain(s.engine_label)[:52]:<52} {s.path.name}")
    return 0


def _builder_history(args: argparse.Namespace) -> int:
    """``--builder [NAME] [REF]``: the builds a buildx builder remembers, or one of them opened."""
    from msb_tui.backends.buildx import BuildxUnavailable, check_buildx
    from msb_tui.backends.history import HistoryError, list_history
    from msb_tui.commands.build import consume, exit_status
    from msb_tui.commands.watch import open_history_build
    from msb_tui.sanitize import plain

    if args.ref is not None:
        source, model = open_history_build(args, wait=False, command="history")
        return exit_status(consume(source, model, progress="plain"))
    try:
        check_buildx()
        entries = list_history(args.builder or None, host=args.host)
    except (BuildxUnavailable, HistoryError) as error:
        raise CommandFailed(f"msb-tui history: {error}", EXIT_NO_ENGINE) from None
    if args.json:
        print(json.dumps([{**vars(e), "id": e.id, "duration": e.duration,
                           "cached_share": e.cached_share} for e in entries], indent=2))
        return 0
    if not entries:
        print(f"builder {args.builder or '(current)'} remembers no builds")
        return 0
    print(f"{'created (UTC)':<20} {'status':<10} {'duration':>9} {'steps':>6} {'cached':>7}  "
          f"{'id':<26} name")
    for e in entries:
        share = "-" if e.cached_share is None else f"{e.cached_share:.0%}"
        print(f"{format_utc(e.created):<20} {e.status:<10} {format_duration(e.duration, '-'):>9} "
              f"{e.total_steps:>6} {share:>7}  {e.id:<26} {plain(e.name)[:60]}")
    return 0

