"""msb-tui serve in a real browser (Debian's Chromium, headless): the page, keys, a replay, the tour,
the token and the session limit."""

from __future__ import annotations

import pytest

from driver import focus_terminal, wait_for_text

pytestmark = pytest.mark.slow


def test_page_loads_and_keys_reach_the_app(serve, page_of):
    served = serve(["--demo", "seed-example"])
    page = page_of(served.url("?fontsize=18"))
    wait_for_text(page, "seed-example", "3/4 stages, 3 waves")
    assert page.title() == "msb-tui — seed-example"
    assert page.get_attribute("#terminal", "data-font-size") == "18"
    focus_terminal(page)
    page.keyboard.press("?")
    wait_for_text(page, "Everywhere", "Graph (home)", "command palette")  # the help screen


def test_a_replayed_build_shows_its_lanes(serve, page_of):
    served = serve(["--replay", "tests/fixtures/recordings/parallel.jsonl", "--speed", "max"])
    page = page_of(served.url())
    text = wait_for_text(page, "SUCCEEDED", "backend", "frontend", "docs", "max at once 3")
    assert "replay parallel.jsonl" in text


def test_the_tour_advances_with_one_key(serve, page_of):
    served = serve(["--tour", "--recordings"])
    page = page_of(served.url())
    wait_for_text(page, "1/8", "The stage graph", "replaying recordings of real builds")
    focus_terminal(page)
    page.keyboard.press("ArrowRight")
    wait_for_text(page, "2/8", "skips `test`")
    page.keyboard.press("PageDown")
    wait_for_text(page, "3/8", "side by side")


def test_without_the_token_the_server_refuses(serve, page_of):
    served = serve(["--demo", "go", "--host", "0.0.0.0"])
    printed = served.printed()
    token = printed.split("?token=", 1)[1].split()[0] if "?token=" in printed else None
    assert token, printed
    refused = page_of(served.url())
    assert "needs its token" in refused.inner_text("body")
    # Nor can a script open the websocket without it.
    code = refused.evaluate("""() => new Promise((done) => {
        const ws = new WebSocket(`ws://${location.host}/ws?width=80&height=24`);
        ws.onopen = () => done("open"); ws.onclose = (e) => done("closed " + e.code); })""")
    assert code.startswith("closed")
    page = page_of(served.url(f"?token={token}"))
    wait_for_text(page, "msb-tui", "go")


def test_the_session_limit_holds_and_says_why(serve, page_of):
    served = serve(["--demo", "seed-example", "--max-sessions", "1"])
    first = page_of(served.url())
    wait_for_text(first, "3/4 stages, 3 waves")
    second = page_of(served.url())
    assert "session refused: 1 of 1 browser sessions are open" in second.inner_text("body")
    first.close()
    for _ in range(100):  # the first session's app process ends
        second.wait_for_timeout(100)
        second.reload()
        if "session refused" not in second.inner_text("body"):
            break
    wait_for_text(second, "3/4 stages, 3 waves")
