"""The stage model on tricky Dockerfiles: bases, names, --from forms, ARG expansion, edges."""

from __future__ import annotations

from msb_tui.analysis import analyze


def base_of(analysis, index):
    base = analysis.stages[index].base
    return base.kind, base.ref, base.stage_index


def test_arg_expanded_bases_and_build_arg_override():
    text = "ARG SDK_IMAGE=golang:1.22\nARG BASE=scratch\nFROM ${SDK_IMAGE} AS build\nRUN go build\nFROM $BASE\nCOPY --from=build /app /app\n"
    analysis = analyze(text)
    assert base_of(analysis, 0) == ("image", "golang:1.22", None)
    assert base_of(analysis, 1) == ("scratch", "scratch", None)
    overridden = analyze(text, build_args={"SDK_IMAGE": "msb-demo/golang:1.19-bookworm", "BASE": "build"})
    assert base_of(overridden, 0) == ("image", "msb-demo/golang:1.19-bookworm", None)
    assert base_of(overridden, 1) == ("stage", "build", 0)
    assert overridden.global_args["SDK_IMAGE"].overridden
