"""Plans exact to the BuildKit in use, input read as BuildKit reads it, and refusal of input that
crashes an engine (issue 12 items 3-4, issue 15 items 1, 6, 7, 9; issue 14 items 11, 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.analysis.safety import engine_safety
from msb_tui.cli import main

B08 = (0, 8)
BB = "msb-demo/busybox:1.35"


def _first(analysis):
    return (analysis.errors[0].line, analysis.errors[0].message) if analysis.errors else None


# --- bytes as BuildKit reads them -------------------------------------------------------------

def test_a_nul_line_is_an_unknown_instruction_like_on_the_engines(tmp_path: Path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(f"FROM {BB}\n\x00\nBADINSTR x\n".encode())
    for buildkit in (None, B08):
        line, message = _first(analyze(path, buildkit=buildkit))
        assert line == 2 and "unknown instruction" in message


def test_a_nul_inside_a_run_line_keeps_the_rest_of_the_file(tmp_path: Path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(f"FROM {BB}\nRUN true\x00FOO\nRUN echo two\n".encode())
    analysis = analyze(path)
    assert analysis.stages[0].step_total == 3  # the engine prints [2/3] RUN true\x00FOO
    assert analysis.stages[0].instructions[0].original == "RUN true\x00FOO"
    assert analysis.errors[0].line == 2 and analysis.errors[0].code == "nul_in_command"  # the step fails


def test_lone_carriage_returns_are_not_line_breaks(tmp_path: Path):
    path = tmp_path / "Dockerfile"
    path.write_bytes(f"FROM {BB}\rRUN true\r".encode())
    assert _first(analyze(path)) == (1, "FROM requires either one or three arguments")
    path.write_bytes(f"FROM {BB}\r\nRUN true\r\n".encode())  # CRLF is fine
    assert analyze(path).ok


@pytest.mark.parametrize("depth", [500, 2000])
def test_deeply_nested_defaults_expand_without_recursion_error(depth):
    nested = "${A:-" * depth + "scratch" + "}" * depth
    for text in (f"FROM {nested}\n", f"ARG B={nested}\nFROM $B\n",
                 f"FROM scratch AS s\nFROM scratch\nCOPY --from={nested} /a /a\n"):
        analysis = analyze(text)  # must not raise
        assert analysis.stages


# --- engine_safety: never crash the engine ----------------------------------------------------

SEPARATORS = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=[repr(s) for s in SEPARATORS])
def test_arg_only_files_are_refused_however_their_lines_are_separated(separator, tmp_path: Path):
    data = f"ARG A=1{separator}FROM {BB}\n".encode()
    on_08 = engine_safety(data, B08)
    assert on_08 is not None and on_08.crash and on_08.line == 1
    current = engine_safety(data, (0, 25))
    assert current is not None and not current.crash  # nothing to build, but no crash either
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    analysis = analyze(path, buildkit=B08)
    assert analysis.errors[0].code == "engine_crash" and analysis.errors[0].line == 1
    assert main(["plan", str(path)]) == 1
    assert "line 1" in analyze(path).errors[0].message  # the plan names the line that hides FROM


def test_tmpfs_mount_from_is_refused_on_08_only():
    text = f"FROM {BB} AS s\nFROM {BB}\nRUN --mount=type=tmpfs,from=s,target=/t true\n"
    refused = engine_safety(text.encode(), B08)
    assert refused is not None and refused.crash and refused.line == 3
    assert engine_safety(text.encode(), (0, 25)) is None
    assert engine_safety(f"FROM {BB}\nONBUILD RUN --mount=type=tmpfs,from=x,target=/t true\n", B08) is not None
    assert engine_safety(f"FROM {BB}\nRUN true\n".encode(), B08) is None
    assert engine_safety(b"", None).line is None


LATER_ON_ITSELF = f"FROM {BB} AS a\nFROM {BB} AS b\nCOPY --from=c /x /x\nFROM b AS c\n"


def test_copy_from_a_later_stage_built_on_the_copying_one_is_refused_on_08_when_needed():
    """Measured on Docker 20.10: with --target b dockerd dies; with --target a (b not needed) it
    builds. Current BuildKit refuses the forward COPY itself; neither plan may raise."""
    refused = engine_safety(LATER_ON_ITSELF, B08, target="b")
    assert refused is not None and refused.crash and refused.line == 3
    assert engine_safety(LATER_ON_ITSELF, B08, target="a") is None
    assert engine_safety(LATER_ON_ITSELF, (0, 25), target="b") is None
    on_08 = analyze(LATER_ON_ITSELF, target="b", buildkit=B08)
    assert [error.code for error in on_08.errors] == ["engine_crash"]
    current = analyze(LATER_ON_ITSELF, target="b")
    assert [error.code for error in current.errors] == ["copy_from_later_stage"]
    assert current.plan.needed == {1}  # the later stage never runs: the build stops at the COPY


def test_a_mount_from_a_later_stage_built_on_the_mounting_one_is_no_cycle_on_08():
    text = f"FROM {BB} AS b\nRUN --mount=from=c,target=/m true\nFROM b AS c\n"
    analysis = analyze(text, target="b", buildkit=B08)  # 20.10 runs it (measured)
    assert analysis.ok and analysis.plan.needed == {0}


# --- BuildKit 0.8 ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line"), [
    (f"FROM {BB}\nRUN <<EOF\necho hi\nEOF\n", 3),
    ("FROM scratch\nCOPY --link a /a\n", 2),
    ("ARG A=scratchx\nFROM ${A%x}\n", 2),
    ("ARG A=scratchx\nFROM ${A#s}\n", 2),
])
def test_08_rejects_what_it_does_not_know(text, line):
    assert analyze(text).ok
    assert analyze(text, buildkit=B08).errors[0].line == line


def test_08_reads_the_base_of_an_onbuild_source_stage():
    text = (f"FROM {BB} AS helper\nRUN echo x > /h\nFROM scratch AS obase\n"
            "ONBUILD COPY --from=helper /bin/busybox /bb\nFROM obase AS child\n")
    current, old = analyze(text), analyze(text, buildkit=B08)
    assert current.plan.needed == {0, 1, 2} and old.ok
    assert old.plan.needed == {1, 2} and BB in old.externals


def test_08_copies_from_a_later_stage_base_without_running_it():
    text = f"FROM {BB} AS a\nCOPY --from=b /bin/busybox /x\nFROM {BB} AS b\nRUN echo b\nFROM a\n"
    assert analyze(text).errors[0].code == "copy_from_later_stage"
    old = analyze(text, buildkit=B08)
    assert old.ok and old.plan.needed == {0, 2}


# --- current BuildKit ------------------------------------------------------------------------

def test_tmpfs_and_ssh_mounts_do_not_make_their_from_stage_run():
    for kind in ("tmpfs", "ssh"):
        text = f"FROM {BB} AS s\nRUN echo s\nFROM {BB}\nRUN --mount=type={kind},from=s,target=/t true\n"
        assert analyze(text).plan.needed == {1}, kind
    text = f"FROM {BB} AS s\nFROM {BB}\nRUN --mount=type=bind,from=s,target=/t true\n"
    assert analyze(text).plan.needed == {0, 1}


def test_secret_mount_with_from_is_an_error_on_every_version():
    text = f"FROM {BB} AS s\nFROM {BB}\nRUN --mount=type=secret,id=x,from=s true\n"
    for buildkit in (None, B08):
        assert _first(analyze(text, buildkit=buildkit)) == (3, "secret mount should not have a from")


def test_an_onbuild_copy_from_a_later_stage_is_an_error():
    text = "FROM scratch AS obase\nONBUILD COPY --from=late /a /a\nFROM obase AS child\nFROM scratch AS late\n"
    analysis = analyze(text, target="child")
    assert analysis.errors and analysis.errors[0].code == "copy_from_later_stage"


def test_chmod_must_be_octal_on_current_buildkit_only():
    text = "FROM scratch\nCOPY --chmod=999 a /a\n"
    assert _first(analyze(text))[0] == 2 and "invalid chmod" in _first(analyze(text))[1]
    assert analyze(text, buildkit=B08).ok  # 20.10 ignores the value (measured)
    assert analyze("FROM scratch\nCOPY --chmod=0755 a /a\nADD --chmod=u+x a /b\n").ok
    assert analyze("FROM scratch AS x\nCOPY --chmod=999 a /a\nFROM scratch\n").ok  # skipped stage


def test_unseen_onbuild_triggers_of_a_base_image_make_the_plan_uncertain():
    text = f"FROM {BB} AS test\nRUN true\nFROM {BB}\nRUN echo app\n"
    assert not analyze(text).certain
    assert analyze(text, image_triggers={BB: []}).certain
    uncertain = analyze(text, image_triggers={BB: ["COPY --from=test /x /x"]})
    assert not uncertain.certain and "ONBUILD" in uncertain.notes[0]
    assert analyze(f"FROM {BB}\nRUN true\n").certain  # every stage runs: nothing to change


# --- lint and the plan command -----------------------------------------------------------------

def test_a_stage_chosen_by_a_variable_is_not_called_unused():
    text = "FROM scratch AS base-amd64\nFROM scratch AS base-arm64\nFROM base-${TARGETARCH}\n"
    rules = {(f.rule, f.line): f.message for f in analyze(text).lint}
    assert ("UnusedStage", 2) not in rules
    message = rules[("StageSelectedByArg", 2)]
    assert "TARGETARCH=arm64" in message and "--platform" in message


def test_a_build_arg_no_arg_consumes_is_reported_like_docker():
    text = "ARG BASE=scratch\nFROM $BASE\n"
    lint = analyze(text, build_args={"FOO": "bar", "BASE": "scratch", "HTTP_PROXY": "x"}).lint
    assert [f.message for f in lint if f.rule == "UnusedBuildArg"] == [
        "[Warning] One or more build-args [FOO] were not consumed"]


def test_plan_exit_codes(tmp_path: Path, capsys):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM scratch AS build\nFROM scratch\nCOPY --from=biuld /a /a\n")
    assert main(["plan", str(path)]) == 4  # FromUnknownStage (error)
    path.write_text("FROM scratch\nCOPY --link a /a\n")
    assert main(["plan", str(path)]) == 0
    assert main(["plan", str(path), "--buildkit", "0.8"]) == 1
    with pytest.raises(SystemExit) as usage:
        main(["plan", str(path), "--buildkit", "eight"])
    assert usage.value.code == 2
    assert "Exit status" in _help(capsys)


def _help(capsys) -> str:
    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    return capsys.readouterr().out


def test_more_than_129_stacked_layers_is_a_warning_naming_the_store():
    """130 COPYs on scratch fail on the overlay2 store of 20.10 and 28.5.2 ("max depth exceeded");
    the containerd store built 200: a warning, not an error (the plan cannot see the store)."""
    deep = "FROM scratch\n" + "".join(f"COPY a /a{i}\n" for i in range(130))
    analysis = analyze(deep)
    assert analysis.ok
    [finding] = [f for f in analysis.lint if f.rule == "MaxDepthExceeded"]
    assert finding.line == 131 and "overlay2" in finding.message
    assert not [f for f in analyze(deep.rsplit("COPY", 1)[0]).lint if f.rule == "MaxDepthExceeded"]
