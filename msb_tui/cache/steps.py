"""What each step's cache key depends on, as far as msb-tui can see it: one walk of a Dockerfile's
stages that keeps, per step, its instruction, the values it sees, the context paths, images and
stages it reads, and the step it is built on.

What a step sees is BuildKit's: a ``RUN`` gets every build arg declared in its stage so far (as an
environment variable) and every ``ENV``, and runs under ``USER`` and ``SHELL``; ``COPY``, ``ADD`` and
``WORKDIR`` depend only on the variables they name; ``ENV`` overrides an ``ARG`` of the same name.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from msb_tui.analysis.args import ExpansionError, expand
from msb_tui.analysis.platforms import platform_args
from msb_tui.analysis.stages import COUNTED_STEPS, Stage, stage_for_ref
from msb_tui.analysis.steps import StepIndex
from msb_tui.analysis.validate import mount_fields
from msb_tui.cache.explain import step_id

_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@)", re.IGNORECASE)


@dataclass
class StepFacts:
    """What one step's cache key depends on, as far as msb-tui can see it."""

    id: str
    stage: str
    index: int
    total: int
    line: int | None
    instruction: str  # as written
    kind: str  # "from", "run", "copy", "add", "workdir"
    op: tuple  # the parsed instruction: equal ops are the same step
    seen: dict[tuple[str, str], tuple[str | None, int]] = field(default_factory=dict)  # (kind, name) -> (value, line)
    sources: list[str] | None = None  # context paths it reads (None: it reads none)
    excludes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # image refs it reads
    from_stages: list[str] = field(default_factory=list)  # stages whose files it reads
    parent: str | None = None  # the step it is built on
    remote: bool = False  # ADD of a URL or git repository: decided by what the remote serves
    link: bool = False  # COPY/ADD --link: its own cache key leaves out the step it is built on
    from_line: tuple[str, int] | None = None  # first step of a stage FROM another stage: that FROM line


def covers(source: str, path: str) -> bool:
    """True when ``COPY <source>`` copies the context file ``path``: the source names it or one of
    its folders, ``*``/``?``/``[..]`` matching within one path element (BuildKit's filepath.Match)."""
    source = clean_source(source)
    if not source:
        return True
    pattern = source.split("/")
    parts = path.split("/")
    if len(parts) < len(pattern):
        return False
    for want, have in zip(pattern, parts):
        if want != have and not fnmatchcase(have, want.replace("[^", "[!")):
            return False
    return True


def clean_source(source: str) -> str:
    """A source as a slash path relative to the context root ("" for the root itself)."""
    cleaned = posixpath.normpath("/" + source.replace("\\", "/")).lstrip("/")
    return "" if cleaned in (".", "") else cleaned


def _expand(word: str, scope: dict[str, str], escape: str) -> str:
    try:
        return expand(word, scope, escape=escape).result
    except ExpansionError:
        return word


