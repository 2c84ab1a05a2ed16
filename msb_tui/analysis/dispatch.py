"""Checks BuildKit makes only while dispatching a needed stage (so a skipped stage escapes them).

``edges.build_edges`` collects these problems in file order while it walks the instructions and
keeps those of needed stages, first one wins: ``COPY --from``/``RUN --mount from=`` a later stage
(BuildKit 0.13+), unknown mount types and malformed EXPOSE ports. Values holding variables are
left alone (they depend on build-time ENV).
"""

from __future__ import annotations

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")


def _port_number(text: str) -> bool:
    return text.isdigit() and text.isascii() and 0 <= int(text) <= 65535


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
    """BuildKit's complaint about one EXPOSE value, or None (values holding variables pass)."""
    if "$" in raw:
        return None
    port, _, proto = raw.partition("/")
    if port.isdigit() and port.isascii() and int(port) <= 65535 and proto in ("", "tcp", "udp", "sctp"):
        return None
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


def mount_error(fields: dict[str, str]) -> str | None:
    """BuildKit's complaint about one parsed ``--mount`` (an unknown type), or None."""
    kind = fields.get("type", "bind")
    if "$" not in kind and kind.lower() not in MOUNT_TYPES:
        return f'unsupported mount type "{kind}"'
    return None
