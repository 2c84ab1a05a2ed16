"""Which stage reads which: the edges of FROM, COPY --from, RUN --mount from= and ONBUILD
triggers (with the dispatch-time errors met on the way), and the dependency graph they make:
cycles as BuildKit detects them, and the stages a target needs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from msb_tui.analysis.args import has_variable
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.stages import Edge, Stage
from msb_tui.analysis.validate import mount_fields
from msb_tui.analysis.versions import (
    CHMOD_CHECKED, COPY_FROM_LATER_ERROR, MOUNT_FROM_ONLY_BIND_CACHE, ONBUILD_FROM_STAGE, Version,
)

if TYPE_CHECKING:
    from msb_tui.analysis.model import Model

_INDEX = re.compile(r"^[+-]?[0-9]+$")
_FROM_VARIABLE = (
    "variable expansion is not supported for --from, define a new stage with FROM using ARG from global "
    "scope as a workaround"
)


def build_edges(model: Model) -> list[tuple[int, int, DockerfileError]]:
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
            edges.append(Edge(resolved, index, kind, line))
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
        edges.append(Edge(resolved, index, kind, line))
    for stage in model.stages:
        index = stage.index
        base = stage.base
        if base.kind == "stage":
            edges.append(Edge(base.stage_index, index, "base", stage.line_start))
            stage_needs = [base.stage_index]
        else:
            stage_needs = []
        needs.append(stage_needs)
        if base.kind == "image":
            if base.ref not in seen:
                seen.add(base.ref)
                externals.append(base.ref)
            edges.append(Edge(base.ref, index, "base", stage.line_start))
        if base.kind == "stage" and model.stages[base.stage_index].onbuild:
            for resolved, kind in _onbuild_sources(model, model.stages[base.stage_index], last_by_name, count,
                                                   stage, dispatch):
                if type(resolved) is str and resolved not in seen:
                    seen.add(resolved)
                    externals.append(resolved)
                elif type(resolved) is int and resolved >= index:
                    model.forward = True
                edges.append(Edge(resolved, index, kind, stage.line_start))
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


def find_cycle(model: Model) -> None:
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
