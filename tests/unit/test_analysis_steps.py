"""BuildKit step names map back to stages and instructions."""

from __future__ import annotations

from msb_tui.analysis import analyze

TEXT = """\
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
ENV CGO_ENABLED=0
RUN go build -o /app
FROM build AS test
RUN go test
FROM scratch
COPY --from=build /app /app
"""


def test_stage_for_step_names():
    analysis = analyze(TEXT)
    assert analysis.stage_for_step_name("[build 4/4] RUN go build -o /app").index == 0
    assert analysis.stage_for_step_name("[linux/amd64 build 2/4] WORKDIR /src").index == 0
    assert analysis.stage_for_step_name("[test 1/1] RUN go test").index == 1
    assert analysis.stage_for_step_name("[stage-2 1/1] COPY --from=build /app /app").index == 2
    assert analysis.stage_for_step_name("[internal] load metadata for docker.io/library/golang:1.22") is None
    assert analysis.stage_for_step_name("exporting to image") is None
    assert analysis.stage_for_step_name("[nosuch 1/1] RUN x") is None


def test_step_for_name_counts_from_and_counted_instructions():
    analysis = analyze(TEXT)
    stage, instruction = analysis.step_for_name("[build 1/4] FROM docker.io/library/golang:1.22")
    assert (stage.index, instruction.cmd) == (0, "FROM")
    stage, instruction = analysis.step_for_name("[build 4/4] RUN go build -o /app")
    assert instruction.line_start == 5  # ENV is not a counted step
    stage, instruction = analysis.step_for_name("[test 1/1] RUN go test")
    assert instruction.line_start == 7  # FROM <stage> is not a step
    assert [stage.step_total for stage in analysis.stages] == [4, 1, 1]


def test_padded_numbers_and_single_stage_builds():
    many = "FROM busybox:1.35\n" + "RUN true\n" * 11
    analysis = analyze(many)
    stage, instruction = analysis.step_for_name("[ 3/12] RUN true")
    assert (stage.index, instruction.line_start) == (0, 3)


def test_duplicate_names_pick_by_step_count():
    text = "FROM busybox:1.35 AS x\nRUN a\nFROM busybox:1.35 AS x\nRUN b\nRUN c\nFROM scratch\n"
    analysis = analyze(text)
    assert analysis.stage_for_step_name("[x 2/2] RUN a").index == 0
    assert analysis.stage_for_step_name("[x 3/3] RUN c").index == 1


def test_step_names_recorded_from_a_real_buildkit_08_build():
    # `DOCKER_BUILDKIT=1 docker build --progress=plain` on dockerd 20.10.24 (BuildKit 0.8) printed
    # exactly these step names for this Dockerfile (ENV is not a step; FROM image is step 1).
    text = (
        "ARG BASE=msb-demo/busybox:1.35\nFROM ${BASE} AS build\nWORKDIR /src\nENV X=1\nCOPY a.txt .\n"
        "RUN cp a.txt b.txt\nFROM scratch\nCOPY --from=build /src/b.txt /b.txt\nCOPY a.txt /a.txt\n"
    )
    analysis = analyze(text)
    seen = {
        "[build 1/4] FROM docker.io/msb-demo/busybox:1.35": (0, 2),
        "[build 2/4] WORKDIR /src": (0, 3),
        "[build 3/4] COPY a.txt .": (0, 5),
        "[build 4/4] RUN cp a.txt b.txt": (0, 6),
        "[stage-1 1/2] COPY --from=build /src/b.txt /b.txt": (1, 8),
        "[stage-1 2/2] COPY a.txt /a.txt": (1, 9),
    }
    for name, (stage, line) in seen.items():
        found_stage, instruction = analysis.step_for_name(name)
        assert (found_stage.index, instruction.line_start) == (stage, line), name


def test_onbuild_trigger_steps_come_first_in_the_child():
    text = (
        "FROM busybox:1.35 AS base\nRUN echo base\nONBUILD RUN echo trigger > /trigger\n"
        "FROM base AS child\nRUN cat /trigger\n"
    )
    analysis = analyze(text)
    for name in ("[child 1/1] RUN echo trigger > /trigger", "[child 1/2] ONBUILD RUN echo trigger > /trigger"):
        stage, instruction = analysis.step_for_name(name)  # BuildKit 0.8, then current BuildKit
        assert (stage.index, instruction.line_start) == (1, 3)
    stage, instruction = analysis.step_for_name("[child 2/2] RUN cat /trigger")
    assert instruction.line_start == 5
