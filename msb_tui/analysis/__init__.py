"""Dockerfile analysis: from a Dockerfile (+ target, build args, platform) know what BuildKit will do.

Pure Python on BuildKit's own parser; never imports Textual. ``analyze()`` is the one entry point::

    analysis = analyze(Path("Dockerfile"), target="final", build_args={"GO_VERSION": "1.22"})
    analysis.stages, analysis.edges, analysis.plan, analysis.errors, analysis.lint
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from msb_tui.analysis.errors import BUILDKIT_BEHAVIOUR_NOTES, BUILDKIT_VERSION_NOTES, DockerfileError, Finding
from msb_tui.analysis.parse import Instruction, ParsedFile, finish_parse, run_parser
from msb_tui.analysis.plan import Plan, make_plan
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage
from msb_tui.analysis.steps import StepIndex

__all__ = [
    "BUILDKIT_BEHAVIOUR_NOTES",
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


@dataclass(slots=False)
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
    directives: dict[str, str] = field(default_factory=dict)

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
        wanted = name.lower()
        found = [stage for stage in self.stages if stage.name == wanted]
        return found[-1] if found else None


def analyze(
    source: str | Path,
    *,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str | None = None,
    step_durations: Mapping[str, float] | None = None,
    lint: bool = True,
) -> Analysis:
    """Analyse Dockerfile text (a ``str``) or a file (a ``Path``) for ``target`` (default: last stage).

    ``step_durations`` ({stage display name: seconds}) switches the critical path from instruction
    counts to measured time. The plan is computed whenever the stage graph allows it (stages exist,
    the target exists, no cycle), even if BuildKit would refuse the file for another reason:
    check ``errors`` (or ``ok``) before trusting it as "what will run".
    """
    path = None
    if isinstance(source, Path):
        path = source
        text = source.read_text(encoding="utf-8", errors="replace")
    else:
        text = source
    commands, parse_error = run_parser(text)  # BuildKit's parser, under the usual GC settings
    with _gc_paused():
        parsed: ParsedFile = finish_parse(text, commands, parse_error)
        return _analyze_parsed(parsed, path, target, build_args, platform, step_durations, lint)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while the model is built from the parser's output.

    Building the model allocates tens of thousands of small tuples right after the parser
    allocated its own; each burst makes the collector re-scan all of them, for nothing (the model
    holds no cycles worth collecting early). Reference counting still frees memory as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyze_parsed(parsed, path, target, build_args, platform, step_durations, lint) -> Analysis:
    from msb_tui.analysis.model import build_model, reachable, stage_dependencies

    model = build_model(parsed, target=target, build_args=dict(build_args or {}), platform=platform)
    analysis = Analysis(
        stages=model.stages,
        edges=model.edges,
        externals=model.externals,
        errors=model.errors,
        global_args=model.global_args,
        source_path=path,
        escape=parsed.escape,
        directives=parsed.directives,
    )
    if model.stages and model.target is not None and not model.cyclic:
        needs = stage_dependencies(model)
        needed = model.needed if model.needed is not None else reachable(needs, model.target)
        analysis.plan = make_plan(
            model.stages, needs, needed, model.target, step_durations, backward_only=not model.forward
        )
        analysis.target_name = model.stages[model.target].display_name
    if lint and model.stages:
        from msb_tui.analysis.lint import run_lint

        analysis.lint = run_lint(model, analysis.plan)
    return analysis