class StepWalker:
    """Walks the stages of one Dockerfile, collecting each step's facts with the scope it sees."""

    def __init__(self, analysis, build_args: dict[str, str], platform: str | None):
        self.analysis = analysis
        self.stages: list[Stage] = analysis.stages
        self.index = StepIndex(self.stages)
        self.build_args = build_args
        self.escape = analysis.escape
        self.globals = {name: arg.value for name, arg in analysis.global_args.items()}
        self.automatic = platform_args(platform)
        self.done: dict[int, tuple[list[StepFacts], dict]] = {}

    def stage(self, stage: Stage) -> tuple[list[StepFacts], dict]:
        """(the stage's steps, the scope at its end: what a stage FROM it inherits). A stage is
        built FROM an earlier one only: the recursion ends."""
        if stage.index in self.done:
            return self.done[stage.index]
        scope: dict[tuple[str, str], tuple[str | None, int]] = {}
        parent: str | None = None
        from_line = None
        if stage.base.kind == "stage":
            _, base_scope = self.stage(self.stages[stage.base.stage_index])
            scope = {key: value for key, value in base_scope.items() if key[0] != "arg"}
            parent = self.last_of(stage.base.stage_index)
            from_line = (stage.from_instruction.original, stage.from_instruction.line_start)
        numbered = self.index.steps_of(stage)
        total = len(numbered)
        steps: list[StepFacts] = []
        number = 0
        if stage.base.kind == "image":
            number = 1
            facts = StepFacts(step_id(stage.display_name, 1), stage.display_name, 1, total,
                              stage.from_instruction.line_start, stage.from_instruction.original, "from",
                              ("FROM", stage.base.ref), images=[stage.base.ref])
            steps.append(facts)
            parent = facts.id
        triggers = numbered[number:len(numbered) - sum(1 for i in stage.instructions if i.cmd in COUNTED_STEPS)]
        for trigger in triggers:
            number += 1
            facts = self._step(stage, number, total, trigger, scope, parent, keyword=(trigger.sub_cmd or "").upper())
            steps.append(facts)
            parent = facts.id
        for instruction in stage.instructions:
            cmd = instruction.cmd
            if cmd == "ARG":
                self._arg(instruction, scope)
            elif cmd == "ENV":
                values = instruction.value
                for name, value in zip(values[::2], values[1::2]):
                    scope[("env", name)] = (_expand(value, self._values(scope), self.escape), instruction.line_start)
            elif cmd in ("USER", "SHELL"):
                scope[(cmd.lower(), cmd)] = (instruction.original, instruction.line_start)
            elif cmd in COUNTED_STEPS:
                number += 1
                facts = self._step(stage, number, total, instruction, scope, parent)
                if from_line is not None and not steps:
                    facts.from_line = from_line
                steps.append(facts)
                parent = facts.id
        self.done[stage.index] = (steps, dict(scope))
        return steps, scope

    def last_of(self, index: int) -> str | None:
        """The last step of stage ``index`` (through its base stages when it has none)."""
        stage = self.stages[index]
        steps, _ = self.stage(stage)
        if steps:
            return steps[-1].id
        if stage.base.kind == "stage":
            return self.last_of(stage.base.stage_index)
        return None

    def _values(self, scope) -> dict[str, str]:
        """Variables for expansion: build args, overridden by ENV (as BuildKit does)."""
        values = {name: value for (kind, name), (value, _) in scope.items() if kind == "arg" and value is not None}
        values.update({name: value for (kind, name), (value, _) in scope.items() if kind == "env" and value is not None})
        return values

    def _arg(self, instruction, scope) -> None:
        for word in instruction.value:
            name, sep, default = word.partition("=")
            if name in self.build_args:
                value = self.build_args[name]
            elif sep:
                value = _expand(default, self._values(scope), self.escape)
            elif name in self.globals:
                value = self.globals[name]
            else:
                value = self.automatic.get(name)
            scope[("arg", name)] = (value, instruction.line_start)

    def _step(self, stage: Stage, number: int, total: int, instruction, scope, parent, keyword: str | None = None):
        kind = (keyword or instruction.cmd).lower()
        values = self._values(scope)
        facts = StepFacts(step_id(stage.display_name, number), stage.display_name, number, total,
                          instruction.line_start, instruction.original, kind,
                          (instruction.cmd, instruction.sub_cmd, instruction.flags, instruction.value,
                           instruction.heredocs, instruction.json), parent=parent)
        if kind == "run":
            facts.seen = {key: value for key, value in scope.items() if key[0] != "arg" or value[0] is not None}
        else:
            names = {a or b for a, b in _VARIABLE.findall(instruction.original)}
            for name in names:
                for key in (("env", name), ("arg", name)):
                    if key in scope:
                        facts.seen[key] = scope[key]
                        break
        if kind in ("copy", "add"):
            facts.link = instruction.flag("link") not in (None, "false")
            source = instruction.flag("from")
            words = [w for w in instruction.value[:-1] if not (instruction.heredocs and w.startswith("<<"))]
            if source is not None:
                self._reads(facts, _expand(source, values, self.escape))
            else:
                expanded = [_expand(word, values, self.escape) for word in words]
                if kind == "add" and any(_REMOTE.match(word) for word in expanded):
                    facts.remote = True
                facts.sources = [word for word in expanded if not _REMOTE.match(word)]
                facts.excludes = [_expand(w, values, self.escape) for w in instruction.flag_values("exclude")]
        elif kind == "run":
            for mount in instruction.flag_values("mount"):
                fields = mount_fields(mount)
                if fields.get("type", "bind") not in ("bind", "cache"):
                    continue
                if "from" in fields:
                    self._reads(facts, _expand(fields["from"], values, self.escape))
                elif fields.get("type", "bind") == "bind":
                    path = _expand(fields.get("source") or fields.get("src") or ".", values, self.escape)
                    facts.sources = [*(facts.sources or []), path]
        return facts

    def _reads(self, facts: StepFacts, ref: str) -> None:
        other = stage_for_ref(self.stages, ref)
        if other is not None:
            facts.from_stages.append(other.display_name)
        else:
            facts.images.append(ref)

    def needed(self) -> list[StepFacts]:
        plan = self.analysis.plan
        needed = sorted(plan.needed) if plan is not None else range(len(self.stages))
        steps = []
        for index in needed:
            steps.extend(self.stage(self.stages[index])[0])
        return steps
