"""Every error kind, with the line BuildKit blames; skipped stages are validated too."""

from __future__ import annotations

import pytest

from msb_tui.analysis import BUILDKIT_VERSION_NOTES, analyze

CASES = [
    # (Dockerfile, target, code, line, piece of message)
    ("FROM scratch\nRUN true\nFOO bar\n", None, "unknown_instruction", 3, "unknown instruction: FOO"),
    ("FROM scratch AS 1st\n", None, "invalid_stage_name", 1, 'invalid name for build stage: "1st"'),
    ("FROM scratch AS a$b\n", None, "invalid_stage_name", 1, "invalid name for build stage"),
    ("FROM scratch\nCOPY --from=3 /a /a\n", None, "invalid_stage_index", 2, "invalid stage index 3"),
    ("FROM scratch\nCOPY --from=-1 /a /a\n", None, "invalid_stage_index", 2, "invalid stage index -1"),
    (
        "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nCOPY --from=a /y /y\n",
        None, "cycle", 2, "circular dependency detected on stage: a",
    ),
    ("FROM scratch AS a\nCOPY --from=a /x /x\n", None, "cycle", 2, "circular dependency detected on stage: a"),
    ("ARG IMG\nFROM $IMG\n", None, "empty_base", 2, "base name ($IMG) should not be blank"),
    ("ARG V=x\nFROM scratch AS s\nFROM scratch\nCOPY --from=s$V /a /a\n", None, "from_variable", 4,
     "variable expansion is not supported for --from"),
    ("FROM scratch\nRUN --mount=from=$X,target=/x true\n", None, "mount_from_variable", 2,
     "'from' doesn't support variable expansion"),
    ("FROM scratch\nRUN --netwrk=none true\n", None, "unknown_flag", 2, "unknown flag: --netwrk"),
    ("FROM --plaform=linux/amd64 scratch\n", None, "unknown_flag", 1, "unknown flag: --plaform"),
    ("FROM scratch\nCOPY --link=maybe a b\n", None, "bad_flag", 2, "expecting boolean value"),
    ("FROM scratch\nCOPY a\n", None, "bad_arguments", 2, "COPY requires at least two arguments"),
    ("FROM scratch AS a b\n", None, "bad_arguments", 1, "FROM requires either one or three arguments"),
    ("FROM scratch\nONBUILD FROM x\n", None, "bad_arguments", 2, "FROM isn't allowed as an ONBUILD trigger"),
    ("RUN true\nFROM scratch\n", None, "no_stage", 1, "no build stage in current context"),
    ("ARG A=1\n", None, "no_from", None, "dockerfile contains no stages to build"),
    ("", None, "no_from", None, "the Dockerfile cannot be empty"),
    ("# only\n# comments\n", None, "no_from", 2, "file with no instructions"),
    ("FROM scratch AS a\n", "b", "unknown_target", None, 'target stage "b" could not be found'),
    ("FROM scratch AS a\nFROM BUILD\n", "a", "invalid_reference", 2, "must be lowercase"),
    ("FROM scratch\nRUN --mount=type=floppy,target=/x true\n", None, "bad_mount", 2, 'unsupported mount type "floppy"'),
    ("FROM scratch\nEXPOSE notaport\n", None, "bad_port", 2, "invalid containerPort: notaport"),
    ("FROM scratch\nENV A\n", None, "parse", 2, "ENV must have two arguments"),
    ("ARG P=\nFROM --platform=$P scratch\n", None, "bad_platform", 2, "empty platform value"),
    ("FROM ${X:?unset}\n", None, "expansion", 1, "X: unset"),
    ("FROM scratch AS a\nRUN --mount=from=b,target=/b true\nFROM scratch AS b\n", "a", "mount_from_later_stage", 2,
     'cannot mount from stage "b" to "/b"'),
]


@pytest.mark.parametrize(("text", "target", "code", "line", "message"), CASES, ids=[c[2] + f"-{i}" for i, c in enumerate(CASES)])
def test_error_kind_and_line(text, target, code, line, message):
    analysis = analyze(text, target=target)
    assert analysis.errors, "BuildKit refuses this file"
    first = analysis.errors[0]
    assert (first.code, first.line) == (code, line)
    assert message in first.message
    assert first.code in BUILDKIT_VERSION_NOTES
    assert not analysis.ok


