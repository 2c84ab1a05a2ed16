"""Classic builder text -> BuildKit-like step events (streams captured from dockerd 20.10.24)."""

from __future__ import annotations

from msb_tui.builds.classic import ClassicStepParser, classic_digest, stage_sizes
from msb_tui.builds.decode import MessageDecoder
from msb_tui.builds.events import BuildFailed, BuildWarning, ImageBuilt, LogChunk, StreamText, VertexUpdate

DOCKERFILE = """\
ARG BASE_IMAGE=busybox
FROM ${BASE_IMAGE} AS base
RUN echo hello && sleep 1
FROM base AS build
RUN echo building; echo err >&2
COPY Dockerfile /x
FROM base AS test
RUN echo testing
FROM scratch
COPY --from=build /x /x
"""

# (seconds since start, stream text) exactly as the engine sent them for DOCKERFILE.
MULTI_STAGE = [
    (0.24, "Step 1/10 : ARG BASE_IMAGE=busybox"), (0.24, "\n"),
    (0.24, "Step 2/10 : FROM ${BASE_IMAGE} AS base"), (0.24, "\n"),
    (0.24, " ---> e9e6631296c6\n"),
    (0.24, "Step 3/10 : RUN echo hello && sleep 1"), (0.24, "\n"),
    (0.27, " ---> Running in 3d1b2b44b09c\n"),
    (0.74, "hello\n"),
    (2.2, "Removing intermediate container 3d1b2b44b09c\n"),
    (2.21, " ---> 14a713ca9a7b\n"),
    (2.21, "Step 4/10 : FROM base AS build"), (2.21, "\n"),
    (2.21, " ---> 14a713ca9a7b\n"),
    (2.21, "Step 5/10 : RUN echo building; echo err >&2"), (2.21, "\n"),
    (2.23, " ---> Running in 53254be7a279\n"),
    (2.64, "\x1b[91merr\n\x1b[0m"),
    (2.64, "building\n"),
    (2.93, "Removing intermediate container 53254be7a279\n"),
    (2.93, " ---> 273900c72eee\n"),
    (2.93, "Step 6/10 : COPY Dockerfile /x"), (2.93, "\n"),
    (3.11, " ---> 6cb5e7a79b8c\n"),
    (3.11, "Step 7/10 : FROM base AS test"), (3.11, "\n"),
    (3.11, " ---> 14a713ca9a7b\n"),
    (3.11, "Step 8/10 : RUN echo testing"), (3.11, "\n"),
    (3.12, " ---> Running in fbf801f1ead6\n"),
    (3.46, "testing\n"),
    (3.7, "Removing intermediate container fbf801f1ead6\n"),
    (3.7, " ---> ce39085a6576\n"),
    (3.7, "Step 9/10 : FROM scratch"), (3.71, "\n"),
    (3.71, " ---> \n"),
    (3.71, "Step 10/10 : COPY --from=build /x /x"), (3.71, "\n"),
    (3.98, " ---> 984852f1de81\n"),
    (3.98, "Successfully built 984852f1de81\n"),
    (3.98, "Successfully tagged msb-test-classic/x:1\n"),
]


def run(stream, dockerfile_text=None, t0=1000.0):
    parser = ClassicStepParser(dockerfile_text)
    out = []
    for t, text in stream:
        out += parser.feed(StreamText(text, t0 + t))
    out += parser.finish(t0 + 5)
    return parser, out


def final_vertices(events) -> dict[str, VertexUpdate]:
    last: dict[str, VertexUpdate] = {}
    for event in events:
        if isinstance(event, VertexUpdate):
            last[event.digest] = event
    return last


def logs(events) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    for event in events:
        if isinstance(event, LogChunk):
            found.setdefault(event.vertex, []).append((event.stream, event.data.decode()))
    return found


def test_stage_sizes_counts_from_and_global_args():
    assert stage_sizes(DOCKERFILE) == (1, [2, 3, 2, 2])


