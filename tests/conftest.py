"""Shared fixtures. Real-engine tests use ``docker_api``; they fail in CI when no engine answers
(CI starts one through scripts/dev.sh) and are skipped elsewhere with the reason."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMOS = REPO / "demo_dockerfiles"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# tests/ is not a package: the corpus loader (tests/corpus/cases.py), shared by the pure and the
# real-engine corpus tests, is importable as ``cases``.
sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))


def _engine_missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI needs a Docker engine: {reason}")
    pytest.skip(f"no Docker engine: {reason}")


@pytest.fixture(params=["docker-py", "plain"])
def engine_client(request, docker_api):
    """Each way a build reaches the engine: docker-py's client (the TUI) and PlainEngine (``msb-tui build``)."""
    if request.param == "docker-py":
        return docker_api
    from msb_tui.engine.plain_http import connect_plain

    engine = connect_plain(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))
    assert engine is not None, "the engine answers docker-py but not PlainEngine"
    return engine


@pytest.fixture(scope="session")
def docker_api():
    """A low-level ``docker.APIClient`` on the engine the suite runs against."""
    import docker

    try:
        client = docker.APIClient(base_url=os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"), timeout=600)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no engine"
        _engine_missing(str(error))
    return client


@pytest.fixture(scope="session")
def offline_images(docker_api):
    """The seeded offline base images exist (``msb-tui demo-images``); returns the build args selecting them."""
    from msb_tui.offline import OFFLINE_BUILD_ARGS

    for ref in OFFLINE_BUILD_ARGS.values():
        if not docker_api.images(name=ref):
            _engine_missing(f"offline image {ref} is missing: run 'msb-tui demo-images'")
    return dict(OFFLINE_BUILD_ARGS)


@pytest.fixture(scope="session")
def demos() -> Path:
    return DEMOS


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
