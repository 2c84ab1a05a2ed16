"""Build the stage model and the dependency edges from parsed instructions, checking what BuildKit checks.

The order of checks follows BuildKit's ``dockerfile2llb.Dockerfile2LLB``: instruction parsing, "no
stages", global ARG defaults, FROM expansion, the target, ``--from`` resolution, cycles, image
references, then the per-stage dispatch checks (``--from`` a later stage). Every check runs over
all stages, needed or not, exactly as BuildKit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from msb_tui.analysis.args import ExpansionError, expand, has_variable, platform_args
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction, ParsedFile
from msb_tui.analysis.references import reference_error
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage
from msb_tui.analysis.validate import check_instruction, mount_fields
from msb_tui.analysis.versions import (
    CHMOD_CHECKED, COPY_FROM_LATER_ERROR, CURRENT, MOUNT_FROM_ONLY_BIND_CACHE, ONBUILD_FROM_STAGE, SHELL_PATTERNS,
    Version,
)

_INDEX = re.compile(r"^[+-]?[0-9]+$")
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
            base = _new_tuple(Base, ("stage", base_text, by_name[base_text]))
        elif base_text == "scratch":
            base = _new_tuple(Base, ("scratch", "scratch", None))
        else:
            base = _new_tuple(Base, ("image", base_text, None))
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


_new_tuple = tuple.__new__
_FROM_VARIABLE = (
    "variable expansion is not supported for --from, define a new stage with FROM using ARG from global "
    "scope as a workaround"
)


def _build_edges(model: Model) -> list[tuple[int, int, DockerfileError]]:
    """Edges for FROM, COPY --from and RUN --mount from= (over the flagged instructions only).

    Returns the dispatch-time problems met on the way as (stage index, line, error): BuildKit only
    reports them if that stage is needed, so the caller filters them once the target is known.
    """
    from msb_tui.analysis.dispatch import mount_error, port_error

    last_by_name: dict[str, int] = {}
    for stage in model.stages:
        if stage.name:
            last_by_name[stage.name] = stage.index
    count = len(model.stages)
    seen: set[str] = set()
    edges = model.edges
    externals = model.externals
    dependency_errors: list[DockerfileError] = []
    dispatch: list[tuple[int, int, DockerfileError]] = []
    needs: list[list[int]] = []  # per stage, the stages it needs (what ``stage_dependencies`` returns)
    flagged = model.flagged  # per stage: the instructions with flags, or EXPOSE
    escape = model.escape

    def link(stage, stage_needs, resolved, kind, line, later_error) -> None:
        """Record a COPY --from / RUN --mount from= source: an external image, or a stage this one
        needs (a later stage is an error BuildKit reports at dispatch; ``later_error()`` says which).
        BuildKit < 0.13 reads a later stage's base instead, without running the stage."""
        index = stage.index
        if type(resolved) is int and resolved > index and model.buildkit < COPY_FROM_LATER_ERROR:
            # The edge stays (BuildKit checks cycles on names first); the stage needs only the base.
            model.forward = True
            edges.append(_new_tuple(Edge, (resolved, index, kind, line)))
            base = _base_of(model, resolved, index)
            if base is None:
                if kind == "copy":
                    dispatch.append((index, line, DockerfileError.make(line, _EMPTY_SOURCE_08, "copy_from_empty")))
            elif type(base) is str:
                if base not in seen:
                    seen.add(base)
                    externals.append(base)
            elif base not in stage_needs:
                stage_needs.append(base)
            return
        if type(resolved) is str:
            if resolved not in seen:
                seen.add(resolved)
                externals.append(resolved)
            model.external_sources.append((resolved, kind, line))
        else:
            if resolved >= index:
                model.forward = True
                if resolved > index:
                    message, code = later_error()
                    dispatch.append((index, line, DockerfileError.make(line, message, code)))
            if resolved not in stage_needs:
                stage_needs.append(resolved)
        edges.append(_new_tuple(Edge, (resolved, index, kind, line)))
    for stage in model.stages:
        index = stage.index
        base = stage.base
        if base.kind == "stage":
            edges.append(_new_tuple(Edge, (base.stage_index, index, "base", stage.line_start)))
            stage_needs = [base.stage_index]
        else:
            stage_needs = []
        needs.append(stage_needs)
        if base.kind == "image":
            if base.ref not in seen:
                seen.add(base.ref)
                externals.append(base.ref)
            edges.append(_new_tuple(Edge, (base.ref, index, "base", stage.line_start)))
        if base.kind == "stage" and model.stages[base.stage_index].onbuild:
            for resolved, kind in _onbuild_sources(model, model.stages[base.stage_index], last_by_name, count,
                                                   stage, dispatch):
                if type(resolved) is str and resolved not in seen:
                    seen.add(resolved)
                    externals.append(resolved)
                elif type(resolved) is int and resolved >= index:
                    model.forward = True
                edges.append(_new_tuple(Edge, (resolved, index, kind, stage.line_start)))
                if type(resolved) is int and resolved not in stage_needs:
                    stage_needs.append(resolved)
        for instruction in flagged[index]:
            flags = instruction.flags
            cmd = instruction.cmd
            if not flags:
                if cmd == "EXPOSE":
                    for raw in instruction.value:
                        problem = port_error(raw)  # cached: ports repeat
                        if problem:
                            dispatch.append((index, instruction.line_start,
                                             DockerfileError.make(instruction.line_start, problem, "bad_port")))
                            break
                continue
            line = instruction.line_start
            if (cmd == "COPY" or cmd == "ADD") and model.buildkit >= CHMOD_CHECKED:
                for flag in flags:
                    if flag.startswith("--chmod=") and (problem := chmod_error(flag[8:])):
                        dispatch.append((index, line, DockerfileError.make(line, problem, "bad_chmod")))
            if cmd == "ADD" and any(flag.startswith("--checksum=") for flag in flags) and not all(
                _REMOTE_SOURCE.match(source) or "$" in source for source in instruction.value[:-1]
            ):
                dispatch.append((index, line, DockerfileError.make(
                    line, "checksum requires HTTP(S) or Git sources", "bad_flag")))
            if cmd == "COPY":
                source = None
                for flag in flags:
                    if flag.startswith("--from="):
                        source = flag[7:]
                if not source:
                    continue
                if not source.isalnum() and has_variable(source, escape):
                    dependency_errors.append(DockerfileError.make(line, _FROM_VARIABLE, "from_variable"))
                    continue
                if (source.isdigit() and source.isascii()) or (not source.isalnum() and _INDEX.match(source)):
                    number = int(source)
                    if not 0 <= number < count:
                        dependency_errors.append(
                            DockerfileError.make(line, f"invalid stage index {number}", "invalid_stage_index")
                        )
                        continue
                    resolved: int | str = number
                else:
                    if len(source) > 255 and model.buildkit >= LONG_FROM_CHECKED:
                        dependency_errors.append(DockerfileError.make(
                            line, f"{source}: repository name must not be more than 255 characters",
                            "invalid_reference"))
                        continue
                    resolved = last_by_name.get(source.lower(), source)
                link(stage, stage_needs, resolved, "copy", line, lambda: (
                    f'cannot copy from stage "{source}", it needs to be defined before current stage '
                    f'"{stage.display_name}"',
                    "copy_from_later_stage",
                ))
            elif cmd == "RUN":
                for flag in flags:
                    if not flag.startswith("--mount="):
                        continue
                    fields = mount_fields(flag[8:])
                    problem = mount_error(fields) if "type" in fields else None
                    if problem:
                        dispatch.append((index, line, DockerfileError.make(line, problem, "bad_mount")))
                    source = fields.get("from")
                    if not source or not _mount_reads_from(fields, model.buildkit):
                        continue
                    resolved = last_by_name.get(source.lower(), source)
                    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
                    link(stage, stage_needs, resolved, "mount", line, lambda: (
                        f'cannot mount from stage "{source}" to "{target}", stage needs to be defined '
                        "before current command",
                        "mount_from_later_stage",
                    ))
    model.errors.extend(dependency_errors)
    model.needs = needs
    return dispatch


