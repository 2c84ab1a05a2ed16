"""Build the stage model and the dependency edges from parsed instructions, checking what BuildKit checks.

The order of checks follows BuildKit's ``dockerfile2llb.Dockerfile2LLB``: instruction parsing, "no
stages", global ARG defaults, FROM expansion, the target, ``--from`` resolution, cycles, image
references, then the per-stage dispatch checks (``--from`` a later stage). Every check runs over
all stages, needed or not, exactly as BuildKit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from msb_tui.analysis.args import PLATFORM_ARGS, ExpansionError, expand, has_variable, platform_args
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction, ParsedFile
from msb_tui.analysis.references import reference_error
from msb_tui.analysis.stages import Base, Edge, GlobalArg, Stage
from msb_tui.analysis.validate import check_instruction, mount_fields

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


def _stage_args(args: list[str]) -> tuple[str, str | None]:
    base = args[0] if args else ""
    name = args[2] if len(args) == 3 and args[1].lower() == "as" else None
    return base, name


def _platform_error(value: str) -> str | None:
    parts = value.split("/")
    if len(parts) > 3 or any(not _PLATFORM_PART.match(part) for part in parts):
        return f'"{value}": invalid platform specifier'
    if len(parts) == 1 and parts[0].lower() not in _KNOWN_OS and parts[0].lower() not in _KNOWN_ARCH:
        return f'"{value}": unknown operating system or architecture: invalid argument'
    return None


def _group_stages(parsed: ParsedFile, model: Model) -> list[tuple[Instruction, list[Instruction]]]:
    groups: list[tuple[Instruction, list[Instruction]]] = []
    for instruction in parsed.instructions:
        if instruction.cmd == "FROM":
            groups.append((instruction, []))
        elif groups:
            groups[-1][1].append(instruction)
        elif instruction.cmd == "ARG":
            model.meta_args.append(instruction)
    return groups


def _instruction_errors(parsed: ParsedFile) -> list[DockerfileError]:
    errors = []
    seen_from = False
    for instruction in parsed.instructions:
        error = check_instruction(instruction)
        if error is None and not seen_from and instruction.cmd not in ("FROM", "ARG"):
            error = DockerfileError.make(instruction.line_start, "no build stage in current context", "no_stage")
        if error is not None:
            errors.append(error)
        if instruction.cmd == "FROM":
            seen_from = True
    return errors


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
                    value = expand(default, env, escape=model.escape).result
                except ExpansionError as error:
                    model.errors.append(DockerfileError.make(instruction.line_start, str(error), "expansion"))
                    value = None
            else:
                value = None
            if default is not None:
                try:
                    default_env[key] = expand(default, default_env, escape=model.escape).result
                except ExpansionError:
                    pass
            if value is not None:
                env[key] = value
            model.global_args[key] = GlobalArg(key, default, value, instruction.line_start, overridden)
    model.global_env = env
    model.default_env = default_env


def _build_stages(model: Model, groups: list[tuple[Instruction, list[Instruction]]]) -> None:
    by_name: dict[str, int] = {}
    for index, (from_instruction, body) in enumerate(groups):
        base_raw, raw_name = _stage_args(list(from_instruction.value))
        name = raw_name.lower() if raw_name else None
        line = from_instruction.line_start
        try:
            expansion = expand(base_raw, model.global_env, escape=model.escape)
            base_text = expansion.result
            model.from_unmatched[index] = expansion.unmatched
        except ExpansionError as error:
            model.errors.append(DockerfileError.make(line, str(error), "expansion"))
            base_text = base_raw
        try:
            model.from_default_bases[index] = expand(base_raw, model.default_env, escape=model.escape).result
        except ExpansionError:
            model.from_default_bases[index] = base_text
        if base_text == "":
            model.errors.append(
                DockerfileError.make(line, f"base name ({base_raw}) should not be blank", "empty_base")
            )
        platform_raw = from_instruction.flag("platform")
        platform = None
        if platform_raw:
            try:
                platform = expand(platform_raw, model.global_env, escape=model.escape).result
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
            base = Base("scratch", "scratch")
        else:
            base = Base("image", base_text)
        stage = Stage(
            index=index,
            name=name,
            display_name=name or f"stage-{index}",
            base=base,
            base_raw=base_raw,
            platform=platform,
            platform_raw=platform_raw,
            line_start=from_instruction.line_start,
            line_end=max([from_instruction.line_end, *(i.line_end for i in body)]),
            from_instruction=from_instruction,
            instructions=body,
        )
        for instruction in body:
            if instruction.cmd == "ARG":
                stage.args.update(_arg_pairs(instruction))
            elif instruction.cmd == "ONBUILD":
                stage.onbuild.append(instruction)
        model.stages.append(stage)
        if name:
            by_name[name] = index


def _add_external(model: Model, seen: set[str], ref: str) -> None:
    if ref not in seen:
        seen.add(ref)
        model.externals.append(ref)


def _build_edges(model: Model) -> list[tuple[int, Instruction, str, int | str]]:
    """Edges for FROM, COPY/ADD --from and RUN --mount from=; returns the stage-to-stage sources
    of each copy/mount instruction, for the dispatch checks."""
    last_by_name: dict[str, int] = {}
    for stage in model.stages:
        if stage.name:
            last_by_name[stage.name] = stage.index
    seen: set[str] = set()
    sources: list[tuple[int, Instruction, str, int | str]] = []
    dependency_errors: list[DockerfileError] = []
    for stage in model.stages:
        if stage.base.kind == "stage":
            model.edges.append(Edge(stage.base.stage_index, stage.index, "base", stage.line_start))
        elif stage.base.kind == "image":
            _add_external(model, seen, stage.base.ref)
            model.edges.append(Edge(stage.base.ref, stage.index, "base", stage.line_start))
        for instruction in stage.instructions:
            if instruction.cmd == "COPY":
                source = instruction.flag("from")
                if not source:
                    continue
                line = instruction.line_start
                if has_variable(source, model.escape):
                    dependency_errors.append(
                        DockerfileError.make(
                            line,
                            "variable expansion is not supported for --from, define a new stage with FROM "
                            "using ARG from global scope as a workaround",
                            "from_variable",
                        )
                    )
                    continue
                if _INDEX.match(source):
                    number = int(source)
                    if not 0 <= number < len(model.stages):
                        dependency_errors.append(
                            DockerfileError.make(line, f"invalid stage index {number}", "invalid_stage_index")
                        )
                        continue
                    resolved: int | str = number
                else:
                    resolved = last_by_name.get(source.lower(), source)
                _record(model, seen, sources, stage, instruction, "copy", source, resolved)
            elif instruction.cmd == "RUN":
                for spec in instruction.flag_values("mount"):
                    source = mount_fields(spec).get("from")
                    if not source:
                        continue
                    resolved = last_by_name.get(source.lower(), source)
                    _record(model, seen, sources, stage, instruction, "mount", source, resolved)
    model.errors.extend(dependency_errors)
    return sources


def _record(model, seen, sources, stage, instruction, kind, source, resolved) -> None:
    if isinstance(resolved, str):
        _add_external(model, seen, resolved)
    model.edges.append(Edge(resolved, stage.index, kind, instruction.line_start))
    sources.append((stage.index, instruction, source, resolved))


def stage_dependencies(model: Model) -> list[list[int]]:
    """For each stage, the stages it needs (base, copy and mount sources), without repeats."""
    needs: list[list[int]] = [[] for _ in model.stages]
    for edge in model.edges:
        if isinstance(edge.source, int) and edge.source not in needs[edge.target]:
            needs[edge.target].append(edge.source)
    return needs


def _find_cycle(model: Model) -> None:
    """BuildKit's ``validateCircularDependency``: copy/mount edges only (a FROM cannot point forward)."""
    deps: list[list[tuple[int, int]]] = [[] for _ in model.stages]
    for edge in model.edges:
        if isinstance(edge.source, int) and edge.kind != "base":
            deps[edge.target].append((edge.source, edge.line))
    visited: set[int] = set()
    for root in range(len(model.stages)):
        if root in visited:
            continue
        on_path: set[int] = set()
        # Iterative DFS keeping the lines of the edges followed.
        stack: list[tuple[int, int, list[int]]] = [(root, 0, [])]
        visited.add(root)
        on_path.add(root)
        while stack:
            node, position, lines = stack[-1]
            if position < len(deps[node]):
                stack[-1] = (node, position + 1, lines)
                dep, line = deps[node][position]
                path_lines = [*lines, line]
                if dep in on_path:
                    name = model.stages[root].display_name
                    model.errors.append(
                        DockerfileError.make(path_lines[0], f"circular dependency detected on stage: {name}", "cycle")
                    )
                    model.cyclic = True
                    return
                if dep not in visited:
                    visited.add(dep)
                    on_path.add(dep)
                    stack.append((dep, 0, path_lines))
            else:
                on_path.discard(node)
                stack.pop()


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


def build_model(parsed: ParsedFile, *, target: str | None, build_args: dict[str, str], platform: str | None) -> Model:
    """The stage model plus every error BuildKit would report, in BuildKit's order."""
    model = Model(escape=parsed.escape)
    if parsed.error is not None:
        model.errors.append(parsed.error)
        return model
    instruction_errors = _instruction_errors(parsed)
    model.errors.extend(instruction_errors[:1])
    groups = _group_stages(parsed, model)
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
    sources = _build_edges(model)
    _find_cycle(model)
    _check_references(model)
    if model.target is not None and not model.cyclic:
        _check_dispatch_order(model, sources)
    return model


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


def _check_dispatch_order(model: Model, sources: list[tuple[int, Instruction, str, int | str]]) -> None:
    """Dispatch-time checks for the needed stages (see ``dispatch.py``)."""
    from msb_tui.analysis.dispatch import dispatch_errors

    needed = reachable(stage_dependencies(model), model.target)
    copy_sources = {
        id(instruction): resolved
        for _stage, instruction, _raw, resolved in sources
        if instruction.cmd == "COPY" and isinstance(resolved, int)
    }
    error = dispatch_errors(model.stages, needed, copy_sources)
    if error is not None:
        model.errors.append(error)
