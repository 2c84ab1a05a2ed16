"""BuildKit's build checks (warnings, BuildKit 0.10+) carry the Dockerfile line they are about;
the build model ties each to the stage holding that line and its pane shows it."""

from __future__ import annotations

import base64

from msb_tui.analysis import analyze
from msb_tui.builds.events import BuildWarning
from msb_tui.builds.model import BuildModel
from msb_tui.builds.solve_status import decode_solve_status
from msb_tui.builds.trace import StatusResponse, decode_trace
from msb_tui.tui.widgets.stage_pane import pane_data

DOCKERFILE = "FROM scratch as build\nCOPY a /a\n\nFROM scratch AS final\nCOPY --from=build /a /a\nCMD echo done\n"


def _trace_with_warning(line: int) -> str:
    response = StatusResponse()
    warning = response.warnings.add()
    warning.vertex = "sha256:load-build-definition"
    warning.level = 1
    warning.short = f"FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line {line})".encode()
    warning.url = "https://docs.docker.com/go/dockerfile/rule/from-as-casing/"
    span = warning.ranges.add()
    span.start.line, span.end.line = line, line
    return base64.b64encode(response.SerializeToString()).decode()


def test_a_warning_carries_its_line_from_the_trace_and_from_rawjson():
    [event] = decode_trace(_trace_with_warning(1))
    assert isinstance(event, BuildWarning) and event.line == 1 and event.short.startswith("FromAsCasing")
    raw = {"warnings": [{"vertex": "sha256:x", "level": 1, "short": base64.b64encode(b"JSONArgsRecommended").decode(),
                         "ranges": [{"start": {"line": 6}, "end": {"line": 6}}]}]}
    [from_json] = decode_solve_status(raw)
    assert from_json.line == 6


def test_warnings_are_tied_to_the_stage_holding_their_line():
    model = BuildModel(analyze(DOCKERFILE))
    for event in decode_trace(_trace_with_warning(1)):
        model.apply(event)
    model.apply(BuildWarning("sha256:y", "JSONArgsRecommended: JSON arguments recommended for CMD (line 6)", 1, line=6))
    model.apply(BuildWarning("sha256:z", "a warning about no line"))
    panes = {stage.name: pane_data(stage).warnings for stage in model.stages}
    assert panes == {
        "build": ("line 1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",),
        "final": ("line 6: JSONArgsRecommended: JSON arguments recommended for CMD",),
    }
    assert len(model.warnings) == 3  # every warning is still listed for the build as a whole
