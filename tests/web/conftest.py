"""Browser tests: ``msb-tui serve`` driven in Debian's headless Chromium (scripts/dev.sh installs it).
They fail in CI without Chromium or Playwright, and are skipped elsewhere with the reason."""

from __future__ import annotations

import os

import pytest

import driver


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the browser tests' tools: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    if driver.chromium_path() is None:
        _missing("no chromium (apt-get install chromium; scripts/dev.sh setup does it)")
    with driver.browser() as instance:
        yield instance


@pytest.fixture
def serve(tmp_path, request):
    """``serve(args)`` starts ``msb-tui serve ARGS`` from the repository (stopped after the test)."""
    started = []

    def start(args: list[str]):
        context = driver.serve(args, cwd=request.config.rootpath, log_dir=tmp_path)
        served = context.__enter__()
        started.append(context)
        return served

    yield start
    for context in reversed(started):
        context.__exit__(None, None, None)


@pytest.fixture
def page_of(chromium):
    """``page_of(url)`` opens a page with the terminal hook (closed after the test)."""
    pages = []

    def open_(url: str):
        page = driver.open_page(chromium, url)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()
