"""Reorder advice (issue 18 item 3) on the node, go and python demos: as written (dependency
manifests copied first: nothing to advise) and with the whole-context COPY moved above the install
(the CacheBustingCopy finding: the install re-ran for a source change, and the advice says what it
took and which lines keep it cached)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.cache.advice import advise, manifests_for
from msb_tui.cache.explain import Cause, StepExplanation

DEMOS = Path(__file__).resolve().parents[2] / "demo_dockerfiles"


def demo(name: str) -> str:
    return (DEMOS / name / "Dockerfile").read_text()


def copy_all_first(text: str, manifest_copy: str) -> str:
    """The demo with its manifest COPY replaced by the whole-context COPY (and that COPY's later
    occurrence in the same stage dropped): the order CacheBustingCopy warns about."""
    lines = text.splitlines()
    at = lines.index(manifest_copy)
    for index in range(at + 1, len(lines)):
        if lines[index].startswith("FROM "):
            break
        if lines[index] == "COPY . .":
            del lines[index]
            break
    lines[at] = "COPY . ."
    return "\n".join(lines) + "\n"


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def explained(analysis, *, changed: dict[int, list[str]] | None = None, cause_at: dict[int, Cause] | None = None,
              seconds: float = 12.5) -> list[StepExplanation]:
    """An explanation of a rebuild: the steps from the line in ``changed`` (files changed) or
    ``cause_at`` ran, and every later step of that stage and the stages built on it ran after it."""
    changed = changed or {}
    causes = {**{line: Cause.FILES_CHANGED for line in changed}, **(cause_at or {})}
    steps: list[StepExplanation] = []
    started: dict[int, str] = {}  # stage index -> id of the step that started its cascade
    for stage in analysis.stages:
        origin = started.get(stage.base.stage_index) if stage.base.kind == "stage" else None
        for position, instruction in enumerate(stage.instructions, 1):
            line = instruction.line_start
            step = StepExplanation(stage.display_name, position, line, instruction.original, False, Cause.CACHED)
            if line in causes and origin is None:
                files = [{"path": p, "kind": "modified", "old_size": 10, "new_size": 12} for p in changed.get(line, [])]
                step.ran, step.cause, step.seconds = True, causes[line], 0.2
                step.detail = {"source": ".", "changes": files, "count": len(files)}
                origin = step.id
            elif origin is not None:
                step.ran, step.cause, step.cascade_from, step.seconds = True, Cause.PARENT_RAN, origin, seconds
            steps.append(step)
        if origin is not None:
            started[stage.index] = origin
    return steps


def test_go_demo_as_written_needs_no_advice():
    text = demo("go")
    analysis = analyze(text)
    assert [f for f in analysis.lint if f.rule == "CacheBustingCopy"] == []
    steps = explained(analysis, changed={line_of(text, "COPY . ."): ["cmd/server/main.go"]})
    assert advise(steps, analysis) == []


def test_go_demo_with_copy_all_first_advises_copying_go_mod_first():
    text = copy_all_first(demo("go"), "COPY go.mod ./")
    analysis = analyze(text)
    copy_line, install_line = line_of(text, "COPY . ."), line_of(text, "RUN go mod download")
    [finding] = [f for f in analysis.lint if f.rule == "CacheBustingCopy"]
    assert finding.line == copy_line
    steps = explained(analysis, changed={copy_line: ["cmd/server/main.go"]}, seconds=31.0)

    [advice] = advise(steps, analysis, context_files=["go.mod", "Dockerfile", "cmd/server/main.go"])

    assert (advice.stage, advice.copy_line, advice.install_line) == ("build", copy_line, install_line)
    assert advice.seconds == 31.0
    assert advice.changed == ("cmd/server/main.go",)
    assert advice.manifests == ("go.mod",)  # the demo has no go.sum
    assert advice.suggestion == ("COPY go.mod ./", "RUN go mod download", "COPY . .")
    assert advice.finding is finding
    assert advice.summary() == (
        f"line {install_line} re-ran (took 31.0s) only because the COPY of the whole context on line {copy_line} "
        "saw 1 changed file (cmd/server/main.go); copy go.mod first, install, then copy the rest and it stays cached"
    )
    assert advice.to_json()["rule"] == "CacheBustingCopy"
    # Without the context's file list: go.sum may or may not exist, so it is copied with a pattern.
    [advice] = advise(steps, analysis)
    assert advice.suggestion[0] == "COPY go.mod go.sum* ./"


def test_a_changed_manifest_would_have_rerun_the_install_in_any_order():
    text = copy_all_first(demo("go"), "COPY go.mod ./")
    analysis = analyze(text)
    steps = explained(analysis, changed={line_of(text, "COPY . ."): ["cmd/server/main.go", "go.mod"]})
    assert advise(steps, analysis) == []


@pytest.mark.parametrize("cause", [Cause.LINE_CHANGED, Cause.NO_CACHE, Cause.ARG_CHANGED, Cause.NOT_ON_ENGINE])
def test_an_install_that_ran_for_another_reason_gets_no_advice(cause):
    text = copy_all_first(demo("go"), "COPY go.mod ./")
    analysis = analyze(text)
    # The install itself ran for its own reason ...
    assert advise(explained(analysis, cause_at={line_of(text, "RUN go mod download"): cause}), analysis) == []
    # ... or the cascade started above the whole-context copy.
    assert advise(explained(analysis, cause_at={line_of(text, "WORKDIR"): cause}), analysis) == []


def test_a_cached_install_gets_no_advice():
    text = copy_all_first(demo("go"), "COPY go.mod ./")
    analysis = analyze(text)
    assert advise(explained(analysis), analysis) == []


def test_node_demo_with_copy_all_first_advises_package_files_with_the_cache_mount_kept():
    text = copy_all_first(demo("node"), "COPY package.json package-lock.json ./")
    analysis = analyze(text)
    copy_line = line_of(text, "COPY . .")
    steps = explained(analysis, changed={copy_line: ["src/server.js"]}, seconds=48.2)

    [advice] = advise(steps, analysis, context_files=["package.json", "package-lock.json", "src/server.js"])

    assert advice.stage == "deps"
    assert advice.install_line == line_of(text, "RUN --mount=type=cache,target=/root/.npm npm ci")
    assert advice.suggestion == (
        "COPY package.json package-lock.json ./",
        "RUN --mount=type=cache,target=/root/.npm npm ci",
        "COPY . .",
    )
    assert "took 48.2s" in advice.summary()


def test_python_demo_with_copy_all_first_advises_the_requirements_and_not_the_project_wheel():
    text = copy_all_first(demo("python"), "COPY requirements.txt ./")
    analysis = analyze(text)
    copy_line = line_of(text, "COPY . .")
    findings = [f for f in analysis.lint if f.rule == "CacheBustingCopy"]
    assert [f.line for f in findings] == [copy_line]
    steps = explained(analysis, changed={copy_line: ["app/main.py"]})

    [advice] = advise(steps, analysis)

    install = line_of(text, "RUN --mount=type=cache,target=/root/.cache/pip")
    assert advice.install_line == install  # `pip wheel -r requirements.txt`, not `pip wheel --no-deps .`
    assert advice.manifests == ("requirements.txt",)
    assert advice.suggestion[0] == "COPY requirements.txt ./"
    assert "pip wheel --wheel-dir /wheels -r requirements.txt" in advice.suggestion[1]


def test_python_demo_as_written_is_clean():
    assert [f for f in analyze(demo("python")).lint if f.rule == "CacheBustingCopy"] == []
    assert [f for f in analyze(demo("node")).lint if f.rule == "CacheBustingCopy"] == []


def test_a_system_package_install_moves_above_the_copy():
    text = "FROM debian:12\nWORKDIR /app\nCOPY . .\nRUN apt-get update && apt-get install -y curl\nRUN make\n"
    analysis = analyze(text)
    steps = explained(analysis, changed={3: ["Makefile"]}, seconds=20.0)
    [advice] = advise(steps, analysis)
    assert advice.manifests == ()
    assert advice.suggestion == ("RUN apt-get update && apt-get install -y curl", "COPY . .")
    assert "reads nothing from the context" in advice.summary()


@pytest.mark.parametrize(
    ("run", "files", "expected"),
    [
        ("RUN npm ci", None, ("package.json", "package-lock.json*")),
        ("RUN yarn install --frozen-lockfile", ["package.json", "yarn.lock"], ("package.json", "yarn.lock")),
        ("RUN pip install -r requirements/base.txt -r requirements/prod.txt", None,
         ("requirements/base.txt", "requirements/prod.txt")),
        ("RUN pip install flask", None, ()),
        ("RUN poetry install --no-root", ["pyproject.toml"], ("pyproject.toml",)),
        ("RUN dotnet restore", ["App.csproj", "tests/T.csproj"], ("*.csproj",)),
        ("RUN cargo build --release", None, None),
        ("RUN mvn -B package", None, None),
        ("RUN mvn -B dependency:go-offline", None, ("pom.xml",)),
    ],
)
def test_manifests_for_each_package_manager(run, files, expected):
    [instruction] = analyze(f"FROM x\n{run}\n").stages[0].instructions
    assert manifests_for(instruction, files) == expected


def test_requirements_in_a_folder_keep_their_path():
    text = "FROM python:3.12\nWORKDIR /src\nCOPY . /src\nRUN pip install -r requirements/base.txt\n"
    analysis = analyze(text)
    [advice] = advise(explained(analysis, changed={3: ["app.py"]}), analysis)
    assert advice.suggestion == ("COPY requirements/base.txt /src/requirements/", "RUN pip install -r requirements/base.txt",
                                 "COPY . /src")


@pytest.mark.parametrize(
    ("run", "flagged"),
    [
        ("RUN pip wheel --wheel-dir /wheels -r requirements.txt", True),
        ("RUN pip download -r requirements.txt", True),
        ("RUN pip install .", False),  # the project itself: it needs the sources
        ("RUN pip wheel --no-deps --wheel-dir /wheels .", False),
        ("RUN pip install -e .[dev]", False),
        ("RUN pip install -r requirements.txt && pip install .", True),
    ],
)
def test_cache_busting_copy_knows_pip_dependencies_from_the_project(run, flagged):
    findings = [f for f in analyze(f"FROM python:3.12\nCOPY . .\n{run}\n").lint if f.rule == "CacheBustingCopy"]
    assert bool(findings) == flagged


def test_no_advice_when_the_changed_files_are_not_all_listed():
    text = copy_all_first(demo("go"), "COPY go.mod ./")
    analysis = analyze(text)
    steps = explained(analysis, changed={line_of(text, "COPY . ."): ["cmd/server/main.go"]})
    steps[[s.line for s in steps].index(line_of(text, "COPY . ."))].detail["count"] = 4000  # go.mod may be one
    assert advise(steps, analysis) == []
