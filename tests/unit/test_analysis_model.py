"""The stage model on tricky Dockerfiles: bases, names, --from forms, ARG expansion, edges."""

from __future__ import annotations

from pathlib import Path

from msb_tui.analysis import Edge, analyze


def base_of(analysis, index):
    base = analysis.stages[index].base
    return base.kind, base.ref, base.stage_index


def test_arg_expanded_bases_and_build_arg_override():
    text = (
        "ARG SDK_IMAGE=golang:1.22\nARG BASE=scratch\nFROM ${SDK_IMAGE} AS build\nRUN go build\n"
        "FROM $BASE\nCOPY --from=build /app /app\n"
    )
    analysis = analyze(text)
    assert base_of(analysis, 0) == ("image", "golang:1.22", None)
    assert base_of(analysis, 1) == ("scratch", "scratch", None)
    assert analysis.stages[0].base_raw == "${SDK_IMAGE}"
    overridden = analyze(text, build_args={"SDK_IMAGE": "msb-demo/golang:1.19-bookworm", "BASE": "build"})
    assert base_of(overridden, 0) == ("image", "msb-demo/golang:1.19-bookworm", None)
    assert base_of(overridden, 1) == ("stage", "build", 0)
    assert overridden.global_args["SDK_IMAGE"].overridden
    assert overridden.global_args["SDK_IMAGE"].default == "golang:1.22"
    assert overridden.global_args["BASE"].value == "build"


def test_build_arg_for_undeclared_arg_is_ignored():
    analysis = analyze("FROM ${IMG:-busybox}\n", build_args={"IMG": "alpine"})
    assert base_of(analysis, 0) == ("image", "busybox", None)


def test_numeric_from_and_forward_index():
    text = "FROM scratch\nCOPY a /a\nFROM scratch\nCOPY --from=0 /a /b\nCOPY --from=2 /c /c\nFROM scratch AS late\n"
    analysis = analyze(text, target="late")
    assert Edge(0, 1, "copy", 4) in analysis.edges
    assert Edge(2, 1, "copy", 5) in analysis.edges
    assert analysis.plan.needed == {2}  # stage 1 is not needed by `late`: no forward-copy error
    assert analysis.errors == []
    last = analyze(text + "FROM scratch\nCOPY --from=1 / /\n")
    assert [error.code for error in last.errors] == ["copy_from_later_stage"]
    assert last.errors[0].line == 5
    assert last.errors[0].since == "0.13"


def test_uppercase_names_are_lowercased_and_from_is_case_insensitive():
    text = "FROM scratch AS Build\nCOPY a /a\nFROM scratch\nCOPY --from=BUILD /a /a\n"
    analysis = analyze(text)
    assert analysis.stages[0].name == "build"
    assert analysis.stages[0].display_name == "build"
    assert Edge(0, 1, "copy", 4) in analysis.edges
    assert analyze(text, target="BuIlD").plan.target == 0


def test_unnamed_stages_get_buildkit_names():
    analysis = analyze("FROM scratch\nFROM scratch AS x\nFROM scratch\n")
    assert [stage.display_name for stage in analysis.stages] == ["stage-0", "x", "stage-2"]
    assert [stage.name for stage in analysis.stages] == [None, "x", None]


def test_duplicate_names_last_wins_with_warning():
    text = "FROM scratch AS build\nCOPY a /a\nFROM scratch AS build\nCOPY b /b\nFROM scratch\nCOPY --from=build /b /b\n"
    analysis = analyze(text)
    assert analysis.errors == []
    assert Edge(1, 2, "copy", 6) in analysis.edges
    assert analysis.plan.needed == {1, 2}
    assert analysis.plan.skip_reasons[0] == "`build` is not needed by target `stage-2`"
    assert [f.rule for f in analysis.lint if f.rule == "DuplicateStageName"] == ["DuplicateStageName"]
    assert analyze(text, target="build").plan.target == 1


def test_from_stage_defined_below_is_an_image():
    text = "FROM later AS first\nFROM scratch AS later\n"
    analysis = analyze(text)
    assert base_of(analysis, 0) == ("image", "later", None)
    assert "later" in analysis.externals


def test_from_stage_defined_above_uses_the_latest_definition_above():
    text = "FROM scratch AS a\nFROM scratch AS a\nFROM a\nFROM scratch AS a\n"
    assert base_of(analyze(text), 2) == ("stage", "a", 1)


def test_mount_from_stage_and_image_are_edges():
    text = (
        "FROM scratch AS tools\nCOPY t /t\nFROM busybox:1.35\n"
        "RUN --mount=type=bind,from=TOOLS,target=/t --mount=from=alpine:3.19,target=/a true\n"
    )
    analysis = analyze(text)
    assert Edge(0, 1, "mount", 4) in analysis.edges
    assert Edge("alpine:3.19", 1, "mount", 4) in analysis.edges
    assert analysis.externals == ["busybox:1.35", "alpine:3.19"]
    assert analysis.plan.needed == {0, 1}


def test_copy_from_unknown_name_is_an_external_image():
    analysis = analyze("FROM scratch\nCOPY --from=nginx:1.25 /etc/nginx /n\n")
    assert Edge("nginx:1.25", 0, "copy", 2) in analysis.edges
    assert analysis.externals == ["nginx:1.25"]


def test_platform_is_expanded_and_platform_args_are_automatic():
    text = "FROM --platform=$BUILDPLATFORM scratch AS b\nFROM base-${TARGETARCH} AS x\n"
    analysis = analyze(text, platform="linux/arm64")
    assert analysis.stages[0].platform == "linux/amd64"
    assert analysis.stages[1].base.ref == "base-arm64"


def test_stage_args_onbuild_and_line_ranges():
    text = "FROM scratch AS a\nARG X=1 Y\nONBUILD RUN echo\nRUN a \\\n  b\n\nFROM a\n"
    analysis = analyze(text)
    stage = analysis.stages[0]
    assert stage.args == {"X": "1", "Y": None}
    assert [i.cmd for i in stage.onbuild] == ["ONBUILD"]
    assert (stage.line_start, stage.line_end) == (1, 5)
    assert [i.original for i in stage.instructions][-1] == "RUN a   b"


def test_source_may_be_a_path(tmp_path: Path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch AS only\n")
    analysis = analyze(dockerfile)
    assert analysis.source_path == dockerfile
    assert analysis.target_name == "only"


def test_escape_directive_is_honoured_in_from():
    text = "# escape=`\nARG V=1\nFROM img:`$V\n"
    assert analyze(text).stages[0].base.ref == "img:$V"


def test_onbuild_triggers_add_dependencies_to_child_stages():
    text = (
        "FROM scratch AS assets\nCOPY a /a\n"
        "FROM scratch AS base\nONBUILD COPY --from=assets /a /a\n"
        "FROM base AS child\n"
        "FROM scratch AS unrelated\n"
        "FROM scratch\nCOPY --from=child /a /a\n"
    )
    analysis = analyze(text)
    assert Edge(0, 2, "copy", 5) in analysis.edges
    assert analysis.plan.needed == {0, 1, 2, 4}
    assert analysis.plan.waves == [[0, 1], [2], [4]]


def test_non_ascii_flags_survive_the_parser():
    # The dockerfile wheel decodes flags as Latin-1; the analysis restores UTF-8.
    analysis = analyze("FROM scratch\nCOPY --from=bücher:1 /a /a\nCOPY --from=² /b /b\n")
    assert analysis.externals == ["bücher:1", "²"]
    assert [error.code for error in analysis.errors][:1] == ["invalid_reference"]
