"""The corpus cannot drift from reality: every case this engine's BuildKit can judge is built for real
and the engine's verdict (and the line it blames, when it names one) must equal the recorded one.

Cases are tiny (``FROM scratch`` or the offline busybox, a COPY of a one-byte file), so each build
takes well under a second. Files marked ``analysis_only`` (e.g. only ARG lines, which panic dockerd
20.10) are never sent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from msb_tui.builds.events import BuildCancelled, BuildFailed, ImageBuilt
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs

from engine_images import discard_untagged

import cases as corpus  # tests/corpus/cases.py (on sys.path through conftest)


CASES = corpus.load_cases()
ENGINE_CASES = sorted(name for name, case in CASES.items() if case.analysis_only is None)
# Local images some cases build on, made from scratch by this test (prefix msb-test-corpus).
LOCAL_IMAGES = {"msb-test-corpus-later": "FROM scratch\nCOPY a.txt /later.txt\n"}
LINE = re.compile(r"\bline (\d+)\b")

pytestmark = pytest.mark.engine


def _context(tmp: Path, dockerfile: bytes) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Dockerfile").write_bytes(dockerfile)
    (tmp / "a.txt").write_text("a\n")
    (tmp / "b.txt").write_text("b\n")
    return tmp


def build(client, context: Path, **request) -> tuple[str, str | None, bool]:
    """Run one build with the project's Engine API backend: (verdict, error message, whether the engine was asked).

    The backend refuses some files itself (no FROM at all: dockerd 20.10 may panic on them); those
    never reach the engine, so only the verdict can be compared.
    """
    image, failure, asked = None, None, True
    for event in open_backend("engine", client=client, record=False).start(BuildInputs(context=context, **request)):
        if isinstance(event, ImageBuilt):
            image = event.image_id
        elif isinstance(event, BuildFailed):
            failure = event.message
            asked = event.detail.get("phase") not in ("validate", "context")
        elif isinstance(event, BuildCancelled):  # pragma: no cover - nothing cancels here
            pytest.fail("the build was cancelled")
    if failure is None and image:
        if not request.get("tags"):
            discard_untagged(client, image)
        return "accept", None, asked
    return "reject", failure or "the engine reported neither an image nor an error", asked


@pytest.fixture(scope="module")
def engine_buildkit(docker_api):
    version = docker_api.version().get("Version", "")
    buildkit = corpus.engine_buildkit(version)
    if buildkit is None:
        pytest.skip(f"unknown BuildKit version for engine {version!r}")
    return buildkit


@pytest.fixture
def local_images(docker_api, tmp_path_factory):
    """The local images some cases build on, on this test's lane, made when missing. Checked per test:
    a module-scoped fixture made them on one lane and its teardown ran when the lane changed, so in a
    whole run a later lane's case found no image and the engine went to Docker Hub for it."""
    for tag, dockerfile in LOCAL_IMAGES.items():
        if docker_api.images(name=tag):
            continue
        context = _context(tmp_path_factory.mktemp(tag), dockerfile.encode())
        verdict, message, _ = build(docker_api, context, tags=(tag,))
        assert verdict == "accept", message
    return set(LOCAL_IMAGES)


@pytest.mark.parametrize("name", ENGINE_CASES)
def test_engine_verdict_matches_corpus(name, docker_api, engine_buildkit, local_images, tmp_path, request):
    case = CASES[name]
    expected = case.expected_on(engine_buildkit)
    if expected is None:
        pytest.skip(f"needs BuildKit {case.needs_buildkit}; the corpus records no verdict for {engine_buildkit}")
    if case.crashes_08 and engine_buildkit <= corpus.BUILDKIT_08:
        pytest.skip(f"never sent to BuildKit 0.8: {case.crashes_08}")
    verdict, line = expected
    assert set(case.requires_images) <= local_images, f"add {case.requires_images} to LOCAL_IMAGES"
    source = case.source
    build_args = {}
    if b"BASE_IMAGE" in source:  # the busybox cases: use the seeded offline image
        build_args["BASE_IMAGE"] = request.getfixturevalue("offline_images")["BASE_IMAGE"]
    build_args.update(case.build_args)
    current = case.needs_buildkit is None or engine_buildkit >= corpus.parse_version(case.needs_buildkit)

    outcome, message, asked = build(
        docker_api, _context(tmp_path / "ctx", source),
        target=case.target, build_args=build_args, platform=case.platform,
    )

    if case.needs_session:  # the file is fine; an Engine API build has no session to serve the mount
        assert outcome == "reject" and "no active sessions" in (message or ""), (outcome, message)
        return
    assert outcome == verdict, f"{name}: engine says {outcome} ({message}); corpus says {verdict}"
    if outcome == "reject" and asked:
        named = LINE.search(message)
        if named is not None:  # BuildKit 0.8 only names lines for parser errors
            assert line is not None and int(named.group(1)) == line, f"{name}: engine blames {named.group(0)}: {message}"
        if case.engine_message and current:
            assert case.engine_message in message, f"{name}: {message!r} lacks {case.engine_message!r}"


def test_engine_checks_most_of_the_corpus(engine_buildkit):
    """Guard against a corpus that silently stops being checked (e.g. everything marked analysis_only)."""
    judged = [n for n in ENGINE_CASES if CASES[n].expected_on(engine_buildkit) is not None]
    assert len(judged) >= 40, judged

