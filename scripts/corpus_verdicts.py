#!/usr/bin/env python3
"""Record what a real engine does with every corpus Dockerfile: tests/corpus/engines.toml.

    .venv/bin/python scripts/corpus_verdicts.py --host unix:///var/run/docker.sock [CASE ...]

Each case of tests/corpus/cases.toml is built on the engine (its target, build args, platform;
BASE_IMAGE is the seeded offline busybox) and the engine's verdict is written as data, under the
engine's Docker version: "accept" or "reject", the line the engine's error names, a piece of the
message, and the names of every step it announced (from which tests/unit/test_corpus_engines.py
derives which stages ran). The plan must agree with each engine on each case.

Files that crash an engine are never sent to it: ``analysis_only`` cases are skipped, and cases
whose ``crashes_08`` says they crash BuildKit 0.8 are skipped on 20.10, unless ``--throwaway``
says the engine is a throwaway one started for this run (give one case per engine: when the
engine dies the verdict is "crash" and the run ends).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "corpus"))
sys.path.insert(0, str(REPO))

import cases as corpus  # noqa: E402

from msb_tui.analysis.versions import BUILDKIT_08, engine_buildkit  # noqa: E402
from msb_tui.backends import engine_api  # noqa: E402
from msb_tui.builds.inputs import BuildInputs  # noqa: E402
from msb_tui.builds.events import BuildFailed, ImageBuilt, VertexUpdate  # noqa: E402
from msb_tui.offline import OFFLINE_BUILD_ARGS  # noqa: E402

OUT = REPO / "tests" / "corpus" / "engines.toml"
LINE = re.compile(r"\bline (\d+)\b")
LOCAL_IMAGES = {"msb-test-corpus-later": "FROM scratch\nCOPY a.txt /later.txt\n"}


def context(folder: Path, dockerfile: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Dockerfile").write_bytes(dockerfile)
    (folder / "a.txt").write_text("a\n")
    (folder / "b.txt").write_text("b\n")
    return folder


def build(client, folder: Path, case, tags=()) -> dict:
    """Send the file as it is (no refusal: the caller decided it is safe) and read the verdict."""
    args = {}
    if case is not None and b"BASE_IMAGE" in case.source:
        args["BASE_IMAGE"] = OFFLINE_BUILD_ARGS["BASE_IMAGE"]
    if case is not None:
        args.update(case.build_args)
    inputs = BuildInputs(context=folder, target=case.target if case else None, build_args=args,
                         platform=case.platform if case else None, tags=tuple(tags))
    names: dict[str, str] = {}
    image, failure = None, None
    started = time.monotonic()
    saved, engine_api._refusal = engine_api._refusal, lambda client, data: None
    try:
        for event in engine_api.EngineApiBackend(client, record=False).start(inputs):
            if isinstance(event, VertexUpdate):
                names[event.digest] = event.name
            elif isinstance(event, ImageBuilt):
                image = event.image_id
            elif isinstance(event, BuildFailed):
                failure = event.message
    finally:
        engine_api._refusal = saved
    result: dict = {"verdict": "accept" if failure is None and image else "reject"}
    if result["verdict"] == "reject":
        message = failure or "the engine reported neither an image nor an error"
        named = LINE.search(message)
        if named:
            result["line"] = int(named.group(1))
        result["message"] = message[-300:]
    result["steps"] = sorted({name for name in names.values() if not name.startswith("[internal]")})
    result["seconds"] = round(time.monotonic() - started, 2)
    if image and not tags:
        try:
            client.remove_image(image)
        except Exception:  # noqa: BLE001 - in use by another tag: not ours to force
            pass
    return result


def _alive(client) -> bool:
    time.sleep(3)  # a panicking dockerd takes a moment to go
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    text = str(value)
    escaped = "".join(
        {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(char)
        or (f"\\u{ord(char):04x}" if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029" else char)
        for char in text
    )
    return f'"{escaped}"'


def write(data: dict) -> None:
    lines = [
        "# What real engines did with each corpus Dockerfile, recorded by scripts/corpus_verdicts.py (re-run it;",
        "# do not edit by hand). [engines.<lane>] says which engine; [cases.<name>.<lane>] holds its verdict,",
        "# the line its error names, a piece of the message, and the step names it announced.",
        "",
    ]
    for lane, info in sorted(data.get("engines", {}).items()):
        lines.append(f'[engines."{lane}"]')
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in info.items())
        lines.append("")
    for name in sorted(data.get("cases", {})):
        for lane, result in sorted(data["cases"][name].items()):
            lines.append(f'[cases."{name}"."{lane}"]')
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in result.items())
            lines.append("")
    OUT.write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True, help="the engine, e.g. unix:///var/run/docker.sock")
    parser.add_argument("--throwaway", action="store_true",
                        help="the engine was started for this run: send files known to crash it too")
    parser.add_argument("names", nargs="*", help="cases to record (default: all)")
    args = parser.parse_args()
    import docker

    client = docker.APIClient(base_url=args.host, timeout=600)
    version = client.version()["Version"]
    buildkit = engine_buildkit(version)
    lane = ".".join(version.split(".")[:2])
    data = tomllib.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
    data.setdefault("engines", {})[lane] = {"version": version, "buildkit": "{}.{}".format(*buildkit)}
    cases = corpus.load_cases()
    work = Path("/tmp") / f"msb-corpus-verdicts-{lane}"
    for tag, dockerfile in ({} if args.throwaway else LOCAL_IMAGES).items():
        assert build(client, context(work / tag, dockerfile.encode()), None, tags=(tag,))["verdict"] == "accept"
    for name in args.names or list(cases):
        case = cases[name]
        if not args.throwaway and (case.analysis_only or (case.crashes_08 and buildkit <= BUILDKIT_08)):
            print(f"{name}: not sent ({case.analysis_only or case.crashes_08})")
            continue
        try:
            result = build(client, context(work / name, case.source), case)
        except Exception as error:  # noqa: BLE001 - the engine died or hung up: that is the verdict
            result = {"verdict": "crash", "message": str(error)[-300:]}
        if args.throwaway and not _alive(client):
            result = {"verdict": "crash", "message": "the engine died (throwaway run): " + result.get("message", "")}
            data.setdefault("cases", {}).setdefault(name, {})[lane] = result
            print(f"{name}: crash")
            write(data)
            return 0  # a dead engine judges nothing more: restart it and go on with the next case
        data.setdefault("cases", {}).setdefault(name, {})[lane] = result
        print(f"{name}: {result['verdict']} {result.get('line', '')} {result.get('message', '')[:120]}")
        write(data)
    for tag in LOCAL_IMAGES:
        try:
            client.remove_image(tag)
        except Exception:  # noqa: BLE001
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
