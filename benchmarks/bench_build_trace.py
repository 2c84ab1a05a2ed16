"""Benchmark: the two BuildKit trace decoders msb-tui ships, and why it uses both.

``msb_tui.builds.trace`` parses with the protobuf library (C upb backend); ``msb_tui.builds.trace_wire``
reads the wire format in pure Python. Both turn base64 ``moby.buildkit.trace`` aux values into the
same events (checked here), measured in the same run on the traces captured from real builds
(tests/fixtures/recordings) and on a log flood (StatusResponses of 50 log lines each, as BuildKit
batches container output). Also measured: what importing each costs a fresh process.
``MessageDecoder`` decodes a build's first 100 traces with trace_wire (a short build never pays the
protobuf import) and the rest with protobuf. Target: protobuf is at least as fast per message as
trace_wire (>= 1.0x) on both sets, else the switch would not pay.

    .venv/bin/python benchmarks/bench_build_trace.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from google.protobuf.internal import api_implementation  # noqa: E402

from msb_tui.builds.trace import StatusResponse, decode_trace  # noqa: E402
from msb_tui.builds.trace_wire import decode_trace as wire_decode_trace  # noqa: E402

TARGET = 1.0


def captured() -> list[str]:
    out = []
    for path in sorted((REPO / "tests" / "fixtures" / "recordings").glob("*.jsonl")):
        for line in path.read_text().splitlines()[1:]:
            message = json.loads(line).get("m") or {}
            if message.get("id") == "moby.buildkit.trace":
                out.append(message["aux"])
    return out


def log_flood(count: int = 200) -> list[str]:
    out = []
    for n in range(count):
        response = StatusResponse()
        for i in range(50):
            log = response.logs.add(vertex="sha256:" + "ab" * 32, stream=1, msg=f"compiling module {n}.{i} ... ok\n".encode())
            log.timestamp.seconds, log.timestamp.nanos = 1_795_000_000 + n, i * 1000
        out.append(base64.b64encode(response.SerializeToString()).decode())
    return out


def rate(decode, traces: list[str], seconds: float) -> float:
    """Messages decoded per second (best of repeated passes within ``seconds``)."""
    best = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for aux in traces:
            decode(aux)
        elapsed = time.perf_counter() - start
        best = max(best, len(traces) / elapsed)
    return best


def import_ms(module: str) -> float:
    import statistics
    import subprocess

    code = f"import time, msb_tui.builds.events; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(9)]
    return statistics.median(runs) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"protobuf backend: {api_implementation.Type()}")
    for module in ("msb_tui.builds.trace", "msb_tui.builds.trace_wire"):
        print(f"import {module:<26} {import_ms(module):5.1f} ms in a fresh process (median of 9, events already imported)")
    ok = True
    for label, traces in (("captured traces", captured()), ("log flood (50 lines/msg)", log_flood())):
        assert all(decode_trace(a) == wire_decode_trace(a) for a in traces), "decoders disagree"
        ours = rate(decode_trace, traces, args.seconds)
        base = rate(wire_decode_trace, traces, args.seconds)
        ratio = ours / base
        ok &= ratio >= TARGET
        print(f"{label:<26} {len(traces):>5} msgs   protobuf (upb) {ours:>9,.0f} msg/s   trace_wire (pure Python) {base:>9,.0f} msg/s"
              f"   ratio {ratio:.2f}x (target >= {TARGET:.1f}x) {'OK' if ratio >= TARGET else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
