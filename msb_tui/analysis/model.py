"""The stage model of a Dockerfile (its edges: ``edges.py``), with every error BuildKit would report.

The order of checks follows BuildKit's ``dockerfile2llb.Dockerfile2LLB``: instruction parsing, "no
stages", global ARG defaults, FROM expansion, the target, ``--from`` resolution, cycles, image
references, then the per-stage dispatch checks (``--from`` a later stage). Every check runs over
all stages, needed or not, exactly as BuildKit does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from msb_tui.analysis.args import Expansion, ExpansionError, expand
from msb_tui.analysis.edges import build_edges, find_cycle, reachable
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction, ParsedFile
from msb_tui.analysis.platforms import OPERATING_SYSTEMS, platform_args
from msb_tui.analysis.references import reference_error
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage
from msb_tui.analysis.validate import check_instruction
from msb_tui.analysis.versions import CURRENT, SHELL_PATTERNS, Version

_PLATFORM_PART = re.compile(r"^[A-Za-z0-9_.-]+$")
# What a one-word platform may be: an operating system or an architecture.
_PLATFORM_WORDS = OPERATING_SYSTEMS | {
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
    "ppc64le", "riscv64", "s390x", "wasm", "x86_64", "x86-64", "aarch64", "armhf", "armel", "i386",
}


@dataclass(slots=True)
class Model:
    """Everything known about a Dockerfile before choosing what to run."""

    stages: list[Stage] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    externals: list[str] = field(default_factory=list)
    global_args: dict[str, GlobalArg] = field(default_factory=dict)
    global_env: dict[str, str] = field(default_factory=dict)
    # The global ARGs with their defaults only (no --build-arg): what the lint judges a FROM by.
    default_env: dict[str, str] = field(default_factory=dict)
    errors: list[DockerfileError] = field(default_factory=list)
    target: int | None = None
    cyclic: bool = False
    escape: str = "\\"
    meta_args: list[Instruction] = field(default_factory=list)
    from_unmatched: dict[int, set[str]] = field(default_factory=dict)
    needs: list[list[int]] = field(default_factory=list)  # per stage, the stages it needs
    # COPY --from / RUN --mount from= naming no stage (so an image): (ref, "copy"|"mount", line).
    external_sources: list[tuple[str, str, int]] = field(default_factory=list)
    needed: set[int] | None = None  # the stages the target needs; None when there is no plan
    buildkit: Version = CURRENT  # the BuildKit to be exact to
    legacy: bool = False  # BuildKit 0.8's variable expansion (set by model_stages)

    def error(self, line: int | None, message: str, code: str) -> None:
        """Add an error BuildKit reports (``code``: see errors.BUILDKIT_VERSION_NOTES)."""
        self.errors.append(DockerfileError.make(line, message, code))

    def expand(self, word: str, env: dict[str, str]) -> Expansion:
        """``word`` expanded in ``env`` as this BuildKit does (raises ``ExpansionError``)."""
        return expand(word, env, escape=self.escape, legacy=self.legacy)


def _platform_error(value: str) -> str | None:
    parts = value.split("/")
    if len(parts) > 3 or any(not _PLATFORM_PART.match(part) for part in parts):
        return f'"{value}": invalid platform specifier'
    if len(parts) == 1 and parts[0].lower() not in _PLATFORM_WORDS:
        return f'"{value}": unknown operating system or architecture: invalid argument'
    return None


def _group_stages(parsed: ParsedFile,
                  model: Model) -> tuple[list[list[Instruction]], list[DockerfileError]]:
    """The instructions of each stage (its FROM first), and the per-instruction errors in file
    order (an instruction other than ARG before the first FROM is an error too)."""
    groups: list[list[Instruction]] = []
    errors: list[DockerfileError] = []
    for instruction in parsed.instructions:
        line = instruction.line_start
        error = check_instruction(instruction, model.buildkit)
        if error is not None:
            errors.append(error)
        if instruction.cmd == "FROM":
            groups.append([instruction])
        elif groups:
            groups[-1].append(instruction)
        elif instruction.cmd == "ARG":
            model.meta_args.append(instruction)
        elif not errors or errors[-1].line != line:
            errors.append(DockerfileError.make(line, "no build stage in current context",
                                               "no_stage"))
    return groups, errors


def _arg_pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    pairs = []
    for word in instruction.value:
        key, sep, value = word.partition("=")
        pairs.append((key, value if sep else None))
    return pairs


def _global_args(model: Model, build_args: dict[str, str], platform: str | None) -> None:
    """Evaluate global ARGs as BuildKit's ``buildMetaArgs`` does (defaults expand in order)."""
    env = platform_args(platform)
    env.update({key: value for key, value in build_args.items() if key in env})
    default_env = dict(env)
    for instruction in model.meta_args:
        for key, default in _arg_pairs(instruction):
            overridden = key in build_args
            value: str | None = None
            if overridden:
                value = build_args[key]
            elif default is not None:
                try:
                    value = model.expand(default, env).result
                except ExpansionError as error:
                    if model.legacy:
                        value = ""  # BuildKit 0.8 ignores the error: the ARG is set, empty
                    else:
                        model.error(instruction.line_start, str(error), "expansion")
            if default is not None:
                try:
                    default_env[key] = model.expand(default, default_env).result
                except ExpansionError:
                    pass
            if value is not None:
                env[key] = value
            model.global_args[key] = GlobalArg(key, default, value, instruction.line_start, overridden)
    model.global_env = env
    model.default_env = default_env