_ONBUILD_PREFIX = re.compile(r"(?i)^\s*ONBUILD\s*")
_EMPTY_SOURCE_08 = (
    "BuildKit < 0.13 copies from the base image of a stage defined later (or named in an ONBUILD trigger), "
    "not from the stage, and that base is scratch: nothing to copy"
)
_REMOTE_SOURCE = re.compile(r"^(https?://|git@|git://|ssh://)|\.git(#|$)")
LONG_FROM_CHECKED = (0, 20)  # 28.5.2 refuses a --from of more than 255 characters; 20.10 does not
_CHMOD_SYMBOLIC = re.compile(r"^([ugoa]*[-+=]([rwxXst]*|[ugo]))+(,([ugoa]*[-+=]([rwxXst]*|[ugo]))+)*$")


def chmod_error(value: str) -> str | None:
    """BuildKit's complaint about a ``--chmod`` value (octal up to 07777, or symbolic like u+x)."""
    if not value or "$" in value or _CHMOD_SYMBOLIC.match(value):
        return None
    try:
        if 0 <= int(value, 8) <= 0o7777:
            return None
    except ValueError:
        pass
    return f"invalid chmod parameter: '{value}'. it should be octal string and between 0 and 07777"


def _mount_reads_from(fields: dict[str, str], buildkit: Version) -> bool:
    """Whether a mount's from= makes the stage depend on that source: bind and cache mounts do;
    tmpfs and ssh mounts ignore it (0.8 crashes on tmpfs: see safety.py); a secret's is an error."""
    kind = fields.get("type", "bind").lower()
    if kind == "secret":
        return False
    return kind not in ("tmpfs", "ssh") or buildkit < MOUNT_FROM_ONLY_BIND_CACHE


