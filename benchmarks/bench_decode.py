"""Decode throughput of recorded builds: engine messages -> events (-> BuildModel), per second.

For each recording: the baseline is the bare parsing floor (``json.loads`` per line, plus base64 and
protobuf ``StatusResponse.FromString`` for BuildKit traces, building nothing); msb-tui's path is
``recording.replay(speed=None)`` (JSON, trace decode, typed events, classic step parsing) and the
same fed into ``BuildModel.apply``. Printed side by side: messages/s, events/s, the ratio to the
floor, and the real-time factor (how many times faster than the engine produced it; target >= 10,
so a replay or a live view never falls behind the engine).

Recordings: the fixtures in tests/fixtures/recordings/ (small: each is decoded repeatedly), plus a
1,000,000-line flood recorded on a throw-away second dockerd (see bench_log_flood.py for why a
second engine; ``--no-flood`` skips it).

    .venv/bin/python benchmarks/bench_decode.py [--lines 1000000] [--no-flood]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))
FIXTURES = REPO / "tests" / "fixtures" / "recordings"
REALTIME_TARGET = 10.0
MIN_SECONDS = 0.5  # repeat small recordings until a measurement takes at least this long


def raw_floor(path: Path) -> tuple[int, float]:
    """(messages, seconds) for json + base64 + protobuf parsing only."""
    from msb_tui.builds.trace import StatusResponse

    lines = path.read_bytes().splitlines()[1:]
    started = time.perf_counter()
    count = 0
    for line in lines:
        entry = json.loads(line)
        message = entry.get("m")
        if not isinstance(message, dict):
            continue
        count += 1
        if message.get("id") == "moby.buildkit.trace" and isinstance(message.get("aux"), str):
            StatusResponse.FromString(base64.b64decode(message["aux"]))
    return count, time.perf_counter() - started


def decode(path: Path, with_model: bool) -> tuple[int, float, int]:
    """(events, seconds, log lines the model kept count of) for replay(speed=None), optionally into a BuildModel."""
    from msb_tui.builds.model import BuildModel
    from msb_tui.builds.recording import replay

    started = time.perf_counter()
    events = 0
    model = BuildModel() if with_model else None
    for event in replay(path, speed=None):
        events += 1
        if model is not None:
            model.apply(event)
    elapsed = time.perf_counter() - started
    lines = sum(step.log.total for step in model.steps.values()) if model else 0
    return events, elapsed, lines


def repeat(function, *args):
    """Run until MIN_SECONDS have passed; (result of the first run, seconds per run)."""
    first = None
    runs = 0
    total = 0.0
    while total < MIN_SECONDS or runs == 0:
        result = function(*args)
        first = first or result
        total += result[1]
        runs += 1
    return first, total / runs


def recorded_span(path: Path) -> float:
    lines = path.read_bytes().splitlines()
    times = [json.loads(line).get("t") for line in (lines[1], lines[-2])]
    return max(0.0, (times[1] or 0) - (times[0] or 0))


def record_flood(folder: Path, lines: int) -> Path:
    import docker

    from msb_tui.backends import open_backend
    from msb_tui.builds.inputs import BuildInputs
    from second_engine import SecondEngine

    os.environ["BUILDKIT_STEP_LOG_MAX_SIZE"] = str(1 << 30)
    os.environ["BUILDKIT_STEP_LOG_MAX_SPEED"] = str(1 << 30)
    engine = SecondEngine().start()
    try:
        main_engine = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
        engine.load_image(main_engine, "msb-demo/busybox:1.35")
        burst = lines // 10
        run = f"for i in 0 1 2 3 4 5 6 7 8 9; do seq $((i*{burst}+1)) $(((i+1)*{burst})); sleep 0.3; done"
        context = folder / "ctx"
        context.mkdir()
        (context / "Dockerfile").write_text(f"FROM msb-demo/busybox:1.35\nRUN {run}\n")
        path = folder / "flood.jsonl"
        client = docker.APIClient(base_url=engine.host, version="auto", timeout=None)
        for _ in open_backend("engine", client=client, record=path).start(BuildInputs(context=context, no_cache=True)):
            pass
        return path
    finally:
        engine.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--no-flood", action="store_true")
    args = parser.parse_args()

    recordings = sorted(FIXTURES.glob("*.jsonl"))
    with tempfile.TemporaryDirectory(prefix="msb-bench-decode-") as folder:
        if not args.no_flood:
            print(f"recording a {args.lines:,}-line flood on a second dockerd ...", flush=True)
            recordings.append(record_flood(Path(folder), args.lines))
        print(f"{'recording':<28} {'MB':>6} {'msgs':>7} {'events':>8} {'floor msg/s':>12} {'decode ev/s':>12}"
              f" {'+model ev/s':>12} {'log lines/s':>12} {'decode/floor':>13} {'x real time':>12} {'target':>7}")
        for path in recordings:
            size = path.stat().st_size / 1e6
            (messages, _), floor_s = repeat(raw_floor, path)
            (events, _, _), decode_s = repeat(decode, path, False)
            (_, _, lines), model_s = repeat(decode, path, True)
            span = recorded_span(path)
            realtime = f"{span / model_s:>11.0f}x" if span > 0 else f"{'-':>12}"
            print(f"{path.name[:28]:<28} {size:>6.2f} {messages:>7} {events:>8} {messages / floor_s:>12,.0f}"
                  f" {events / decode_s:>12,.0f} {events / model_s:>12,.0f} {lines / model_s:>12,.0f} {decode_s / floor_s:>12.2f}x"
                  f" {realtime} {'>=' + str(int(REALTIME_TARGET)) + 'x':>7}")
    print("floor = json + base64 + protobuf parse only; decode = recording.replay(speed=None); +model = into BuildModel;")
    print("x real time = recorded build span / (decode + model) time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
