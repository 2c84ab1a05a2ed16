"""The Dockerfile tokenizer: styles for keywords, flags, strings, variables, comments; text kept literal."""

from __future__ import annotations

from msb_tui.tui.widgets.dockerfile_view import DARK, highlight_dockerfile, highlight_line


def _styled(text):
    return {text.plain[span.start : span.end]: str(span.style) for span in text.spans}


def test_tokens_get_their_styles():
    line, more = highlight_line('RUN --mount=type=cache,target=/root/.cache go build -o "$OUT/app" ${FLAGS} # x')
    styles = _styled(line)
    assert styles["RUN"] == DARK.keyword
    assert styles["--mount=type=cache,target=/root/.cache"] == DARK.flag
    assert styles['"$OUT/app"'] == DARK.string
    assert styles["${FLAGS}"] == DARK.variable
    assert not more


def test_from_as_names_the_stage():
    line, _ = highlight_line("FROM ${SDK_IMAGE} AS build")
    styles = _styled(line)
    assert styles["AS"] == DARK.keyword and styles["build"] == DARK.stage and styles["${SDK_IMAGE}"] == DARK.variable


def test_continuations_are_not_read_as_instructions():
    lines = highlight_dockerfile("RUN apt-get update \\\n    # a comment inside\n    && COPY x y\nCOPY a b\n")
    assert "COPY" not in _styled(lines[2])  # the word COPY inside a continued RUN is an argument
    assert _styled(lines[1])["    # a comment inside"] == DARK.comment
    assert _styled(lines[3])["COPY"] == DARK.keyword


def test_markup_and_escapes_stay_literal():
    lines = highlight_dockerfile('RUN echo "[bold]x[/]" [@click=app.quit]y[/] \x1b]0;title\x07\x1b[31mred\n')
    plain = lines[0].plain
    assert '"[bold]x[/]"' in plain and "[@click=app.quit]y[/]" in plain
    assert "\x1b" not in plain and "\x07" not in plain and "title" not in plain
    assert plain.endswith("red")