def _base_of(model: Model, index: int, user: int) -> int | str | None:
    """What BuildKit < 0.13 reads for a stage defined after ``user``: its base (an image ref, an
    earlier stage's index, or None for scratch)."""
    seen = set()
    while index > user and index not in seen:
        seen.add(index)
        base = model.stages[index].base
        if base.kind == "scratch":
            return None
        if base.kind == "image":
            return base.ref
        index = base.stage_index
    return index


def _onbuild_sources(model: Model, base: Stage, last_by_name: dict[str, int], count: int, child: Stage,
                     dispatch: list) -> list[tuple[int | str, str]]:
    """What the ONBUILD triggers of ``base`` copy or mount from: they run in every stage built
    FROM it, so that stage depends on those sources too (BuildKit's ``initOnBuildTriggers``, 0.17+).
    Before 0.17 a named stage stands for its base image, and an image for nothing at all; since
    0.17 a stage defined after ``child`` is an error (collected in ``dispatch``)."""
    found: list[tuple[int | str, str]] = []
    line = child.line_start
    for resolved, kind in _onbuild_raw_sources(base, last_by_name, count, model.buildkit):
        if model.buildkit < ONBUILD_FROM_STAGE:
            if type(resolved) is int:
                resolved = _base_of(model, resolved, -1)
            else:
                resolved = None
            if resolved is None:
                if kind == "copy":
                    dispatch.append((child.index, line, DockerfileError.make(line, _EMPTY_SOURCE_08, "copy_from_empty")))
                continue
        elif type(resolved) is int and resolved > child.index:
            name = model.stages[resolved].display_name
            message = (f'cannot copy from stage "{name}", it needs to be defined before current stage '
                       f'"{child.display_name}"')
            dispatch.append((child.index, line, DockerfileError.make(line, message, "copy_from_later_stage")))
            continue
        found.append((resolved, kind))
    return found


