"""Shared fixtures. Real-engine tests use ``docker_api`` (or ``engine_lane``); they fail in CI when
no engine answers (CI starts them through scripts/dev.sh) and are skipped elsewhere with the reason.

Every real-engine test runs once per engine lane (msb_tui/engine/lanes.py): ``current`` (Docker
28.x, the primary lane), ``containerd`` (the same with the containerd image store) and ``compat``
(Docker 20.10). Its id ends in the lane (``test_x[current]``) and it carries the mark
``lane_<name>``: ``-m lane_current`` runs one lane alone; ``MSB_TUI_LANES=current,compat`` limits
the lanes (in set-up too). While such a test runs, ``DOCKER_HOST`` points at its lane's engine, so
the msb-tui and docker commands it starts use that engine too."""

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


def _lane_params() -> list:
    from msb_tui.engine.lanes import selected_lanes

    return [pytest.param(lane, id=lane.name, marks=getattr(pytest.mark, f"lane_{lane.name}")) for lane in selected_lanes()]


@pytest.fixture(scope="session", params=_lane_params())
def engine_lane(request):
    """The engine lane a real-engine test runs on (an :class:`msb_tui.engine.lanes.Lane`)."""
    return request.param


@pytest.fixture(autouse=True)
def _lane_docker_host(request, monkeypatch):
    """Point DOCKER_HOST at the lane's engine for tests on a lane (subprocesses, connect())."""
    if "engine_lane" in request.fixturenames:
        monkeypatch.setenv("DOCKER_HOST", request.getfixturevalue("engine_lane").host)
        monkeypatch.delenv("DOCKER_CONTEXT", raising=False)


@pytest.fixture(scope="session")
def docker_api(engine_lane):
    """A low-level ``docker.APIClient`` on the lane's engine."""
    import docker

    try:
        client = docker.APIClient(base_url=engine_lane.host, timeout=600)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no engine"
        _engine_missing(f"{engine_lane.name} lane ({engine_lane.host}): {error}; run 'scripts/dev.sh setup'")
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


_LANE_TIMES: dict[str, list[float]] = {}


def pytest_runtest_logreport(report):
    """Add up each engine lane's test time (setup, call and teardown), for the summary below."""
    lane = next((key[len("lane_"):] for key in report.keywords if key.startswith("lane_")), None)
    if lane is not None:
        totals = _LANE_TIMES.setdefault(lane, [0, 0.0, 0])
        totals[1] += report.duration
        if report.when == "call":
            totals[0] += 1
        if report.failed:
            totals[2] += 1


def pytest_terminal_summary(terminalreporter):
    """One line per engine lane: how many real-engine tests ran there and how long they took."""
    if not _LANE_TIMES:
        return
    terminalreporter.section("engine lanes")
    for lane, (count, seconds, failed) in _LANE_TIMES.items():
        terminalreporter.write_line(f"{lane:<11} {count:>4} tests  {seconds:7.1f} s  {failed} failed")