def test_steps_named_per_stage_like_buildkit():
    parser, events = run(MULTI_STAGE, DOCKERFILE)
    names = [v.name for v in final_vertices(events).values()]
    assert names == [
        "[base 1/2] FROM ${BASE_IMAGE}",
        "[base 2/2] RUN echo hello && sleep 1",
        "[build 1/3] FROM base",
        "[build 2/3] RUN echo building; echo err >&2",
        "[build 3/3] COPY Dockerfile /x",
        "[test 1/2] FROM base",
        "[test 2/2] RUN echo testing",
        "[stage-3 1/2] FROM scratch",
        "[stage-3 2/2] COPY --from=build /x /x",
    ]
    assert [s.name for s in parser.stages] == ["base", "build", "test", "stage-3"]
    assert parser.image_id_short == "984852f1de81"


def test_names_are_final_at_first_announcement_when_dockerfile_known():
    _, events = run(MULTI_STAGE, DOCKERFILE)
    by_digest: dict[str, set[str]] = {}
    for event in events:
        if isinstance(event, VertexUpdate):
            by_digest.setdefault(event.digest, set()).add(event.name)
    assert all(len(names) == 1 for names in by_digest.values())


def test_without_dockerfile_names_are_completed_when_stage_ends():
    _, events = run(MULTI_STAGE, None)
    names = [v.name for v in final_vertices(events).values()]
    assert names[:2] == ["[base 1/2] FROM ${BASE_IMAGE}", "[base 2/2] RUN echo hello && sleep 1"]
    assert names[-1] == "[stage-3 2/2] COPY --from=build /x /x"
    first = next(e for e in events if isinstance(e, VertexUpdate))
    assert first.name == "[base 1] FROM ${BASE_IMAGE}"  # provisional, count unknown yet


def test_mismatching_dockerfile_falls_back_to_stream_numbering():
    _, events = run(MULTI_STAGE, "FROM scratch\nCOPY a /a\n")
    names = [v.name for v in final_vertices(events).values()]
    assert names[2] == "[build 1/3] FROM base"


def test_timing_started_completed_and_sequence():
    _, events = run(MULTI_STAGE, DOCKERFILE)
    vertices = list(final_vertices(events).values())
    run_hello = vertices[1]
    assert (run_hello.started, run_hello.completed) == (1000.24, 1002.21)
    assert all(v.started is not None and v.completed is not None for v in vertices)
    # classic runs one step at a time: every step starts after the previous one completed
    for before, after in zip(vertices, vertices[1:]):
        assert after.started >= before.completed
    assert not any(v.cached or v.error for v in vertices)


def test_inputs_follow_stage_bases_and_copy_from():
    _, events = run(MULTI_STAGE, DOCKERFILE)
    v = final_vertices(events)
    assert v[classic_digest(4)].inputs == (classic_digest(3),)  # FROM base -> base's last step
    assert v[classic_digest(5)].inputs == (classic_digest(4),)
    assert v[classic_digest(10)].inputs == (classic_digest(9), classic_digest(6))  # COPY --from=build
    assert classic_digest(1) not in v  # global ARG: no vertex, as in BuildKit


def test_logs_by_step_with_stderr_split():
    _, events = run(MULTI_STAGE, DOCKERFILE)
    found = logs(events)
    assert found[classic_digest(3)] == [(1, "hello\n")]
    assert found[classic_digest(5)] == [(2, "err\n"), (1, "building\n")]
    assert classic_digest(8) in found and found[classic_digest(8)] == [(1, "testing\n")]
    # control lines never leak into logs
    text = "".join(d for chunks in found.values() for _, d in chunks)
    assert "--->" not in text and "Removing" not in text and "Step" not in text


