"""What to build: one ``BuildInputs`` made by the CLI or the app, read by ``analyze()`` and the backend.

The knobs are ``docker build``'s. Making the object once means the plan shown and the build sent
can never disagree about the target, the build args or the platform.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def parse_build_args(values: Iterable[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``--build-arg`` values as docker reads them: ``NAME=VALUE`` sets NAME; a bare ``NAME`` takes
    its value from the environment and is left out when the environment does not have it (so the
    Dockerfile's default applies). Raises ``ValueError`` for an empty name."""
    env = os.environ if env is None else env
    result: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        name = name.strip()
        if not name:
            raise ValueError(f"invalid --build-arg {value!r}: expected NAME=VALUE or NAME")
        if sep:
            result[name] = rest
        elif name in env:
            result[name] = env[name]
    return result


def parse_labels(values: Iterable[str]) -> dict[str, str]:
    """``--label`` values: ``NAME=VALUE``, or a bare ``NAME`` for an empty label (as docker does)."""
    result: dict[str, str] = {}
    for value in values:
        name, _, rest = value.partition("=")
        if not name.strip():
            raise ValueError(f"invalid --label {value!r}: expected NAME=VALUE")
        result[name.strip()] = rest
    return result


@dataclass(frozen=True)
class BuildInputs:
    """One build's inputs. ``dockerfile`` is as given with ``-f`` (relative paths are taken from the
    current folder, as ``docker build -f`` does); None means ``CONTEXT/Dockerfile``. ``network`` is
    the RUN steps' network mode ("none", "host", "default"; the engine's default when None)."""

    context: Path
    dockerfile: Path | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    no_cache: bool = False
    pull: bool = False
    tags: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    secret_build_args: tuple[str, ...] = ()
    """Build args whose values are masked in recordings and output (credential-like names are
    masked anyway, see :mod:`msb_tui.builds.masking`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", Path(self.context))
        if self.dockerfile is not None:
            object.__setattr__(self, "dockerfile", Path(self.dockerfile))
        object.__setattr__(self, "build_args", dict(self.build_args))
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "secret_build_args", tuple(self.secret_build_args))

    @property
    def dockerfile_path(self) -> Path:
        """The Dockerfile this build reads."""
        if self.dockerfile is None:
            return self.context / "Dockerfile"
        return Path.cwd() / self.dockerfile

    def read_dockerfile(self) -> bytes | None:
        """The Dockerfile's bytes as BuildKit reads them, or None when it cannot be read."""
        try:
            return self.dockerfile_path.read_bytes()
        except OSError:
            return None

    def analyze(self, text: str | None = None, *, lint: bool = True):
        """The analysis of this build's Dockerfile for its target, build args and platform.
        ``text``: the Dockerfile already read (else it is read now)."""
        from msb_tui.analysis import analyze

        if text is None:
            text = self.dockerfile_path.read_bytes().decode("utf-8", errors="replace")
        return analyze(text, target=self.target, build_args=self.build_args, platform=self.platform, lint=lint)

    def describe(self) -> dict[str, Any]:
        """The inputs as plain JSON values (the recording header's fields), secret values masked."""
        from msb_tui.builds.masking import masked_args

        data = asdict(self)
        del data["secret_build_args"]
        data["context"] = str(self.context.resolve())
        data["dockerfile"] = str(self.dockerfile_path)
        data["tags"] = list(self.tags)
        data["build_args"] = masked_args(self.build_args, self.secret_build_args)
        return data


def build_arg_option(value: str) -> str:
    """The argparse ``type`` of ``--build-arg``: refuses an empty name at once (a usage error);
    :func:`parse_build_args` reads the values afterwards."""
    import argparse

    if not value.partition("=")[0].strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE or NAME, got {value!r}")
    return value


BUILD_ARG_HELP = "set a build arg: NAME=VALUE, or NAME alone to take its value from the environment (repeatable)"