def _onbuild_raw_sources(base: Stage, last_by_name: dict[str, int], count: int, buildkit: Version):
    import dockerfile

    found: list[tuple[int | str, str]] = []
    for trigger in base.onbuild:
        if trigger.sub_cmd not in ("COPY", "RUN"):
            continue
        try:
            (command,) = dockerfile.parse_string(_ONBUILD_PREFIX.sub("", trigger.original, count=1))
        except (dockerfile.GoParseError, ValueError):
            continue
        for flag in command.flags:
            if trigger.sub_cmd == "COPY" and flag.startswith("--from="):
                source = flag[7:]
                if source.isdigit() and source.isascii():
                    if int(source) < count:
                        found.append((int(source), "copy"))
                elif source and "$" not in source:
                    found.append((last_by_name.get(source.lower(), source), "copy"))
            elif trigger.sub_cmd == "RUN" and flag.startswith("--mount="):
                fields = mount_fields(flag[8:])
                source = fields.get("from")
                if source and _mount_reads_from(fields, buildkit):
                    found.append((last_by_name.get(source.lower(), source), "mount"))
    return found


def stage_dependencies(model: Model) -> list[list[int]]:
    """For each stage, the stages it needs (base, copy and mount sources), without repeats.

    Computed once per model (the edges do not change after ``model_stages``)."""
    if model.needs is not None and len(model.needs) == len(model.stages):
        return model.needs
    needs: list[list[int]] = [[] for _ in model.stages]
    for source, target, _kind, _line in model.edges:
        if type(source) is int:
            deps = needs[target]
            if source not in deps:  # short lists: a scan beats a set of pairs
                deps.append(source)
    model.needs = needs
    return needs


def _find_cycle(model: Model) -> None:
    """BuildKit's ``validateCircularDependency``: copy/mount edges only (a FROM cannot point forward)."""
    if not model.forward:
        return  # every dependency points to an earlier stage
    deps: list[list[tuple[int, int]]] = [[] for _ in model.stages]
    for edge in model.edges:
        if isinstance(edge.source, int) and edge.kind != "base":
            deps[edge.target].append((edge.source, edge.line))
    if _acyclic(deps):
        return
    visited: set[int] = set()
    for root in range(len(model.stages)):
        if root in visited:
            continue
        on_path: set[int] = {root}
        visited.add(root)
        # Iterative DFS; each frame keeps the line of the first edge taken from the root.
        stack: list[list[int]] = [[root, 0, 0]]
        while stack:
            frame = stack[-1]
            node, position, first_line = frame
            if position < len(deps[node]):
                frame[1] = position + 1
                dep, line = deps[node][position]
                path_line = first_line or line
                if dep in on_path:
                    name = model.stages[root].display_name
                    model.errors.append(
                        DockerfileError.make(path_line, f"circular dependency detected on stage: {name}", "cycle")
                    )
                    model.cyclic = True
                    return
                if dep not in visited:
                    visited.add(dep)
                    on_path.add(dep)
                    stack.append([dep, 0, path_line])
            else:
                on_path.discard(node)
                stack.pop()


def _acyclic(deps: list[list[tuple[int, int]]]) -> bool:
    """Kahn's algorithm: True when the dependency graph has no cycle (the common, fast answer)."""
    waiting = [len(edges) for edges in deps]
    users: list[list[int]] = [[] for _ in deps]
    for node, edges in enumerate(deps):
        for dep, _line in edges:
            users[dep].append(node)
    ready = [node for node, count in enumerate(waiting) if count == 0]
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return done == len(deps)


def reachable(needs: list[list[int]], target: int) -> set[int]:
    """Stages the target needs, itself included (closure over base/copy/mount)."""
    seen = {target}
    todo = [target]
    while todo:
        for dep in needs[todo.pop()]:
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


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
    dispatch = _build_edges(model)
    _find_cycle(model)
    _check_references(model)
    if model.target is not None and not model.cyclic:
        _check_dispatch_order(model, dispatch)
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


def _check_dispatch_order(model: Model, dispatch: list[tuple[int, int, DockerfileError]]) -> None:
    """Dispatch-time problems count only in needed stages; BuildKit reports the first in file order."""
    needed = model.needed = reachable(stage_dependencies(model), model.target)
    for stage_index, _line, error in dispatch:
        if stage_index in needed:
            model.errors.append(error)
            return