CACHED_AND_FAILING = [
    (0.06, "Step 1/5 : FROM msb-demo/busybox:1.35"), (0.06, "\n"),
    (0.06, " ---> e9e6631296c6\n"),
    (0.06, "Step 2/5 : RUN echo hello && sleep 1"), (0.06, "\n"),
    (0.06, " ---> Using cache\n"),
    (0.06, " ---> 14a713ca9a7b\n"),
    (0.06, "Step 3/5 : RUN printf abc; printf def >&2"), (0.06, "\n"),
    (0.07, " ---> Running in 3cb92bdba85b\n"),
    (0.31, "abc"),
    (0.31, "\x1b[91mdef\x1b[0m"),
    (0.5, "Removing intermediate container 3cb92bdba85b\n"),
    (0.5, " ---> 78aa1c9f760d\n"),
    (0.5, "Step 4/5 : ARG X"), (0.5, "\n"),
    (0.5, " ---> Running in 6aba3b31e7b2\n"),
    (0.57, "Removing intermediate container 6aba3b31e7b2\n"),
    (0.57, " ---> cdceaf090e67\n"),
    (0.57, "Step 5/5 : RUN false"), (0.57, "\n"),
    (0.57, " ---> Running in fe119eca3102\n"),
]


def test_cache_hits_partial_lines_and_failure():
    parser = ClassicStepParser(clock=lambda: 2000.0)
    events = []
    for t, text in CACHED_AND_FAILING:
        events += parser.translate(StreamText(text, 1000 + t))
    error = "The command '/bin/sh -c false' returned a non-zero code: 1"
    events += parser.translate(BuildFailed(error))
    events += parser.finish()
    kinds = [type(e).__name__ for e in events]
    failed_at = kinds.index("BuildFailed")
    assert kinds[failed_at - 1] == "VertexUpdate"  # the open step is closed as failed first
    v = final_vertices(events)
    assert v[classic_digest(2)].cached and not v[classic_digest(3)].cached
    failed = v[classic_digest(5)]
    assert failed.error == error and failed.completed == 2000.0
    assert failed.name == "[stage-0 5/5] RUN false"
    found = logs(events)
    assert sorted(found[classic_digest(3)]) == [(1, "abc\n"), (2, "def\n")]  # unterminated output flushed


def test_fake_step_lines_in_program_output_are_logs():
    stream = [
        (0, "Step 1/2 : FROM scratch"), (0, "\n"), (0, " ---> \n"),
        (0, "Step 2/2 : RUN x"), (0, "\n"), (0, " ---> Running in abc\n"),
        (1, "Step 1/2 : FROM evil\n"),
        (1, "Step 9/9 : RUN nope\n"),
    ]
    _, events = run(stream)
    assert len(final_vertices(events)) == 2
    assert [d for _, d in logs(events)[classic_digest(2)]] == ["Step 1/2 : FROM evil\n", "Step 9/9 : RUN nope\n"]


def test_warning_and_passthrough_of_other_events():
    parser = ClassicStepParser()
    events = []
    for text in ("Step 1/1 : FROM scratch", "\n", " ---> \n", "[Warning] One or more build-args [Y] were not consumed\n"):
        events += parser.translate(StreamText(text, 1.0))
    events += parser.translate(ImageBuilt("sha256:abc"))
    warnings = [e for e in events if isinstance(e, BuildWarning)]
    assert warnings and "build-args [Y]" in warnings[0].short
    assert events[-1] == ImageBuilt("sha256:abc")


def test_classic_stream_is_non_utf8_safe():
    source = [StreamText(t, 1.0) for t in ("Step 1/2 : FROM scratch", "\n", " ---> \n", "Step 2/2 : COPY a b", "\n")]
    source.append(StreamText("bad \udcff bytes\n", 1.5))
    source.append(StreamText(" ---> 0123456789ab\n", 2.0))
    decoder = MessageDecoder(classic=True)
    events = decoder.translate(source) + decoder.finish()
    v = final_vertices(events)
    assert v[classic_digest(2)].completed == 2.0
    chunk = next(e for e in events if isinstance(e, LogChunk))
    assert chunk.data == b"bad \xff bytes\n"
