"""Broken recordings and build logs as data (issue 15: 87 kinds were probed; these reconstruct them).

Each case is ``(name, bytes)``. ``RECORDINGS`` are fed to ``msb-tui replay`` (and ``history``),
``LOGS`` to ``msb-tui import-log``. The contract for every one: a result or a clear error, never a
traceback and never a hang; what was valid before the damage is still shown.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = json.dumps({"kind": "msb-tui-recording", "version": 1,
                     "inputs": {"context": "ctx", "dockerfile_text": "FROM scratch\nCOPY a /a\n", "classic": False}})
FOOTER = json.dumps({"kind": "end", "t": 103.0, "outcome": "succeeded", "image_id": "sha256:1", "error": None, "messages": 2})


def _trace(data: bytes) -> dict:
    return {"id": "moby.buildkit.trace", "aux": base64.b64encode(data).decode()}


def _vertex(digest: bytes, name: bytes, started: bool = True) -> bytes:
    """A StatusResponse with one vertex (digest=1, name=3, started=5 as a Timestamp)."""
    body = b"\x0a" + bytes([len(digest)]) + digest + b"\x1a" + bytes([len(name)]) + name
    if started:
        body += b"\x2a\x06\x08\x80\xe6\xc6\xab\x06"  # started: seconds=1700000000
    return b"\x0a" + bytes([len(body)]) + body


def _log(digest: bytes, data: bytes) -> bytes:
    body = b"\x0a" + bytes([len(digest)]) + digest + b"\x10\x01" + b"\x22" + bytes([len(data)]) + data
    return b"\x1a" + bytes([len(body)]) + body


def _body(*lines: str | bytes, header: str | bytes = HEADER, footer: str | bytes | None = FOOTER) -> bytes:
    parts = [header, *lines] + ([footer] if footer is not None else [])
    return b"".join((p if isinstance(p, bytes) else p.encode()) + b"\n" for p in parts)


def _m(message, t: object = 101.0) -> str:
    return json.dumps({"t": t, "m": message})


GOOD = _m({"stream": "good line\n"}, 100.0)


def _recordings() -> list[tuple[str, bytes]]:
    deep = "[" * 5000 + "]" * 5000
    good = (FIXTURES / "recordings" / "parallel.jsonl").read_bytes()
    half = good[: len(good) // 2]
    cases = [
        # --- the file and its header
        ("empty-file", b""),
        ("only-newline", b"\n"),
        ("binary-garbage", bytes(range(256)) * 8),
        ("nul-bytes", b"\0" * 5000),
        ("utf16-bom", ("\ufeff" + HEADER).encode("utf-16")),
        ("header-not-json", _body(header="not json")),
        ("header-array", _body(header="[1, 2]")),
        ("header-other-kind", _body(header='{"kind": "other", "inputs": {}}')),
        ("header-no-inputs", _body(header='{"kind": "msb-tui-recording", "version": 1}')),
        ("header-inputs-not-dict", _body(header='{"kind": "msb-tui-recording", "inputs": [1]}')),
        ("header-deeply-nested", _body(header='{"kind": "msb-tui-recording", "inputs": {"x": ' + deep + "}}")),
        ("header-future-version", _body(GOOD, header='{"kind": "msb-tui-recording", "version": 999, "inputs": {}}')),
        ("header-only", _body(footer=None)),
        ("header-cut", HEADER[: len(HEADER) // 2].encode()),
        ("header-dockerfile-not-text", _body(GOOD, header=json.dumps(
            {"kind": "msb-tui-recording", "inputs": {"dockerfile_text": {"x": 1}, "target": ["a"], "build_args": "x"}}))),
        ("header-dockerfile-binary", _body(GOOD, header=json.dumps(
            {"kind": "msb-tui-recording", "inputs": {"dockerfile_text": "FROM \x00\x1b]0;x\x07 scratch\n" * 50}}))),
        ("header-started-infinite", _body(GOOD, header='{"kind": "msb-tui-recording", "inputs": {"started": 1e999}}')),
        ("header-started-huge", _body(GOOD, header='{"kind": "msb-tui-recording", "inputs": {"started": 1e300}}')),
        ("header-classic-with-traces", _body(_m(_trace(_vertex(b"sha256:a", b"[1/2] RUN x"))), header=json.dumps(
            {"kind": "msb-tui-recording", "inputs": {"classic": True, "dockerfile_text": "FROM scratch\n"}}))),
        # --- message lines
        ("line-not-json", _body(GOOD, "{oops", GOOD)),
        ("line-array", _body(GOOD, "[1, 2]", GOOD)),
        ("line-number", _body(GOOD, "42", GOOD)),
        ("line-string", _body(GOOD, '"text"', GOOD)),
        ("line-no-time", _body(GOOD, '{"m": {"stream": "x"}}')),
        ("line-no-message", _body(GOOD, '{"t": 1.0}')),
        ("time-string", _body(_m({"stream": "x"}, "soon"))),
        ("time-null", _body(_m({"stream": "x"}, None))),
        ("time-bool", _body(_m({"stream": "x"}, True))),
        ("time-nan", _body(GOOD, '{"t": NaN, "m": {"stream": "x"}}')),
        ("time-infinity", _body(GOOD, '{"t": Infinity, "m": {"stream": "x"}}')),
        ("time-minus-infinity", _body(GOOD, '{"t": -Infinity, "m": {"stream": "x"}}')),
        ("time-1e300", _body(GOOD, _m({"stream": "x"}, 1e300), _m({"stream": "y"}, 102.0))),
        ("time-negative", _body(_m({"stream": "x"}, -1e300))),
        ("time-backwards", _body(_m({"stream": "a"}, 200.0), _m({"stream": "b"}, 100.0))),
        ("time-huge-int", _body(GOOD, '{"t": ' + "9" * 400 + ', "m": {"stream": "x"}}')),
        ("message-list", _body(_m([1, 2]))),
        ("message-null", _body(_m(None))),
        ("message-string", _body(_m("hello"))),
        ("message-deep-2000", _body(GOOD, '{"t": 1.0, "m": ' + "[" * 2000 + "]" * 2000 + "}")),
        ("message-deep-100000", _body(GOOD, '{"t": 1.0, "m": ' + "[" * 100000 + "]" * 100000 + "}", GOOD)),
        ("message-deep-dict", _body(GOOD, _m({"stream": "x", "extra": json.loads("[" * 500 + "]" * 500)}))),
        ("trace-aux-not-base64", _body(_m({"id": "moby.buildkit.trace", "aux": "!!!not base64!!!"}))),
        ("trace-aux-number", _body(_m({"id": "moby.buildkit.trace", "aux": 12}))),
        ("trace-aux-empty", _body(_m({"id": "moby.buildkit.trace", "aux": ""}))),
        ("trace-garbage-protobuf", _body(_m(_trace(b"\xff\xff\xff\xff\xff")))),
        ("trace-truncated-varint", _body(_m(_trace(b"\x0a\x02\xff")))),
        ("trace-huge-length", _body(_m(_trace(b"\x0a\xff\xff\xff\xff\x0f" + b"x" * 10)))),
        ("trace-wrong-wire-types", _body(_m(_trace(b"\x0d\x00\x00\x00\x00\x15\x00\x00\x00\x00")))),
        ("trace-log-unknown-vertex", _body(_m(_trace(_log(b"sha256:nobody", b"orphan\n"))))),
        ("trace-vertex-control-chars", _body(_m(_trace(_vertex(b"sha256:v", b"[1/1] RUN \x1b]0;pwned\x07 \x1b[2J x"))))),
        ("trace-vertex-markup", _body(_m(_trace(_vertex(b"sha256:v", b"[1/1] RUN [@click=app.quit]boom[/]"))))),
        ("trace-log-invalid-utf8", _body(_m(_trace(_vertex(b"sha256:v", b"[1/1] RUN x"))),
                                         _m(_trace(_log(b"sha256:v", b"\xff\xfe\xc3(\n"))))),
        ("trace-timestamp-absurd", _body(_m(_trace(b"\x0a\x1a\x0a\x08sha256:v\x1a\x04RUN \x2a\x08\x08\xff\xff\xff\xff\xff\xff\xff\x7f")))),
        ("error-not-string", _body(_m({"error": {"x": 1}, "errorDetail": "nope"}), footer=None)),
        ("error-empty", _body(_m({"error": "", "errorDetail": {}}))),
        ("image-id-not-string", _body(_m({"id": "moby.image.id", "aux": {"ID": 5}}))),
        ("stream-not-string", _body(_m({"stream": ["x"]}))),
        ("stream-huge", _body(_m({"stream": "x" * 2_000_000 + "\n"}))),
        ("stream-escape-sequences", _body(_m({"stream": "\x1b]52;c;cGF3bmVk\x07\x1b[31mred\x1b[0m\x1b[2J\n"}))),
        ("status-odd", _body(_m({"status": {"x": 1}, "id": ["a"], "progress": None}))),
        ("raw-entry", _body('{"t": 1.0, "raw": "{not json"}')),
        ("raw-not-string", _body('{"t": 1.0, "raw": {"x": 1}}')),
        ("note-entry", _body('{"t": 1.0, "note": "recording size limit reached"}')),
        ("unknown-keys", _body('{"t": 1.0, "m": {"stream": "x"}, "zzz": [1]}')),
        ("trailing-garbage", _body(GOOD + " trailing")),
        ("two-objects-one-line", _body(GOOD + GOOD)),
        ("crlf-line-ends", _body(GOOD, GOOD).replace(b"\n", b"\r\n")),
        ("blank-lines", _body(GOOD, "", "   ", GOOD)),
        ("lone-cr-inside", _body(GOOD[:-1] + "\r" + "}")),
        ("invalid-utf8-line", _body(GOOD).replace(b"good", b"go\xff\xfed")),
        ("utf8-cut-mid-sequence", _body(_m({"stream": "é"}), footer=None)[:-3]),
        # --- the footer and the end
        ("no-footer", _body(GOOD, footer=None)),
        ("footer-cut", _body(GOOD, footer=FOOTER[:20])[:-1]),
        ("last-line-cut", _body(GOOD, GOOD, footer=None)[:-10]),
        ("lines-after-footer", _body(GOOD) + GOOD.encode() + b"\n"),
        ("two-footers", _body(GOOD) + FOOTER.encode() + b"\n"),
        ("footer-unknown-outcome", _body(GOOD, footer='{"kind": "end", "outcome": "exploded"}')),
        ("footer-no-outcome", _body(GOOD, footer='{"kind": "end"}')),
        ("footer-time-infinite", _body(GOOD, footer='{"kind": "end", "t": Infinity, "outcome": "cancelled"}')),
        ("footer-image-not-string", _body(GOOD, footer='{"kind": "end", "outcome": "succeeded", "image_id": [1]}')),
        ("footer-error-dict", _body(GOOD, footer='{"kind": "end", "outcome": "failed", "error": {"a": 1}}')),
        ("real-recording-cut-in-half", half),
        ("real-recording-doubled", good + good),
        ("real-recording-bytes-flipped", good.replace(b'"aux":"', b'"aux":"#', 3)),
        ("real-recording-no-newline-at-end", good.rstrip(b"\n")),
    ]
    return cases


def _logs() -> list[tuple[str, bytes]]:
    good = (FIXTURES / "plain_logs" / "parallel.log").read_bytes()
    gha = (FIXTURES / "plain_logs" / "github-actions-parallel.log").read_bytes()
    classic = (FIXTURES / "plain_logs" / "seed-example-classic.log").read_bytes()
    return [
        ("log-empty", b""),
        ("log-whitespace", b"  \n\n\t\n"),
        ("log-prose", b"Lorem ipsum dolor sit amet.\nNothing to see here.\n" * 20),
        ("log-binary", bytes(range(256)) * 4),
        ("log-nul-in-middle", good[:200] + b"\0" + good[200:]),
        ("log-lone-cr", good.replace(b"\n", b"\r")),
        ("log-crlf", good.replace(b"\n", b"\r\n")),
        ("log-invalid-utf8", good.replace(b"#", b"\xff#", 5)),
        ("log-headers-only", b"#1 [build 1/2] FROM x\n#2 [build 2/2] RUN y\n"),
        ("log-done-without-header", b"#7 DONE 1.2s\n#8 CACHED\n"),
        ("log-error-without-header", b"#3 ERROR: process did not complete\n------\n > [x]:\n------\nERROR: failed to solve\n"),
        ("log-unclosed-error-block", good + b"------\n > [build 2/2] RUN y:\n"),
        ("log-glued-lines", b"#1 [a 1/1] RUN x\n#1 0.100 partial#1 DONE 0.2s\n"),
        ("log-huge-offset", b"#1 [a 1/1] RUN x\n#1 1e309 huge\n#1 99999999999999999999.5 big\n#1 DONE 0.1s\n"),
        ("log-infinite-duration", b"#1 [a 1/1] RUN x\n#1 DONE 1e400s\n#1 DONE 99999999999999999999999s\n"),
        ("log-huge-vertex-number", b"#99999999999999999999999999 [a 1/1] RUN x\n#99999999999999999999999999 DONE 0.1s\n"),
        ("log-bad-iso-stamp", b"2024-13-45T99:99:99.1234567Z #1 [a 1/1] RUN x\n2024-13-45T99:99:99Z #1 DONE 0.1s\n"),
        ("log-year-zero-stamp", b"0000-01-01T00:00:00Z #1 [a 1/1] RUN x\n0000-01-01T00:00:01Z #1 DONE 0.1s\n"),
        ("log-bad-zone-stamp", b"2024-01-01T10:00:00+99:99 #1 [a 1/1] RUN x\n2024-01-01T10:00:00+99:99 #1 DONE 0.1s\n"),
        ("log-bad-acr-stamp", b"2024/02/31 25:61:61 #1 [a 1/1] RUN x\n2024/02/31 25:61:61 #1 DONE 0.1s\n"),
        ("log-stamps-backwards", b"2024-01-01T10:00:05Z #1 [a 1/1] RUN x\n2024-01-01T10:00:00Z #1 DONE 0.1s\n"),
        ("log-escape-sequences", b"#1 [a 1/1] RUN \x1b]0;pwned\x07x\n#1 0.1 \x1b[2J\x1b]52;c;cA==\x07red\n#1 DONE 0.1s\n"),
        ("log-markup", b"#1 [a 1/1] RUN [@click=app.quit]x[/]\n#1 0.1 [bold]ls [/]\n#1 DONE 0.1s\n"),
        ("log-sizes-absurd", b"#1 [a 1/1] FROM x\n#1 sha256:ab 99999999999TB / 1e999GB 1e999s\n#1 DONE 0.1s\n"),
        ("log-only-ci-noise", b"##[group]Run docker build\n::set-output name=x::y\n##[endgroup]\n"),
        ("log-github-cut-in-half", gha[: len(gha) // 2]),
        ("log-classic-absurd-steps", b"Step 999999999/1000000000 : FROM x\n ---> abc\nStep 5/3 : RUN y\n"),
        ("log-classic-zero-steps", b"Step 0/0 : FROM x\nStep 1/0 : RUN y\n"),
        ("log-classic-cut", classic[: len(classic) // 3]),
        ("log-mixed-classic-and-buildkit", classic + good),
        ("log-very-long-line", b"#1 [a 1/1] RUN x\n#1 0.1 " + b"y" * 3_000_000 + b"\n#1 DONE 0.1s\n"),
        ("log-no-newline-at-all", b"#1 [a 1/1] RUN x" * 1000),
        ("log-deep-brackets-in-name", b"#1 " + b"[" * 10000 + b"\n#1 DONE 1s\n"),
    ]


RECORDINGS = _recordings()
LOGS = _logs()