def test_skipped_stages_are_validated_too():
    # `broken` is never needed by `final`, yet BuildKit rejects the file.
    text = "FROM scratch AS broken\nCOPY --chmpd=1 a b\nFROM scratch AS final\n"
    analysis = analyze(text)
    assert [error.code for error in analysis.errors] == ["unknown_flag"]
    assert analysis.plan is not None and 0 not in analysis.plan.needed


def test_dispatch_errors_only_for_needed_stages():
    text = "FROM scratch AS odd\nEXPOSE notaport\nFROM scratch AS final\n"
    assert analyze(text).errors == []
    assert [e.code for e in analyze(text, target="odd").errors] == ["bad_port"]


def test_forward_copy_in_skipped_stage_is_fine_and_since_is_marked():
    text = "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nFROM scratch AS final\n"
    assert analyze(text).errors == []
    error = analyze(text, target="a").errors[0]
    assert (error.code, error.line, error.since) == ("copy_from_later_stage", 2, "0.13")
    assert 'cannot copy from stage "b", it needs to be defined before current stage "a"' in error.message


def test_accepted_borderline_files():
    accepted = [
        "from scratch as lower\nrun true\n",
        "FROM scratch AS a\nFROM scratch AS a\n",
        "FROM scratch\nMAINTAINER me\n",
        "FROM scratch\nSTOPSIGNAL --weird SIGTERM\n",
        "FROM scratch\nFROM scratch\nCOPY --from=0 a b\n",
        "FROM scratch\nCOPY <<EOF /x\nhello\nEOF\n",
        "ARG TARGETPLATFORM\nFROM scratch AS base-amd64\nFROM base-${TARGETPLATFORM#linux/}\n",
    ]
    for text in accepted:
        assert analyze(text).errors == [], text


def test_cycle_prevents_the_plan_but_keeps_the_model():
    analysis = analyze("FROM scratch AS a\nCOPY --from=b / /\nFROM scratch AS b\nCOPY --from=a / /\n")
    assert analysis.plan is None
    assert [stage.name for stage in analysis.stages] == ["a", "b"]


def test_healthcheck_durations_and_retries():
    bad = {
        "HEALTHCHECK --interval=often CMD true": 'time: invalid duration "often"',
        "HEALTHCHECK --timeout=-1s CMD true": 'Interval "timeout" cannot be less than 1ms',
        "HEALTHCHECK --retries=-2 CMD true": "--retries cannot be negative (-2)",
        "HEALTHCHECK --intervl=5s CMD true": "unknown flag: --intervl",
        "HEALTHCHECK NONE extra": "HEALTHCHECK NONE takes no arguments",
    }
    for line, message in bad.items():
        errors = analyze(f"FROM scratch\n{line}\n").errors
        assert errors and errors[0].line == 2 and message in errors[0].message, line
    assert analyze("FROM scratch\nHEALTHCHECK --interval=1m30s --retries=3 CMD true\n").errors == []


def test_flags_keep_their_variables_in_a_file_with_many_of_them():
    """With 64 or more ``${`` the parser sees a stand-in for ``$``; flags must get ``$`` back too
    (``--platform=$BUILDPLATFORM`` read as a bad platform in a 500-stage file)."""
    stages = "".join(f"FROM --platform=$BUILDPLATFORM ${{BASE}} AS s{i}\nRUN echo ${{X}}\n" for i in range(40))
    analysis = analyze("ARG BASE=busybox\n" + stages)
    assert analysis.errors == []
    assert analysis.stages[0].from_instruction.flags == ("--platform=$BUILDPLATFORM",)


def test_a_healthcheck_type_cut_inside_a_character_is_refused_on_its_line():
    """Go's HEALTHCHECK parser ends the type at a byte 0x85 or 0xA0 even inside a character (the
    last byte of U+00A0, the third of U+12800): 28.5.2 answers 'Unknown type "\\ufffd\\ufffd" in
    HEALTHCHECK (try CMD)', and the parser wrapper could not decode it (analyze() raised)."""
    for line in ("HEALTHCHECK \U00012800", "HEALTHCHECK CMD\u00a0true"):
        errors = analyze(f"FROM scratch\n{line}\n").errors
        assert errors[0].line == 2 and "Unknown type in HEALTHCHECK" in errors[0].message, line
