"""Platforms as ``--platform`` takes them and as BuildKit writes them in step names.

A multi-platform build (``--platform linux/amd64,linux/arm64``) runs the same stage plan once per
target platform, and BuildKit then prefixes every Dockerfile step with the platform of its stage:
``[linux/arm64 final 1/2]``. A stage ``FROM --platform=$BUILDPLATFORM`` that reads a target ARG
runs on the build machine for another target and is written ``[linux/amd64->arm64 build 2/3]``
(the target after the arrow: its architecture only when the OS is the same). Single-platform
builds carry no prefix (seen on Docker 28.5.2, also with ``--platform linux/arm64``).
"""

from __future__ import annotations

# GOOS values (what an OCI platform's os holds), to tell "->windows/amd64" from "->arm/v7".
OPERATING_SYSTEMS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "netbsd",
    "openbsd", "plan9", "solaris", "wasip1", "windows",
})


def normal_platform(text: str) -> str:
    """``os/arch[/variant]`` lower-cased, with BuildKit's defaults: ``arm64/v8`` is ``arm64``,
    ``amd64`` alone is ``linux/amd64``."""
    parts = [part for part in text.strip().lower().split("/") if part]
    if len(parts) == 1:
        parts.insert(0, "linux")
    if len(parts) >= 3 and parts[1] == "arm64" and parts[2] == "v8":
        parts = parts[:2]
    return "/".join(parts)


def target_platforms(text: str | None) -> list[str]:
    """The platforms of a ``--platform`` value (comma-separated), normalized, first occurrence kept."""
    out: list[str] = []
    for part in (text or "").split(","):
        if part.strip():
            platform = normal_platform(part)
            if platform not in out:
                out.append(platform)
    return out


def step_platform(prefix: str) -> str:
    """The target platform a step-name prefix stands for: ``linux/amd64->arm64`` -> ``linux/arm64``,
    ``linux/amd64->windows/amd64`` -> ``windows/amd64``, ``linux/arm64`` -> ``linux/arm64``."""
    base, arrow, target = prefix.partition("->")
    if not arrow:
        return normal_platform(base)
    if target.lower().split("/", 1)[0] in OPERATING_SYSTEMS:
        return normal_platform(target)  # another OS: BuildKit writes the whole platform
    base_os = normal_platform(base).split("/", 1)[0]
    return normal_platform(f"{base_os}/{target}")


def _split_platform(text: str) -> tuple[str, str, str]:
    parts = text.split(",", 1)[0].strip().lower().split("/")
    os_name = parts[0] if parts and parts[0] else "linux"
    arch = parts[1] if len(parts) > 1 and parts[1] else "amd64"
    variant = parts[2] if len(parts) > 2 else ""
    if arch == "arm64" and variant == "v8":
        variant = ""
    return os_name, arch, variant


def platform_args(platform: str | None = None) -> dict[str, str]:
    """The automatic ARGs for a target platform like ``linux/arm64/v8`` (default linux/amd64). Of a
    multi-platform ``--platform a,b`` the first: the plan is the same for each (the stages a
    platform ARG selects are taken from the first). The build platform is linux/amd64."""
    os_name, arch, variant = _split_platform(platform or "linux/amd64")
    return {
        "BUILDPLATFORM": "linux/amd64",
        "BUILDOS": "linux",
        "BUILDOSVERSION": "",
        "BUILDARCH": "amd64",
        "BUILDVARIANT": "",
        "TARGETPLATFORM": "/".join(part for part in (os_name, arch, variant) if part),
        "TARGETOS": os_name,
        "TARGETOSVERSION": "",
        "TARGETARCH": arch,
        "TARGETVARIANT": variant,
    }


# The automatic platform ARGs BuildKit defines in the global scope.
PLATFORM_ARGS = tuple(platform_args())
