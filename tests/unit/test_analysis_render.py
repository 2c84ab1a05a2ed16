"""The plan JSON contract (docs/plan-json.md), the other renderers, and `msb-tui plan` exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.analysis.render import to_dict, to_dot, to_mermaid, to_text
from msb_tui.cli import main

TEXT = """\
ARG SDK_IMAGE=golang:1.22
FROM ${SDK_IMAGE} AS build
RUN go build -o /app
FROM build AS test
RUN go test
FROM scratch AS final
COPY --from=build /app /app
RUN --mount=from=alpine:3.19,target=/a true
"""


def test_json_shape():
    document = json.loads(json.dumps(to_dict(analyze(TEXT))))
    assert document["schema_version"] == 1
    assert document["target"] == "final"
    assert document["ok"] is True
    assert set(document) >= {"target", "stages", "edges", "waves", "critical_path", "errors", "lint", "externals"}
    stage = document["stages"][0]
    assert set(stage) >= {"index", "name", "base", "needed", "skip_reason", "wave", "line_start", "line_end"}
    assert stage["base"] == {"kind": "image", "ref": "golang:1.22", "stage": None}
    test = document["stages"][1]
    assert (test["needed"], test["wave"], test["skip_reason"]) == (False, None, "`test` is not needed by target `final`")
    assert document["stages"][1]["base"] == {"kind": "stage", "ref": "build", "stage": 0}
    assert {"from": 0, "to": 2, "kind": "copy", "line": 7} in document["edges"]
    assert {"from": "alpine:3.19", "to": 2, "kind": "mount", "line": 8} in document["edges"]
    assert document["waves"] == [[0], [2]]
    assert document["critical_path"] == [0, 2]
    assert document["global_args"]["SDK_IMAGE"]["value"] == "golang:1.22"


def test_json_errors_and_lint_entries():
    document = to_dict(analyze("FROM scratch AS a\nMAINTAINER x\n", target="zzz"))
    assert document["ok"] is False
    assert document["target"] is None
    assert document["errors"][0] == {
        "line": None,
        "message": document["errors"][0]["message"],
        "code": "unknown_target",
        "since": None,
    }
    assert document["lint"][0]["rule"] == "MaintainerDeprecated"
    assert set(document["lint"][0]) == {"rule", "severity", "line", "message", "fix"}


def test_text_report_lists_stages_waves_and_path():
    report = to_text(analyze(TEXT))
    assert "target: final" in report
    assert "`test` is not needed by target `final`" in report
    assert "critical path: build -> final" in report


def test_untrusted_text_loses_control_characters():
    hostile = "FROM scratch AS a\nRUN true\nFOO \x1b]0;pwned\x07\n"
    analysis = analyze(hostile)
    for rendered in (to_text(analysis), to_dot(analysis), to_mermaid(analysis)):
        assert "\x1b" not in rendered and "\x07" not in rendered


def test_dot_and_mermaid_have_all_nodes_and_edges():
    analysis = analyze(TEXT)
    dot = to_dot(analysis)
    assert dot.startswith("digraph") and dot.count("->") == len(analysis.edges)
    mermaid = to_mermaid(analysis)
    assert mermaid.startswith("flowchart LR")
    assert "class s1 skipped;" in mermaid


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(TEXT)
    (tmp_path / "Broken.Dockerfile").write_text("FROM scratch\nCOPY --chmpd=1 a b\n")
    return tmp_path


def test_cli_exit_codes(context: Path, capsys):
    assert main(["plan", str(context)]) == 0
    capsys.readouterr()
    assert main(["plan", str(context), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert main(["plan", str(context), "-f", "Broken.Dockerfile"]) == 1
    assert "line 2: unknown flag: --chmpd" in capsys.readouterr().err
    assert main(["plan", str(context / "Dockerfile"), "--target", "nope"]) == 1
    assert main(["plan", str(context / "missing")]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["plan", str(context), "--format", "yaml"])
    assert usage.value.code == 2


def test_cli_json_output_parses_and_honours_build_args(context: Path, capsys):
    assert main(["plan", str(context), "--format", "json", "--build-arg", "SDK_IMAGE=msb-demo/golang:1.19-bookworm",
                 "--target", "TEST"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["target"] == "test"
    assert document["stages"][0]["base"]["ref"] == "msb-demo/golang:1.19-bookworm"


def test_documented_example_matches(tmp_path: Path):
    """docs/plan-json.md's example is real output (keys and values), not a sketch."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "plan-json.md"
    text = docs.read_text()
    dockerfile_text = text.split("```dockerfile\n", 1)[1].split("```", 1)[0]
    documented = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    (tmp_path / "Dockerfile").write_text(dockerfile_text)
    actual = to_dict(analyze(tmp_path / "Dockerfile"))
    documented.pop("source")
    actual.pop("source")
    assert actual == documented
