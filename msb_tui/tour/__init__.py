"""The guided tour of multi-stage builds (``msb-tui demo --tour``): its steps as data, and the facts
each caption states, worked out from the Dockerfile analysis and from measurements of real builds.

Headless: no Textual here. The tour screen (``msb_tui.tui.tour``) shows a step's caption over the
live app and opens what the step names; this module says what that is, on a real engine or, when
none answers, from the recordings of real builds bundled beside it (``recordings/``, made by
``scripts/record_tour.py`` on a real engine; ``facts.json`` holds what was measured then).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).with_name("recordings")
FACTS = RECORDINGS / "facts.json"


@dataclass(frozen=True)
class Step:
    """One stop of the tour: what to open, for which demo, and the caption over it."""

    key: str
    title: str
    caption: str  # may name facts in {braces}: see ``facts_for``
    demo: str  # the demo Dockerfile (demo_dockerfiles/<demo>, or the recording's copy)
    show: str  # graph | build | compare | layers | shell
    target: str | None = None
    recording: str | None = None  # bundled recording replayed when no engine answers
    compare_recording: str | None = None
    select: str | None = None  # the stage the graph selects
    keys: str = ""  # how to do this outside the tour


STEPS: tuple[Step, ...] = (
    Step("graph", "The stage graph",
         "{stage_count} stages in one Dockerfile: {stage_names}. Arrows are FROM and COPY --from: "
         "each stage can start from another and copy files out of it.",
         demo="seed-example", show="graph", keys="arrows select a stage; d shows its Dockerfile lines"),
    Step("plan", "The plan for the default target",
         "The default target is the last stage, `{target}`. BuildKit builds {needed} and skips "
         "`test`: {test_skip_reason}.",
         demo="seed-example", show="graph", select="test", keys="t picks another target"),
    Step("parallel", "BuildKit runs independent stages at once",
         "{parallel_stages} need nothing from each other, so BuildKit runs them side by side: "
         "{parallel_overlap}.",
         demo="parallel", show="build", recording="parallel.jsonl", keys="b builds the target"),
    Step("classic", "The classic builder runs every stage",
         "Left BuildKit, right the classic builder (DOCKER_BUILDKIT=0) on the same Dockerfile: the classic "
         "builder runs all {stage_count} stages, `test` included, one after another.",
         demo="seed-example", show="compare", recording="seed-example.jsonl",
         compare_recording="seed-example-classic.jsonl", keys="v builds both ways (versus)"),
    Step("target-test", "--target test",
         "Ask for the test stage and BuildKit runs it, with the stages it needs: {test_needed}.",
         demo="seed-example", show="build", target="test", recording="seed-example-test.jsonl",
         keys="t test, then b"),
    Step("layers", "What came out: layers and sizes",
         "The Go SDK stage is {sdk_size}; the final image, FROM scratch with only the binary, is {final_size}: "
         "{size_ratio} (measured on {engine}).",
         demo="go", show="layers", recording="go.jsonl", keys="l after a build; c sizes each stage"),
    Step("failure", "A failing stage",
         "When a step fails, msb-tui opens the failure: the step, its last log lines, and the Dockerfile "
         "lines around it.",
         demo="broken", show="build", recording="broken.jsonl", keys="b, then read the failure panel"),
    Step("shell", "A shell in an intermediate stage",
         "Build a stage on its own (`{shell_stage}`, as --target) and open a shell in it to see what the next "
         "stage will COPY --from it.",
         demo="seed-example", show="shell", target="build", keys="x on a stage, b to build it, s for the shell"),
)


class Tour:
    """Where the presenter is: one key forward, one key back, never past either end."""

    def __init__(self, steps: tuple[Step, ...] = STEPS) -> None:
        self.steps = steps
        self.index = 0

    @property
    def step(self) -> Step:
        return self.steps[self.index]

    def next(self) -> bool:
        """Move on; False at the last step."""
        if self.index + 1 >= len(self.steps):
            return False
        self.index += 1
        return True

    def back(self) -> bool:
        if self.index == 0:
            return False
        self.index -= 1
        return True

    def position(self) -> str:
        return f"{self.index + 1}/{len(self.steps)}"


def recording(name: str) -> Path:
    return RECORDINGS / name


def measured() -> dict[str, Any]:
    """What ``scripts/record_tour.py`` measured on a real engine (engine, sizes, a shell's output)."""
    try:
        return json.loads(FACTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def recorded_dockerfile(name: str) -> str:
    """The Dockerfile text a bundled recording was built from."""
    from msb_tui.builds.recording import read_inputs

    return str(read_inputs(recording(name)).get("dockerfile_text") or "")


def demo_recording(demo: str) -> str:
    """A bundled recording built from ``demo`` (for its Dockerfile when the demo folder is absent)."""
    return next(s.recording for s in STEPS if s.demo == demo and s.recording)


def human_size(size: int | None) -> str:
    if not size:
        return "?"
    from humanize import naturalsize

    return naturalsize(size)


def _names(analysis, indexes) -> str:
    names = [f"`{analysis.stages[i].display_name}`" for i in sorted(indexes)]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def overlap_sentence(model, names: list[str]) -> str:
    """How long the named stages of a finished build ran at the same time, against one after another."""
    runs = [s for s in model.stages if s.name in names and s.started and s.completed]
    if len(runs) < 2:
        return ""
    together = min(s.completed for s in runs) - max(s.started for s in runs)
    in_a_row = sum(s.completed - s.started for s in runs)
    return f"all {len(runs)} ran together for {max(0.0, together):.1f} s; one after another they take {in_a_row:.1f} s"


def facts_for(step: Step, analysis, facts: dict[str, Any] | None = None) -> dict[str, str]:
    """The values a step's caption names, from the analysis of its Dockerfile (and ``measured()``)."""
    from msb_tui.commands.replay import replayed_model

    facts = measured() if facts is None else facts
    values: dict[str, str] = {}
    if analysis is not None and analysis.stages:
        stages = analysis.stages
        plan = analysis.plan
        values["stage_count"] = str(len(stages))
        values["stage_names"] = ", ".join(s.display_name for s in stages)
        if plan is not None:
            values["target"] = stages[plan.target].display_name
            values["needed"] = _names(analysis, plan.needed)
            test = analysis.stage_named("test")
            if test is not None:
                values["test_skip_reason"] = (plan.skip_reasons.get(test.index, "").replace("`", "")
                                              or "the target needs it")
                values["test_needed"] = _names(analysis, plan.needed)
            widest = max(plan.waves, key=len) if plan.waves else []
            values["parallel_stages"] = _names(analysis, widest) if widest else "no stages"
            if step.recording and len(widest) > 1:
                names = [stages[i].display_name for i in widest]
                model = replayed_model(recording(step.recording))
                values["parallel_overlap"] = overlap_sentence(model, names) or "?"
    sizes = facts.get("sizes", {})
    sdk, final = sizes.get("sdk"), sizes.get("final")
    values["engine"] = f"{facts.get('engine', 'a real engine')}, {facts.get('recorded', '')}".rstrip(", ")
    values["sdk_size"] = human_size(sdk)
    values["final_size"] = human_size(final)
    values["size_ratio"] = f"{sdk / final:.0f}x smaller" if sdk and final else "build it to measure"
    values["shell_stage"] = step.target or "build"
    return values


def caption(step: Step, analysis, facts: dict[str, Any] | None = None) -> str:
    """The step's caption with its facts filled in (a fact that cannot be worked out reads '?')."""
    return step.caption.format_map(defaultdict(lambda: "?", facts_for(step, analysis, facts)))
