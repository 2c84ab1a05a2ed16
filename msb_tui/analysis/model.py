"""The stage model of a Dockerfile (its edges: ``edges.py``), with every error BuildKit would report.

The order of checks follows BuildKit's ``dockerfile2llb.Dockerfile2LLB``: instruction parsing, "no
stages", global ARG defaults, FROM expansion, the target, ``--from`` resolution, cycles, image
references, then the per-stage dispatch checks (``--from`` a later stage). Every check runs over
all stages, needed or not, exactly as BuildKit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from msb_tui.analysis.args import ExpansionError, expand, platform_args
from msb_tui.analysis.edges import build_edges, find_cycle, reachable, stage_dependencies
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction, ParsedFile
from msb_tui.analysis.references import reference_error
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage
from msb_tui.analysis.validate import check_instruction
from msb_tui.analysis.versions import CURRENT, SHELL_PATTERNS, Version

_PLATFORM_PART = re.compile(r"^[A-Za-z0-9_.-]+$")
_KNOWN_OS = {"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "netbsd",
             "openbsd", "plan9", "solaris", "wasip1", "windows"}
_KNOWN_ARCH = {"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
               "ppc64le", "riscv64", "s390x", "wasm", "x86_64", "x86-64", "aarch64", "armhf", "armel", "i386"}


@dataclass(slots=True)
class Model:
    """Everything known about a Dockerfile before choosing what to run."""

    stages: list[Stage] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    externals: list[str] = field(default_factory=list)
    global_args: dict[str, GlobalArg] = field(default_factory=dict)
    global_env: dict[str, str] = field(default_factory=dict)
    default_env: dict[str, str] = field(default_factory=dict)
    errors: list[DockerfileError] = field(default_factory=list)
    target: int | None = None
    cyclic: bool = False
    escape: str = "\\"
    meta_args: list[Instruction] = field(default_factory=list)
    from_unmatched: dict[int, set[str]] = field(default_factory=dict)
    from_default_bases: dict[int, str] = field(default_factory=dict)
    needs: list[list[int]] | None = None
    # Indexes collected by the single pass over the instructions (``_scan``), so that later passes
    # visit only what concerns them (per stage, in file order).
    flagged: list[list[Instruction]] = field(default_factory=list)  # per stage: with flags, or EXPOSE
    linted: list[list[Instruction]] = field(default_factory=list)  # per stage: instructions lint reads
    context_copies: dict[int, int] = field(default_factory=dict)  # stage -> line of its first `COPY . `
    keyword_case: tuple[int, int] = (0, 0)  # (upper-case keywords, lower-case keywords)
    # True when some COPY --from / mount points at the same or a later stage. Otherwise every
    # dependency points backwards: no cycle is possible and file order is a topological order.
    forward: bool = False
    # COPY --from / RUN --mount from= naming no stage (so an image): (ref, "copy"|"mount", line).
    external_sources: list[tuple[str, str, int]] = field(default_factory=list)
    needed: set[int] | None = None
    buildkit: Version = CURRENT  # the BuildKit to be exact to
    legacy: bool = False  # BuildKit 0.8's variable expansion (set by model_stages)


def _is_literal(word: str, escape: str) -> bool:
    """No variable, quote or escape: the word expands to itself."""
    return "$" not in word and "'" not in word and '"' not in word and escape not in word


def _stage_args(args: tuple[str, ...]) -> tuple[str, str | None]:
    base = args[0] if args else ""
    name = args[2] if len(args) == 3 and args[1].lower() == "as" else None
    return base, name


@lru_cache(maxsize=1024)
def _platform_error(value: str) -> str | None:
    parts = value.split("/")
    if len(parts) > 3 or any(not _PLATFORM_PART.match(part) for part in parts):
        return f'"{value}": invalid platform specifier'
    if len(parts) == 1 and parts[0].lower() not in _KNOWN_OS and parts[0].lower() not in _KNOWN_ARCH:
        return f'"{value}": unknown operating system or architecture: invalid argument'
    return None


# Instructions the lint reads (see lint._instruction_rules), and the sources that copy the whole context.
LINTED = frozenset({"ARG", "ENV", "LABEL", "MAINTAINER", "CMD", "ENTRYPOINT", "WORKDIR", "EXPOSE", "HEALTHCHECK"})


class _Group:
    """The instructions of one stage while scanning."""

    __slots__ = ("from_instruction", "body", "args", "onbuild", "flagged", "linted")

    def __init__(self, from_instruction: Instruction) -> None:
        self.from_instruction = from_instruction
        self.body: list[Instruction] = []
        self.args: list[Instruction] = []
        self.onbuild: list[Instruction] = []
        self.flagged: list[Instruction] = []
        self.linted: list[Instruction] = []


# What the scan does with an instruction of a stage besides keeping it (see ``_scan``).
_LINT, _ARG, _EXPOSE, _ONBUILD, _COPY = 1, 2, 3, 4, 5
_ROLES = {
    **{cmd: _LINT for cmd in LINTED},
    "ARG": _ARG,
    "EXPOSE": _EXPOSE,
    "ONBUILD": _ONBUILD,
    "COPY": _COPY,
    "ADD": _COPY,
}


def _scan(parsed: ParsedFile, model: Model) -> tuple[list[_Group], list[DockerfileError]]:
    """The one pass over every instruction: group them into stages, collect per-instruction errors
    in file order (an instruction other than ARG before the first FROM is an error too), and note
    what the later passes need (flagged instructions, lint inputs, keyword casing)."""
    groups: list[_Group] = []
    errors: list[DockerfileError] = []
    group: _Group | None = None
    lower = mixed = 0
    context_copies = model.context_copies
    for instruction in parsed.instructions:
        keyword, _sub, _json, _original, line, _end, flags, value, _heredocs, cmd = instruction
        if keyword != cmd:
            if keyword == keyword.lower():
                lower += 1
            else:
                mixed += 1
        error = check_instruction(instruction, model.buildkit)
        if error is not None:
            errors.append(error)
        if cmd == "FROM":
            group = _Group(instruction)
            groups.append(group)
            continue
        if group is None:
            if cmd == "ARG":
                model.meta_args.append(instruction)
            elif not errors or errors[-1].line != line:
                errors.append(DockerfileError.make(line, "no build stage in current context", "no_stage"))
            continue
        group.body.append(instruction)
        role = _ROLES.get(cmd)
        if flags and role != _EXPOSE:
            group.flagged.append(instruction)
        if role is None:
            continue
        if role == _LINT:
            group.linted.append(instruction)
        elif role == _ARG:
            group.linted.append(instruction)
            group.args.append(instruction)
        elif role == _EXPOSE:
            group.linted.append(instruction)
            group.flagged.append(instruction)
        elif role == _ONBUILD:
            group.onbuild.append(instruction)
        elif "." in value or "./" in value:  # COPY / ADD: note the first copy of the whole context
            index = len(groups) - 1
            if index not in context_copies and ("." in value[:-1] or "./" in value[:-1]) and not any(
                flag.startswith("--from=") for flag in flags
            ):
                context_copies[index] = line
    total = len(parsed.instructions)
    model.keyword_case = (total - lower - mixed, lower)
    model.flagged = [group.flagged for group in groups]
    model.linted = [group.linted for group in groups]
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
            value: str | None
            if overridden:
                value = build_args[key]
            elif default is not None:
                try:
                    value = expand(default, env, escape=model.escape, legacy=model.legacy).result
                except ExpansionError as error:
                    if model.legacy:
                        value = ""  # BuildKit 0.8 ignores the error: the ARG is set, empty
                    else:
                        model.errors.append(DockerfileError.make(instruction.line_start, str(error), "expansion"))
                        value = None
            else:
                value = None
            if default is not None:
                try:
                    default_env[key] = expand(default, default_env, escape=model.escape, legacy=model.legacy).result
                except ExpansionError:
                    pass
            if value is not None:
                env[key] = value
            model.global_args[key] = GlobalArg(key, default, value, instruction.line_start, overridden)
    model.global_env = env
    model.default_env = env if default_env == env else default_env


def _build_stages(model: Model, groups: list[_Group]) -> None:
    by_name: dict[str, int] = {}
    escape = model.escape
    global_env = model.global_env
    default_bases = model.from_default_bases
    same_defaults = model.default_env is global_env
    stages = model.stages
    for index, group in enumerate(groups):
        from_instruction = group.from_instruction
        body = group.body
        base_raw, raw_name = _stage_args(from_instruction.value)
        name = raw_name.lower() if raw_name else None
        line = from_instruction.line_start
        if "$" not in base_raw and _is_literal(base_raw, escape):
            base_text = base_raw
        else:
            try:
                expansion = expand(base_raw, global_env, escape=escape, legacy=model.legacy)
                base_text = expansion.result
                if expansion.unmatched:
                    model.from_unmatched[index] = expansion.unmatched
            except ExpansionError as error:
                model.errors.append(DockerfileError.make(line, str(error), "expansion"))
                base_text = base_raw
        if same_defaults:
            default_bases[index] = base_text
        else:
            try:
                model.from_default_bases[index] = expand(
                    base_raw, model.default_env, escape=model.escape, legacy=model.legacy
                ).result
            except ExpansionError:
                model.from_default_bases[index] = base_text
        if base_text == "":
            model.errors.append(
                DockerfileError.make(line, f"base name ({base_raw}) should not be blank", "empty_base")
            )
        platform_raw = from_instruction.flag("platform") if from_instruction.flags else None
        platform = None
        if platform_raw:
            try:
                platform = expand(platform_raw, model.global_env, escape=model.escape, legacy=model.legacy).result
            except ExpansionError as error:
                model.errors.append(
                    DockerfileError.make(
                        line, f"failed to process arguments for platform {platform_raw}: {error}", "bad_platform"
                    )
                )
                platform = None
            else:
                if platform == "":
                    model.errors.append(
                        DockerfileError.make(
                            line, f"empty platform value from expression {platform_raw}", "bad_platform"
                        )
                    )
                    platform = None
                elif problem := _platform_error(platform):
                    model.errors.append(
                        DockerfileError.make(
                            line, f"failed to parse platform {platform_raw}: {problem}", "bad_platform"
                        )
                    )
        if base_text in by_name:
            base = Base("stage", base_text, by_name[base_text])
        elif base_text == "scratch":
            base = Base("scratch", "scratch", None)
        else:
            base = Base("image", base_text, None)
        stage_args: dict[str, str | None] = {}
        for instruction in group.args:
            for word in instruction.value:
                key, sep, default = word.partition("=")
                stage_args[key] = default if sep else None
        stages.append(Stage(
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
            group.onbuild,
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
    groups, instruction_errors = _scan(parsed, model)
    model.errors.extend(instruction_errors[:1])
    if not groups:
        if not instruction_errors:
            model.errors.append(DockerfileError.make(None, "dockerfile contains no stages to build", "no_from"))
        return model
    _global_args(model, build_args, platform)
    _build_stages(model, groups)
    # --target resolves by name among all stages, case-insensitively; default is the last stage.
    if target:
        wanted = target.lower()
        matches = [stage.index for stage in model.stages if stage.name == wanted]
        if matches:
            model.target = matches[-1]
        else:
            names = ", ".join(stage.name for stage in model.stages if stage.name) or "none"
            model.errors.append(
                DockerfileError.make(
                    None, f'target stage "{target}" could not be found (stages: {names})', "unknown_target"
                )
            )
    else:
        model.target = len(model.stages) - 1
    dispatch = build_edges(model)
    find_cycle(model)
    _check_references(model)
    if model.target is not None and not model.cyclic:
        model.needed = reachable(stage_dependencies(model), model.target)
        # Dispatch-time problems count only in needed stages; BuildKit reports the first in file order.
        model.errors.extend([error for index, _line, error in dispatch if index in model.needed][:1])
        if not model.errors:
            _check_nul_commands(model)
    return model


def _check_nul_commands(model: Model) -> None:
    """A RUN holding a NUL byte parses, but its command cannot be handed to a process: the engines
    fail the step (exit code 1, measured on 20.10 and 28.5). Only stages that run are concerned."""
    for index in sorted(model.needed or ()):
        for instruction in model.stages[index].instructions:
            if instruction.cmd == "RUN" and "\x00" in instruction.original:
                model.errors.append(DockerfileError.make(
                    instruction.line_start, "RUN holds a NUL byte: the command cannot be run (the engine fails "
                    "the step with exit code 1)", "nul_in_command"))
                return


def _check_references(model: Model) -> None:
    for stage in model.stages:
        if stage.base.kind == "image" and stage.base.ref:
            problem = reference_error(stage.base.ref)
            if problem:
                model.errors.append(
                    DockerfileError.make(
                        stage.line_start,
                        f'failed to parse stage name "{stage.base.ref}": {problem}',
                        "invalid_reference",
                    )
                )
    for edge in model.edges:
        if isinstance(edge.source, str) and edge.kind != "base":
            problem = reference_error(edge.source)
            if problem:
                model.errors.append(
                    DockerfileError.make(
                        edge.line, f'failed to parse stage name "{edge.source}": {problem}', "invalid_reference"
                    )
                )
