"""Which stage reads which: the edges of FROM, COPY --from, RUN --mount from= and ONBUILD
triggers (with the dispatch-time errors met on the way), and the dependency graph they make:
cycles as BuildKit detects them, and the stages a target needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from msb_tui.analysis.args import has_variable
from msb_tui.analysis.dispatch import mount_error, port_error
from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import trigger
from msb_tui.analysis.stages import Edge, Stage
from msb_tui.analysis.validate import mount_fields
from msb_tui.analysis.versions import (
    CHMOD_CHECKED, COPY_FROM_LATER_ERROR, LONG_FROM_CHECKED, MOUNT_FROM_ONLY_BIND_CACHE,
    ONBUILD_FROM_STAGE, Version, describe,
)

if TYPE_CHECKING:
    from msb_tui.analysis.model import Model

_INDEX = re.compile(r"^[+-]?[0-9]+$")
_FROM_VARIABLE = (
    "variable expansion is not supported for --from, define a new stage with FROM using ARG from global "
    "scope as a workaround"
)


def build_edges(model: Model) -> list[tuple[int, DockerfileError]]:
    """Edges (and ``model.needs``) for FROM, ONBUILD triggers, COPY --from and RUN --mount from=.

    Returns the dispatch-time problems met on the way as (stage index, error): BuildKit only
    reports them if that stage is needed, so the caller filters them once the target is known.
    """
    last_by_name = {stage.name: stage.index for stage in model.stages if stage.name}
    dispatch: list[tuple[int, DockerfileError]] = []

    def problem(index: int, line: int, message: str, code: str) -> None:
        dispatch.append((index, DockerfileError.make(line, message, code)))

    def external(ref: str) -> None:
        if ref not in model.externals:
            model.externals.append(ref)

    def need(stage_needs: list[int], index: int) -> None:
        if index not in stage_needs:
            stage_needs.append(index)

    def link(stage, stage_needs, resolved, kind, line, later_error) -> None:
        """Record a COPY --from / RUN --mount from= source: an external image, or a stage this one
        needs (a later stage is an error BuildKit reports at dispatch: ``later_error``, (message,
        code)). BuildKit < 0.13 reads a later stage's base instead, without running the stage."""
        index = stage.index
        model.edges.append(Edge(resolved, index, kind, line))
        if isinstance(resolved, str):
            external(resolved)
            model.external_sources.append((resolved, kind, line))
        elif resolved <= index:
            need(stage_needs, resolved)
        elif model.buildkit >= COPY_FROM_LATER_ERROR:
            problem(index, line, *later_error)  # the build stops there: the later stage never runs
        else:
            # The edge stays (BuildKit checks cycles on names first); the stage needs only the base.
            base = _base_of(model, resolved, index)
            if base == index:
                # The later stage is built on this one: 0.8 recurses into the stage it is building
                # and dies (measured on Docker 20.10, when the stage is needed); RUN --mount runs.
                if kind == "copy":
                    problem(index, line, *_self_source(model, resolved, stage))
            elif base is None:
                if kind == "copy":
                    problem(index, line, _EMPTY_SOURCE_08, "copy_from_empty")
            elif isinstance(base, str):
                external(base)
            else:
                need(stage_needs, base)

    for stage in model.stages:
        index = stage.index
        base = stage.base
        stage_needs = []
        model.needs.append(stage_needs)
        if base.kind == "stage":
            model.edges.append(Edge(base.stage_index, index, "base", stage.line_start))
            stage_needs.append(base.stage_index)
            parent = model.stages[base.stage_index]
            for resolved, kind in _onbuild_sources(model, parent, last_by_name, stage, problem):
                model.edges.append(Edge(resolved, index, kind, stage.line_start))
                if isinstance(resolved, str):
                    external(resolved)
                else:
                    need(stage_needs, resolved)
        elif base.kind == "image":
            external(base.ref)
            model.edges.append(Edge(base.ref, index, "base", stage.line_start))
        for instruction in stage.instructions:
            cmd = instruction.cmd
            flags = instruction.flags
            line = instruction.line_start
            if cmd == "EXPOSE" and not flags:
                bad_port = next(filter(None, map(port_error, instruction.value)), None)
                if bad_port:
                    problem(index, line, bad_port, "bad_port")
                continue
            if not flags:
                continue
            if cmd in ("COPY", "ADD") and model.buildkit >= CHMOD_CHECKED:
                for flag in flags:
                    if flag.startswith("--chmod=") and (bad_chmod := chmod_error(flag[8:])):
                        problem(index, line, bad_chmod, "bad_chmod")
            if cmd == "ADD" and any(flag.startswith("--checksum=") for flag in flags) and not all(
                _REMOTE_SOURCE.match(source) or "$" in source for source in instruction.value[:-1]
            ):
                problem(index, line, "checksum requires HTTP(S) or Git sources", "bad_flag")
            if cmd == "COPY":
                source = instruction.flag("from")
                if not source:
                    continue
                if has_variable(source, model.escape):
                    model.error(line, _FROM_VARIABLE, "from_variable")
                    continue
                if _INDEX.match(source):
                    number = int(source)
                    if not 0 <= number < len(model.stages):
                        model.error(line, f"invalid stage index {number}", "invalid_stage_index")
                        continue
                    resolved: int | str = number
                elif len(source) > 255 and model.buildkit >= LONG_FROM_CHECKED:
                    model.error(line, f"{source}: repository name must not be more than 255 "
                                "characters", "invalid_reference")
                    continue
                else:
                    resolved = last_by_name.get(source.lower(), source)
                link(stage, stage_needs, resolved, "copy", line, (
                    f'cannot copy from stage "{source}", it needs to be defined before current stage '
                    f'"{stage.display_name}"',
                    "copy_from_later_stage",
                ))
            elif cmd == "RUN":
                for spec in instruction.flag_values("mount"):
                    fields = mount_fields(spec)
                    bad_mount = mount_error(fields) if "type" in fields else None
                    if bad_mount:
                        problem(index, line, bad_mount, "bad_mount")
                    source = fields.get("from")
                    if not source or not _mount_reads_from(fields, model.buildkit):
                        continue
                    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
                    resolved = last_by_name.get(source.lower(), source)
                    link(stage, stage_needs, resolved, "mount", line, (
                        f'cannot mount from stage "{source}" to "{target}", stage needs to be defined '
                        "before current command",
                        "mount_from_later_stage",
                    ))
    return dispatch


