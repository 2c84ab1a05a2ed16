"""Which BuildKit a plan is for, and what changed between the versions we plan for.

A plan is exact to one BuildKit: the one the connected engine runs (``engine_buildkit``), or the
one the user names (``msb-tui plan --buildkit 0.8``). Two versions were checked on real engines:
0.8 (Docker 20.10) and current BuildKit (Docker 28.5). Each ``Feature`` says from which version a
behaviour holds; thresholds between those two come from BuildKit's release notes, not from a run.
"""

from __future__ import annotations

import re

Version = tuple[int, int]

BUILDKIT_08: Version = (0, 8)
CURRENT: Version = (0, 25)  # what Docker 28.5 ships (the primary engine); `plan` defaults to it

# Lowest BuildKit vendored by each Docker engine line (20.10 and 28.5 measured here; the others err low).
ENGINE_BUILDKIT: dict[str, Version] = {
    "20.10": (0, 8), "23": (0, 10), "24": (0, 11), "25": (0, 12), "26": (0, 13), "27": (0, 14),
    "28.0": (0, 20), "28.1": (0, 21), "28.2": (0, 22), "28.3": (0, 23), "28.4": (0, 24), "28.5": (0, 25),
    "29": (0, 25),
}

# Behaviours that depend on the version: name -> first BuildKit with it.
HEREDOCS = (0, 10)  # Dockerfile 1.4: RUN/COPY <<EOF
SHELL_PATTERNS = (0, 13)  # ${VAR#p} ${VAR%p} ${VAR/p/r} in FROM and global ARGs
COPY_FROM_LATER_ERROR = (0, 13)  # COPY --from / --mount from= a later stage is an error (before: its base image)
ONBUILD_FROM_STAGE = (0, 17)  # ONBUILD COPY --from=<stage> builds that stage (before: reads an image)
MOUNT_FROM_ONLY_BIND_CACHE = (0, 9)  # tmpfs/ssh mounts ignore from= (0.8 panics on tmpfs,from=)
CHMOD_CHECKED = (0, 18)  # COPY --chmod must be octal <= 07777 (before: an invalid value was ignored)
INVALID_UTF8_CHECKED = (0, 17)  # 28.5.2: "string field contains invalid UTF-8"; 20.10 runs it
LONG_FROM_CHECKED = (0, 20)  # 28.5.2 refuses a --from of more than 255 characters; 20.10 does not


def parse_buildkit(text: str) -> Version:
    """``"0.8"``, ``"v0.25.1"``, ``"0.8.3-dev"`` -> (major, minor). Raises ValueError otherwise."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:[.+-].*)?", text.strip())
    if not match:
        raise ValueError(f"not a BuildKit version: {text!r} (expected e.g. 0.8 or 0.25)")
    return int(match.group(1)), int(match.group(2))


def engine_buildkit(engine_version: str) -> Version | None:
    """The BuildKit a Docker engine version ships (``"20.10.24+dfsg1"`` -> (0, 8)), None when unknown."""
    match = re.match(r"(\d+)\.(\d+)", engine_version or "")
    if not match:
        return None
    major, minor = match.groups()
    found = ENGINE_BUILDKIT.get(f"{major}.{minor}") or ENGINE_BUILDKIT.get(major)
    if found is None and int(major) > 29:
        return CURRENT
    return found


def describe(version: Version) -> str:
    """How a version is named in messages ("BuildKit 0.8")."""
    return f"BuildKit {version[0]}.{version[1]}"
