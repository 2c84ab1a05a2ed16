"""BuildKit's shell-word expansion as used in FROM lines and global ARG defaults."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msb_tui.analysis.args import ExpansionError, expand, has_variable
from msb_tui.analysis.platforms import platform_args

ENV = {"A": "linux/amd64", "EMPTY": "", "V": "1.22.3", "IMG": "golang"}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("$A", "linux/amd64"),
        ("${A}", "linux/amd64"),
        ("${UNSET}", ""),
        ("x$UNSET.y", "x.y"),
        ("${UNSET:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${UNSET-def}", "def"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${A#linux/}", "amd64"),
        ("${A#*/}", "amd64"),
        ("${V#*.}", "22.3"),
        ("${V##*.}", "3"),
        ("${V%.*}", "1.22"),
        ("${V%%.*}", "1"),
        ("${A/amd64/arm64}", "linux/arm64"),
        ("${V//./-}", "1-22-3"),
        ("${IMG}:${V%.*}-alpine", "golang:1.22-alpine"),
        # A name runs over every Unicode letter, as in Go: `$Aé` is the unset `Aé` (seen on
        # 28.5.2: FROM busybox$Aé with ARG A=x pulled `busybox`).
        ("busybox$Aé", "busybox"),
        ("${UNSET:-${IMG}}", "golang"),
        ("\\$A", "$A"),
        ("'$A'", "$A"),
        ('"$A"', "linux/amd64"),
        ("a$", "a$"),
    ],
)
def test_expansion_forms(word, expected):
    assert expand(word, ENV).result == expected


def test_unmatched_names():
    expansion = expand("${IMG}:${TAG:-x}", ENV)
    assert expansion.unmatched == {"TAG"}


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("${A:-x", "missing '}'"),
        ("${}", "bad substitution"),
        ("${A:#x}", "unsupported modifier (:#)"),
        ("${UNSET:?}", "UNSET: is not allowed to be unset"),
        ("${EMPTY:?}", "EMPTY: is not allowed to be empty"),
        ("'open", "matching single-quote"),
    ],
)
def test_expansion_errors(word, message):
    with pytest.raises(ExpansionError, match="failed to process") as raised:
        expand(word, ENV)
    assert message in str(raised.value)


def test_escape_character_can_be_backtick():
    assert expand("a`$b", {"b": "x"}, escape="`").result == "a$b"


def test_has_variable():
    assert has_variable("$X")
    assert has_variable("s${X}")
    assert not has_variable("build")
    assert not has_variable("0")


def test_platform_args_defaults_and_override():
    assert platform_args()["TARGETPLATFORM"] == "linux/amd64"
    arm = platform_args("linux/arm/v7")
    assert (arm["TARGETOS"], arm["TARGETARCH"], arm["TARGETVARIANT"]) == ("linux", "arm", "v7")


NAMES = st.sampled_from(["A", "B", "C_1", "lower"])
VALUES = st.text(alphabet=st.characters(blacklist_characters="$\\'\"`{}", blacklist_categories=("Cs",)), max_size=12)


@given(name=NAMES, value=VALUES, default=VALUES)
def test_random_values_expand_as_documented(name, value, default):
    env = {name: value}
    assert expand(f"${name}", env).result == value
    assert expand(f"${{{name}}}", env).result == value
    assert expand(f"${{{name}:-{default}}}", env).result == (value if value else default)
    assert expand(f"${{{name}-{default}}}", env).result == value
    assert expand(f"${{{name}:+{default}}}", env).result == (default if value else "")
    assert expand(f"${{{name}+{default}}}", env).result == default
    assert expand(f"${{UNSET_X:-{default}}}", env).result == default
    assert expand(f"${{UNSET_X+{default}}}", env).result == ""


LITERALS = st.text(alphabet="abcxyz./-_:0123", max_size=8)


@given(prefix=LITERALS, middle=LITERALS, suffix=LITERALS)
def test_random_prefix_suffix_trims(prefix, middle, suffix):
    value = prefix + middle + suffix
    env = {"V": value}
    assert expand("${V#" + prefix + "}", env).result == value[len(prefix):]
    assert expand("${V%" + suffix + "}", env).result == (value[: len(value) - len(suffix)] if suffix else value)
    # "*" patterns: shortest vs longest match
    if "." in value:
        assert expand("${V#*.}", env).result == value.split(".", 1)[1]
        assert expand("${V##*.}", env).result == value.rsplit(".", 1)[1]
        assert expand("${V%.*}", env).result == value.rsplit(".", 1)[0]
        assert expand("${V%%.*}", env).result == value.split(".", 1)[0]


IMAGE_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,8}(/[a-z][a-z0-9]{0,8})?", fullmatch=True)
TAGS = st.from_regex(r"[a-z0-9][a-z0-9.\-]{0,6}", fullmatch=True)


@settings(deadline=None)  # the first example starts BuildKit's parser (Go): 340 ms on a loaded machine
@given(default=IMAGE_NAMES, override=st.one_of(st.none(), IMAGE_NAMES), tag=TAGS, suffix=TAGS)
def test_random_global_args_expand_in_from_lines(default, override, tag, suffix):
    from msb_tui.analysis import analyze

    text = (
        f"ARG IMG={default}\nARG TAG={tag}\nARG FULL=${{IMG}}:${{TAG}}\n"
        f"FROM ${{IMG}}:${{TAG:-x}}-{suffix} AS one\nFROM $FULL\nFROM ${{MISSING:-${{IMG}}}}\n"
    )
    build_args = {} if override is None else {"IMG": override}
    analysis = analyze(text, build_args=build_args)
    image = override or default
    assert analysis.errors == []
    assert analysis.stages[0].base.ref == f"{image}:{tag}-{suffix}"
    assert analysis.stages[1].base.ref == f"{image}:{tag}"
    expected_last = analysis.stages[2].base
    if image == "one":
        assert (expected_last.kind, expected_last.stage_index) == ("stage", 0)
    elif image == "scratch":
        assert expected_last.kind == "scratch"
    else:
        assert (expected_last.kind, expected_last.ref) == ("image", image)
