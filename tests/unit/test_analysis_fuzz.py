"""analyze() never raises on arbitrary input: every problem becomes a DockerfileError or a Finding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msb_tui.analysis import analyze
from msb_tui.analysis.render import to_dict, to_dot, to_mermaid, to_text

KEYWORDS = ["FROM", "from", "RUN", "COPY", "ADD", "ARG", "ENV", "ONBUILD", "WORKDIR", "EXPOSE", "CMD",
            "HEALTHCHECK", "LABEL", "SHELL", "VOLUME", "USER", "STOPSIGNAL", "MAINTAINER", "ENTRYPOINT", "BOGUS"]
WORDS = ["scratch", "busybox:1.35", "a", "b", "AS", "as", "x", "--from=a", "--from=0", "--from=9", "--from=$X",
         "--mount=from=a,target=/t", "--mount=type=floppy", "--platform=$BUILDPLATFORM", "--chmod=755", "--link",
         "${X:-y}", "${X", "$X", "'q", '"q"', "[\"a\"]", ".", "/dst", "8080:80", "80/TCP", "NONE", "--interval=x",
         "\\", "<<EOF", "é", "\x1b[31m"]

lines = st.builds(
    lambda keyword, words: " ".join([keyword, *words]),
    st.sampled_from(KEYWORDS),
    st.lists(st.sampled_from(WORDS), max_size=5),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(lines, st.text(max_size=20)), max_size=12), st.one_of(st.none(), st.sampled_from(["a", "A", "x"])))
def test_analyze_never_raises(file_lines, target):
    analysis = analyze("\n".join(file_lines) + "\n", target=target, build_args={"X": "a"})
    for error in analysis.errors:
        assert error.line is None or error.line >= 1
    for render in (to_dict, to_text, to_dot, to_mermaid):
        render(analysis)
    if analysis.plan:
        assert analysis.plan.target in analysis.plan.needed
