"""Dockerfile analysis: from a Dockerfile (+ target, build args, platform) know what BuildKit will do.

Pure Python on BuildKit's own parser; never imports Textual. ``analyze()`` is the one entry point::

    analysis = analyze(Path("Dockerfile"), target="final", build_args={"GO_VERSION": "1.22"})
    analysis.stages, analysis.edges, analysis.plan, analysis.errors, analysis.lint
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from msb_tui.analysis.errors import BUILDKIT_VERSION_NOTES, DockerfileError, Finding
from msb_tui.analysis.lint import run_lint
from msb_tui.analysis.model import first_needed_step, model_stages
from msb_tui.analysis.parse import Instruction, ParsedFile, parse, read_dockerfile
from msb_tui.analysis.plan import Plan, make_plan
from msb_tui.analysis.platforms import target_platforms
from msb_tui.analysis.safety import refusal
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage, stage_named
from msb_tui.analysis.steps import StepIndex
from msb_tui.analysis.triggers import image_trigger_notes
from msb_tui.analysis.versions import (
    CURRENT, HEREDOCS, INVALID_UTF8_CHECKED, Version, parse_buildkit,
)

__all__ = [
    "BUILDKIT_VERSION_NOTES",
    "Analysis",
    "Base",
    "DockerfileError",
    "Edge",
    "Finding",
    "GlobalArg",
    "Instruction",
    "Plan",
    "Stage",
    "analyze",
]


@dataclass
class Analysis:
    """Everything known about one Dockerfile for one target. ``errors[0]`` is what BuildKit reports."""

    stages: list[Stage] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    externals: list[str] = field(default_factory=list)
    plan: Plan | None = None
    errors: list[DockerfileError] = field(default_factory=list)
    lint: list[Finding] = field(default_factory=list)
    global_args: dict[str, GlobalArg] = field(default_factory=dict)
    target_name: str | None = None
    source_path: Path | None = None
    escape: str = "\\"
    buildkit: Version = CURRENT  # the BuildKit this analysis is exact to
    # What the plan cannot know (e.g. ONBUILD triggers of an image it did not see): empty = certain.
    notes: list[str] = field(default_factory=list)
    # The target platforms of a multi-platform build (``--platform a,b``): the plan runs once per
    # platform, one lane per stage and platform. Empty or one platform: a single-platform build.
    platforms: list[str] = field(default_factory=list)

    @property
    def certain(self) -> bool:
        """True when nothing outside the Dockerfile can change which stages run."""
        return not self.notes

    @property
    def ok(self) -> bool:
        """True when BuildKit would accept the file for this target."""
        return not self.errors

    @property
    def target(self) -> Stage | None:
        return self.stages[self.plan.target] if self.plan else None

    @cached_property
    def _steps(self) -> StepIndex:
        return StepIndex(self.stages)

    def stage_for_step_name(self, name: str) -> Stage | None:
        """The stage a BuildKit step name belongs to (``[build 2/4] RUN ...``), or None."""
        return self._steps.stage_for(name)

    def step_for_name(self, name: str) -> tuple[Stage, Instruction | None] | None:
        """(stage, instruction) for a BuildKit step name; the instruction is the N-th counted step."""
        return self._steps.step_for(name)

    def stage_named(self, name: str) -> Stage | None:
        """The stage ``--target``/``--from`` would pick for ``name`` (case-insensitive, last wins)."""
        return stage_named(self.stages, name)


def analyze(
    source: str | bytes | Path,
    *,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | None = None,
    step_durations: Mapping[str, float] | None = None,
    lint: bool = True,
    buildkit: Version | str | None = None,
    image_triggers: Mapping[str, list[str] | None] | None = None,
) -> Analysis:
    """Analyse Dockerfile text (``str`` or ``bytes``) or a file (a ``Path``) for ``target``
    (default: the last stage).

    ``step_durations`` ({stage display name: seconds}) switches the critical path from instruction
    counts to measured time. The plan is computed whenever the stage graph allows it (stages exist,
    the target exists, no cycle), even if BuildKit would refuse the file for another reason:
    check ``errors`` (or ``ok``) before trusting it as "what will run".

    ``buildkit`` is the BuildKit to be exact to ((0, 8) or "0.8"; default: current BuildKit).
    ``image_triggers`` ({image ref: its ONBUILD triggers, or None when unknown}) lets the plan see
    what an external base image adds; a needed image it does not list makes the plan uncertain
    when that could change what runs (``Analysis.notes``).
    """
    version = parse_buildkit(buildkit) if isinstance(buildkit, str) else (buildkit or CURRENT)
    path = source if isinstance(source, Path) else None
    data = source.read_bytes() if path else source
    text = read_dockerfile(data) if isinstance(data, bytes) else data
    parsed = parse(text, heredocs=version >= HEREDOCS)
    build_args = dict(build_args or {})
    model = model_stages(parsed, target=target, build_args=build_args, platform=platform,
                         buildkit=version)
    analysis = Analysis(
        stages=model.stages,
        edges=model.edges,
        externals=model.externals,
        errors=model.errors,
        global_args=model.global_args,
        source_path=path,
        escape=parsed.escape,
        buildkit=version,
        platforms=target_platforms(platform),
    )
    if model.needed is not None:
        analysis.plan = make_plan(model.stages, model.needs, model.needed, model.target,
                                  step_durations)
        analysis.target_name = model.stages[model.target].display_name
        analysis.notes = image_trigger_notes(model, analysis.plan, image_triggers)
    if lint and model.stages:
        analysis.lint = run_lint(model, analysis.plan, build_args)
    if parsed.error is None or parsed.error.code == "no_from":
        _add_refusal(text, parsed, analysis)
    if isinstance(data, bytes) and analysis.plan and analysis.ok and version >= INVALID_UTF8_CHECKED:
        _check_utf8(data, analysis)
    return analysis


def _check_utf8(data: bytes, analysis: Analysis) -> None:
    """Current BuildKit cannot put bytes that are not UTF-8 into its build graph (a RUN command, a
    COPY path): the build fails. Only steps of stages that run are concerned."""
    bad = set()
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.add(number)
    found = first_needed_step(analysis.stages, analysis.plan.needed, lambda instruction: (
        instruction.cmd in ("RUN", "COPY", "ADD", "WORKDIR")
        and not bad.isdisjoint(range(instruction.line_start, instruction.line_end + 1))))
    if found:
        analysis.errors.append(DockerfileError.make(
            found.line_start,
            "failed to marshal LLB definition: string field contains invalid UTF-8",
            "invalid_utf8"))


def _add_refusal(text: str, parsed: ParsedFile, analysis: Analysis) -> None:
    """Input that would crash this BuildKit comes first among the errors; a file with no FROM says
    why there is none (BuildKit's own message and line are kept)."""
    refused = refusal(text, parsed.instructions, analysis.buildkit)
    if refused is None:
        return
    if refused.crash:
        analysis.errors.insert(0, DockerfileError.make(refused.line, refused.reason, "engine_crash"))
    elif analysis.errors and analysis.errors[0].code == "no_from" and "line break" in refused.reason:
        first = analysis.errors[0]
        analysis.errors[0] = replace(first, message=f"{first.message} ({refused.reason})")
