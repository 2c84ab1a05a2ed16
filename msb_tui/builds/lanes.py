"""Lanes of a multi-platform build: one stage run per stage AND platform.

``--platform linux/amd64,linux/arm64`` runs the stage plan once per target platform, and BuildKit
names each step after its stage's platform (``[linux/arm64 final 1/2]``). A stage pinned with
``FROM --platform=$BUILDPLATFORM`` runs on the build machine's platform for every target: its
steps are written ``[linux/amd64->arm64 build 2/3]`` when the stage reads a target ARG, and plainly
``[linux/amd64 pack 2/3]`` when only an input differs (a ``COPY --from`` of another target's
stage). Such a step belongs to the lane its input is in; a step the targets share (the same
operation for each, merged by BuildKit) stays in the lane its name says.

Single-platform builds have no lanes: their stage runs are the stages, named as before.
"""

from __future__ import annotations

from collections.abc import Callable

from msb_tui.analysis.platforms import step_platform
from msb_tui.analysis.steps import parse_step_name
from msb_tui.builds.runs import StageRun, State, StepRun


class Lanes:
    """Makes and orders the lanes; knows which lane a step's name and inputs put it in.

    ``platforms``: the build's target platforms as declared (``--platform``, a recording's inputs,
    the builder's history); each gets a lane for every stage. Undeclared, the platforms are
    learned from the step names (each one then gets a lane for every stage). A platform that is
    not a target (a pinned stage's) gets lanes only for the stages that ran on it.
    """

    def __init__(self, platforms: list[str], pinned: Callable[[int | None], bool]):
        self.platforms = list(platforms) if len(platforms) > 1 else []
        self.declared = bool(self.platforms)
        self.active = self.declared  # a multi-platform build
        self._pinned = pinned  # stage index -> its FROM pins a platform (also through its base stage)
        self._extra: list[str] = []  # platforms with lanes for some stages only
        self._lanes: dict[tuple[StageRun, str], StageRun] = {}
        self._template: dict[StageRun, StageRun] = {}  # lane -> its stage's platform-less run
        self._waiting: dict[str, list[StepRun]] = {}  # input digest -> pinned steps it may move
        self._build_platform: str | None = None  # where pinned stages run (``linux/amd64`` of ``->arm64``)

    def runs(self, templates: list[StageRun]) -> list[StageRun]:
        """Every lane in stage order, then platform order (a platform-less run that got steps stays)."""
        if not self.active:
            return templates
        out = []
        for template in templates:
            if template.steps:
                out.append(template)
            for platform in self.platforms:
                out.append(self.lane(template, platform))
            out.extend(self._lanes[template, p] for p in self._extra if (template, p) in self._lanes)
        return out

    def template(self, run: StageRun) -> StageRun:
        return self._template.get(run, run)

    def lanes_of(self, template: StageRun) -> list[StageRun]:
        return [run for (owner, _), run in self._lanes.items() if owner is template]

    def lane(self, template: StageRun, platform: str | None) -> StageRun:
        """The run of ``template``'s stage on ``platform`` (made on first use, with the plan's verdict)."""
        if platform is None:
            return template
        run = self._lanes.get((template, platform))
        if run is None:
            run = StageRun(template.name, template.index, platform=platform, needed=template.needed,
                           skip_reason=template.skip_reason,
                           state=State.SKIPPED if template.state == State.SKIPPED else State.PLANNED)
            self._lanes[template, platform] = run
            self._template[run] = template
            if platform not in self.platforms and platform not in self._extra:
                self._extra.append(platform)
        return run

    def sync(self, template: StageRun) -> list[StageRun]:
        """Copy the plan's verdict (needed, skipped) from a stage to its lanes; the lanes changed."""
        changed = []
        for run in self.lanes_of(template):
            if (run.needed, run.skip_reason) != (template.needed, template.skip_reason):
                run.needed, run.skip_reason = template.needed, template.skip_reason
                if not run.steps:
                    run.state = template.state
                changed.append(run)
        return changed

    def platform_for(self, step: StepRun, prefix: str | None, template: StageRun,
                     run_of_step: Callable[[str], StageRun | None]) -> str | None:
        """The lane platform of a step named with ``prefix`` (``linux/amd64->arm64``); None for a
        step without one (single-platform builds). In a multi-platform build a step without one was
        named by another build's solve sharing the vertex (``[docs 1/3] FROM busybox``, seen in a
        history export): a vertex the platforms share, so the build platform's lane when an arrow
        named it, else the first platform's."""
        if prefix is None:
            if not self.active or not self.platforms:
                return None
            return self._build_platform or self.platforms[0]
        platform = step_platform(prefix)
        if "->" in prefix and self._build_platform is None:
            self._build_platform = step_platform(prefix.partition("->")[0])
        if not self.active:
            self.active = True  # undeclared: the first prefixed step says it is multi-platform
        if not self.declared and platform not in self.platforms:
            self.platforms = sorted([*self.platforms, platform])  # not arrival order: the same every time
            if platform in self._extra:
                self._extra.remove(platform)
        if "->" in prefix or not self._pinned(template.index):
            return platform
        for digest in step.inputs:
            self._waiting.setdefault(digest, []).append(step)
        return self._by_inputs(step, platform, run_of_step) or platform

    def _by_inputs(self, step: StepRun, named: str, run_of_step) -> str | None:
        """The one other lane a pinned step's inputs are in (it works for that target), if any."""
        others = set()
        for digest in step.inputs:
            run = run_of_step(digest)
            if run is not None and run.platform and run.platform != named:
                others.add(run.platform)
        return others.pop() if len(others) == 1 else None

    def settle(self, placed: StepRun, run_of_step: dict[str, StageRun]) -> list[tuple[StepRun, StageRun, StageRun]]:
        """Move the pinned steps that wait on ``placed`` (their input) to the lane it now says, and
        their own dependents in turn: (step, old lane, new lane) each; ``run_of_step`` is updated."""
        moves = []
        queue = [placed]
        while queue:
            step = queue.pop()
            for dependent in self._waiting.get(step.digest, ()):
                current = run_of_step.get(dependent.digest)
                parts = parse_step_name(dependent.name)
                if current is None or parts is None or parts.platform is None:
                    continue
                named = step_platform(parts.platform)
                platform = self._by_inputs(dependent, named, run_of_step.get) or named
                if platform != current.platform:
                    new = self.lane(self.template(current), platform)
                    run_of_step[dependent.digest] = new
                    dependent.platform = platform
                    moves.append((dependent, current, new))
                    queue.append(dependent)
        return moves
