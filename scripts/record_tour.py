#!/usr/bin/env python3
"""Record the builds the tour replays when no engine answers, into msb_tui/tour/recordings/.

Real builds of the demos on the engine that answers (``--no-cache``, the offline images), recorded
as ``msb-tui build`` records them (``scripts/record_fixtures.py`` does the building), plus
``facts.json``: the engine, the Go SDK stage's and the final image's sizes, and what a shell in the
seed example's ``build`` stage shows. Test images get the ``msb-tour/`` prefix and are removed.

    .venv/bin/python scripts/record_tour.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import record_fixtures  # noqa: E402

from msb_tui.backends import open_backend  # noqa: E402
from msb_tui.builds.inputs import BuildInputs  # noqa: E402
from msb_tui.engine.connection import connect  # noqa: E402
from msb_tui.engine.info import gather  # noqa: E402
from msb_tui.offline import offline_build_args  # noqa: E402
from msb_tui.tour import FACTS, RECORDINGS, STEPS  # noqa: E402

EXTRA = {"seed-example-test": ("seed-example", "Dockerfile", "test", "succeeded", False)}
SHELL = "ls -l /out /app/src && . /opt/lib/greet.sh && greet tour"


def build_image(client, demo: str, target: str | None, tag: str) -> str:
    context = REPO / "demo_dockerfiles" / demo
    request = BuildInputs(context=context, dockerfile=context / "Dockerfile", target=target,
                           build_args=offline_build_args((context / "Dockerfile").read_text()), tags=(tag,),
                           network="none")
    for _ in open_backend("engine", client=client).start(request):
        pass
    return client.inspect_image(tag)["Id"]


def main() -> int:
    client = connect(timeout=None)
    record_fixtures.FIXTURES.update(EXTRA)
    record_fixtures.OUT = RECORDINGS
    RECORDINGS.mkdir(parents=True, exist_ok=True)
    names = sorted({name.removesuffix(".jsonl") for step in STEPS
                    for name in (step.recording, step.compare_recording) if name})
    for name in names:
        record_fixtures.record(client, name)
    info = gather(client)
    sizes = {}
    for key, target in (("sdk", "build"), ("final", None)):
        image = build_image(client, "go", target, f"msb-tour/go-{key}")
        sizes[key] = client.inspect_image(image)["Size"]
    build_image(client, "seed-example", "build", "msb-tour/seed-build")
    container = client.create_container("msb-tour/seed-build", ["sh", "-c", SHELL], network_disabled=True)
    try:
        client.start(container)
        client.wait(container, timeout=60)
        output = client.logs(container).decode("utf-8", "replace")
    finally:
        client.remove_container(container, force=True)
    for tag in ("msb-tour/go-sdk", "msb-tour/go-final", "msb-tour/seed-build"):
        client.remove_image(tag, noprune=False)
    facts = {
        "engine": f"Docker {info.version}" if getattr(info, "version", None) else "Docker",
        "recorded": time.strftime("%Y-%m-%d"),
        "sizes": sizes,
        "shell": {"stage": "build", "command": SHELL, "output": output},
    }
    FACTS.write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    print(f"facts: {facts['engine']}, sdk {sizes['sdk']} B, final {sizes['final']} B -> {FACTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
