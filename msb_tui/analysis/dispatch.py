"""Checks BuildKit makes only while dispatching a needed stage (so a skipped stage escapes them).

Run in BuildKit's order: needed stages in file order, instructions in order, first failure wins.
``COPY --from``/``RUN --mount from=`` a later stage (BuildKit 0.13+), unknown mount types and
malformed EXPOSE ports. Values holding variables are left alone (they depend on build-time ENV).
"""

from __future__ import annotations

from msb_tui.analysis.errors import DockerfileError
from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.stages import Stage
from msb_tui.analysis.validate import mount_fields

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")


def _port_number(text: str) -> bool:
    return text.isdigit() and 0 <= int(text) <= 65535


def _port_range(text: str) -> tuple[int, int] | None:
    if not text:
        return None
    start, sep, end = text.partition("-")
    if not _port_number(start):
        return None
    if not sep or start == end:
        return int(start), int(start)
    if not _port_number(end) or int(end) < int(start):
        return None
    return int(start), int(end)


def port_error(raw: str) -> str | None:
    """BuildKit's complaint about one EXPOSE value, or None."""
    parts = raw.split(":")
    if len(parts) == 1:
        host, container = "", parts[0]
    elif len(parts) == 2:
        host, container = parts
    elif len(parts) == 3:
        host, container = parts[1], parts[2]
    else:
        return None  # IPv6 forms: not worth second-guessing
    port, _, proto = container.partition("/")
    if not port:
        return f'invalid port: "{raw}": no port specified'
    if proto.lower() not in ("", "tcp", "udp", "sctp"):
        return f'invalid port: "{raw}": invalid proto: {proto}'
    container_range = _port_range(port)
    if container_range is None:
        return f"invalid containerPort: {port}"
    if host:
        host_range = _port_range(host)
        if host_range is None:
            return f"invalid hostPort: {host}"
        if (container_range[1] - container_range[0]) != (host_range[1] - host_range[0]) and (
            container_range[0] != container_range[1]
        ):
            return f"invalid ranges specified for container and host Ports: {port} and {host}"
    return None


def _mount_error(instruction: Instruction, spec: str) -> str | None:
    fields = mount_fields(spec)
    kind = fields.get("type", "bind")
    if "$" not in kind and kind.lower() not in MOUNT_TYPES:
        return f'unsupported mount type "{kind}"'
    return None


def dispatch_errors(
    stages: list[Stage],
    needed: set[int],
    copy_sources: dict[int, int],
) -> DockerfileError | None:
    """The first dispatch-time error of the needed stages. ``copy_sources`` maps id(instruction)
    to the stage index a COPY --from or a RUN --mount from= resolved to."""
    last_by_name = {stage.name: stage.index for stage in stages if stage.name}
    for stage in stages:
        if stage.index not in needed:
            continue
        for instruction in stage.instructions:
            line = instruction.line_start
            if instruction.cmd == "COPY":
                source = copy_sources.get(id(instruction))
                if source is not None and source > stage.index:
                    return DockerfileError.make(
                        line,
                        f'cannot copy from stage "{instruction.flag("from")}", it needs to be defined before '
                        f'current stage "{stage.display_name}"',
                        "copy_from_later_stage",
                    )
            elif instruction.cmd == "RUN":
                for spec in instruction.flag_values("mount"):
                    problem = _mount_error(instruction, spec)
                    if problem:
                        return DockerfileError.make(line, problem, "bad_mount")
                    fields = mount_fields(spec)
                    source_name = fields.get("from")
                    if not source_name:
                        continue
                    source_index = last_by_name.get(source_name.lower())
                    if source_index is not None and source_index > stage.index:
                        target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
                        return DockerfileError.make(
                            line,
                            f'cannot mount from stage "{source_name}" to "{target}", stage needs to be '
                            "defined before current command",
                            "mount_from_later_stage",
                        )
            elif instruction.cmd == "EXPOSE":
                for raw in instruction.value:
                    if "$" in raw:
                        continue
                    problem = port_error(raw)
                    if problem:
                        return DockerfileError.make(line, problem, "bad_port")
    return None