_EMPTY_SOURCE_08 = (
    "BuildKit < 0.13 copies from the base image of a stage defined later (or named in an ONBUILD trigger), "
    "not from the stage, and that base is scratch: nothing to copy"
)
_REMOTE_SOURCE = re.compile(r"^(https?://|git@|git://|ssh://)|\.git(#|$)")
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


def _self_source(model: Model, later: int, stage) -> tuple[str, str]:
    """(message, code) for a COPY --from a later stage built on the copying stage (BuildKit < 0.13)."""
    source = model.stages[later].display_name
    message = (f'COPY --from={source} reads the base of stage "{source}", which is built on this '
               f'stage ("{stage.display_name}")')
    if model.buildkit < MOUNT_FROM_ONLY_BIND_CACHE:
        return f"{message}: {describe(model.buildkit)} (Docker 20.10) crashes on it, so it is not sent", "engine_crash"
    return message, "copy_from_later_stage"


def _base_of(model: Model, index: int, user: int) -> int | str | None:
    """What BuildKit < 0.13 reads for a stage defined after ``user``: its base (an image ref, an
    earlier stage's index, or None for scratch)."""
    while index > user:
        base = model.stages[index].base
        if base.kind == "scratch":
            return None
        if base.kind == "image":
            return base.ref
        index = base.stage_index
    return index


def _onbuild_sources(model: Model, base: Stage, last_by_name: dict[str, int], child: Stage,
                     problem: Callable[[int, int, str, str], None]) -> list[tuple[int | str, str]]:
    """What the ONBUILD triggers of ``base`` copy or mount from: they run in every stage built
    FROM it, so that stage depends on those sources too (BuildKit's ``initOnBuildTriggers``, 0.17+).
    Before 0.17 a named stage stands for its base image, and an image for nothing at all; since
    0.17 a stage defined after ``child`` is an error (reported to ``problem``)."""
    found: list[tuple[int | str, str]] = []
    line = child.line_start
    count = len(model.stages)
    for resolved, kind in _onbuild_raw_sources(base, last_by_name, count, model.buildkit):
        if model.buildkit < ONBUILD_FROM_STAGE:
            resolved = _base_of(model, resolved, -1) if isinstance(resolved, int) else None
            if resolved is None:
                if kind == "copy":
                    problem(child.index, line, _EMPTY_SOURCE_08, "copy_from_empty")
                continue
        elif isinstance(resolved, int) and resolved > child.index:
            name = model.stages[resolved].display_name
            message = (f'cannot copy from stage "{name}", it needs to be defined before current stage '
                       f'"{child.display_name}"')
            problem(child.index, line, message, "copy_from_later_stage")
            continue
        found.append((resolved, kind))
    return found


def _onbuild_raw_sources(base: Stage, last_by_name: dict[str, int], count: int, buildkit: Version):
    found: list[tuple[int | str, str]] = []
    for instruction in base.onbuild:
        held = trigger(instruction) if instruction.sub_cmd in ("COPY", "RUN") else None
        if held is None:
            continue
        if held.cmd == "COPY":
            for source in held.flag_values("from"):
                if source.isdigit() and source.isascii():
                    if int(source) < count:
                        found.append((int(source), "copy"))
                elif source and "$" not in source:
                    found.append((last_by_name.get(source.lower(), source), "copy"))
        else:
            for spec in held.flag_values("mount"):
                fields = mount_fields(spec)
                source = fields.get("from")
                if source and _mount_reads_from(fields, buildkit):
                    found.append((last_by_name.get(source.lower(), source), "mount"))
    return found


def find_cycle(model: Model) -> None:
    """BuildKit's ``validateCircularDependency``: copy/mount edges only (a FROM cannot point forward)."""
    deps: list[list[tuple[int, int]]] = [[] for _ in model.stages]
    for edge in model.edges:
        if isinstance(edge.source, int) and edge.kind != "base":
            deps[edge.target].append((edge.source, edge.line))
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
                    model.error(path_line, f"circular dependency detected on stage: {name}",
                                "cycle")
                    model.cyclic = True
                    return
                if dep not in visited:
                    visited.add(dep)
                    on_path.add(dep)
                    stack.append([dep, 0, path_line])
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