def _platform(model: Model, raw: str, line: int) -> str | None:
    """The expanded ``FROM --platform`` value; a value BuildKit refuses adds its error."""
    try:
        platform = model.expand(raw, model.global_env).result
    except ExpansionError as error:
        problem = f"failed to process arguments for platform {raw}: {error}"
        platform = None
    else:
        if platform == "":
            problem = f"empty platform value from expression {raw}"
            platform = None
        elif problem := _platform_error(platform):
            problem = f"failed to parse platform {raw}: {problem}"
    if problem:
        model.error(line, problem, "bad_platform")
    return platform


def _build_stages(model: Model, groups: list[list[Instruction]]) -> None:
    by_name: dict[str, int] = {}
    for index, (from_instruction, *body) in enumerate(groups):
        args = from_instruction.value
        base_raw = args[0] if args else ""
        name = args[2].lower() if len(args) == 3 and args[1].lower() == "as" else None
        line = from_instruction.line_start
        try:
            expansion = model.expand(base_raw, model.global_env)
            base_text = expansion.result
            if expansion.unmatched:
                model.from_unmatched[index] = expansion.unmatched
        except ExpansionError as error:
            model.error(line, str(error), "expansion")
            base_text = base_raw
        if base_text == "":
            model.error(line, f"base name ({base_raw}) should not be blank", "empty_base")
        platform_raw = from_instruction.flag("platform")
        platform = _platform(model, platform_raw, line) if platform_raw else None
        if base_text in by_name:
            base = Base("stage", base_text, by_name[base_text])
        elif base_text == "scratch":
            base = Base("scratch", "scratch", None)
        else:
            base = Base("image", base_text, None)
        stage_args = {}
        for instruction in body:
            if instruction.cmd == "ARG":
                stage_args.update(_arg_pairs(instruction))
        model.stages.append(Stage(
            index,
            name,
            name or f"stage-{index}",
            base,
            base_raw,
            platform,
            platform_raw,
            line,
            body[-1].line_end if body else from_instruction.line_end,
            from_instruction,
            body,
            stage_args,
            [instruction for instruction in body if instruction.cmd == "ONBUILD"],
        ))
        if name:
            by_name[name] = index


def model_stages(parsed: ParsedFile, *, target: str | None, build_args: dict[str, str], platform: str | None,
                 buildkit: Version = CURRENT) -> Model:
    """The stage model plus every error BuildKit would report, in BuildKit's order (``buildkit``:
    the version to be exact to)."""
    model = Model(escape=parsed.escape, buildkit=buildkit, legacy=buildkit < SHELL_PATTERNS)
    if parsed.error is not None:
        model.errors.append(parsed.error)
        return model
    groups, instruction_errors = _group_stages(parsed, model)
    model.errors.extend(instruction_errors[:1])
    if not groups:
        if not instruction_errors:
            model.error(None, "dockerfile contains no stages to build", "no_from")
        return model
    _global_args(model, build_args, platform)
    _build_stages(model, groups)
    # --target resolves by name among all stages, case-insensitively; default is the last stage.
    if target:
        matches = [stage.index for stage in model.stages if stage.name == target.lower()]
        if matches:
            model.target = matches[-1]
        else:
            names = ", ".join(stage.name for stage in model.stages if stage.name) or "none"
            model.error(None, f'target stage "{target}" could not be found (stages: {names})',
                        "unknown_target")
    else:
        model.target = len(model.stages) - 1
    dispatch = build_edges(model)
    find_cycle(model)
    _check_references(model)
    if model.target is not None and not model.cyclic:
        model.needed = reachable(model.needs, model.target)
        # Dispatch-time problems count only in needed stages; BuildKit reports the first in file order.
        model.errors.extend([error for index, error in dispatch if index in model.needed][:1])
        if not model.errors:
            _check_nul_commands(model)
    return model


def first_needed_step(stages: list[Stage], needed: set[int],
                      matches: Callable[[Instruction], bool]) -> Instruction | None:
    """The first instruction, in file order, of a stage that runs, that ``matches``."""
    for index in sorted(needed):
        for instruction in stages[index].instructions:
            if matches(instruction):
                return instruction
    return None


def _check_nul_commands(model: Model) -> None:
    """A RUN holding a NUL byte parses, but its command cannot be handed to a process: the engines
    fail the step (exit code 1, measured on 20.10 and 28.5). Only stages that run are concerned."""
    found = first_needed_step(model.stages, model.needed, lambda instruction: (
        instruction.cmd == "RUN" and "\x00" in instruction.original))
    if found:
        model.error(found.line_start, "RUN holds a NUL byte: the command cannot be run (the engine "
                    "fails the step with exit code 1)", "nul_in_command")


def _check_references(model: Model) -> None:
    """Image references Docker cannot parse: bases, then COPY --from / mount sources."""
    refs = [(stage.base.ref, stage.line_start)
            for stage in model.stages if stage.base.kind == "image"]
    refs += [(edge.source, edge.line) for edge in model.edges
             if isinstance(edge.source, str) and edge.kind != "base"]
    for ref, line in refs:
        problem = reference_error(ref) if ref else None
        if problem:
            model.error(line, f'failed to parse stage name "{ref}": {problem}', "invalid_reference")
