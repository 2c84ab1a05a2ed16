"""Loader for the Dockerfile corpus: ``cases.toml`` says what BuildKit decides about each ``<name>.Dockerfile``.

The corpus is shared by the pure analysis test (does ``analyze()`` agree with BuildKit?) and the
real-engine test (does the recorded verdict still match what the engine does?), so the two cannot
drift apart. Unknown keys are refused: a misspelt key must not silently weaken a case.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
CASES_FILE = CORPUS_DIR / "cases.toml"
VERDICTS = ("accept", "reject")
KNOWN_KEYS = {
    "exercises", "verdict", "line", "buildkit_names_line", "no_line", "engine_message", "target", "build_args", "platform",
    "needs_buildkit", "buildkit_08", "line_08", "analysis_only", "requires_images", "stages", "bases", "needed",
    "crashes_08", "needs_session",
}

# Lowest BuildKit vendored by each Docker engine line (20.10 measured here; the others err low, so a
# case that needs a newer BuildKit is skipped rather than wrongly failed).
ENGINE_BUILDKIT = {"20.10": (0, 8), "23": (0, 10), "24": (0, 11), "25": (0, 12), "26": (0, 13), "27": (0, 14), "28": (0, 20)}
BUILDKIT_08 = (0, 8)


def parse_version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def engine_buildkit(engine_version: str) -> tuple[int, int] | None:
    """The BuildKit an engine version ships (``"20.10.24+dfsg1"`` -> ``(0, 8)``), None when unknown."""
    match = re.match(r"(\d+)\.(\d+)", engine_version)
    if not match:
        return None
    major, minor = match.groups()
    return ENGINE_BUILDKIT.get(f"{major}.{minor}") or ENGINE_BUILDKIT.get(major)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    exercises: str
    verdict: str
    line: int | None = None
    buildkit_names_line: bool = True  # False: BuildKit's error has no location; `line` is the culprit
    no_line: bool = False
    engine_message: str | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    needs_buildkit: str | None = None
    buildkit_08: str | None = None
    line_08: int | None = None
    analysis_only: str | None = None
    crashes_08: str | None = None  # why the file must never be sent to BuildKit 0.8 (dockerd 20.10)
    needs_session: str | None = None  # the engine fails it without a client session ("no active sessions")
    requires_images: tuple[str, ...] = ()
    stages: tuple[str, ...] | None = None
    bases: tuple[str, ...] | None = None
    needed: tuple[str | int, ...] | None = None  # display names, or indexes where names repeat

    @property
    def source(self) -> bytes:
        return self.path.read_bytes()

    def expected_on(self, buildkit: tuple[int, int]) -> tuple[str, int | None] | None:
        """(verdict, line) the given BuildKit should produce, or None when the corpus does not say."""
        if self.needs_buildkit is None or buildkit >= parse_version(self.needs_buildkit):
            return self.verdict, self.line
        if buildkit == BUILDKIT_08 and self.buildkit_08 is not None:
            return self.buildkit_08, self.line_08
        return None


def _case(name: str, raw: dict) -> Case:
    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"case {name!r}: unknown keys {sorted(unknown)}")
    path = CORPUS_DIR / f"{name}.Dockerfile"
    if not path.is_file():
        raise ValueError(f"case {name!r}: {path.name} is missing")
    if raw.get("verdict") not in VERDICTS or raw.get("buildkit_08", "accept") not in VERDICTS:
        raise ValueError(f"case {name!r}: verdicts must be one of {VERDICTS}")
    if raw["verdict"] == "reject" and ("line" in raw) == bool(raw.get("no_line")):
        raise ValueError(f"case {name!r}: a rejection needs exactly one of line / no_line = true")
    if raw["verdict"] == "accept" and ("line" in raw or raw.get("no_line")):
        raise ValueError(f"case {name!r}: an accepted case has no error line")
    if "needs_buildkit" in raw:
        parse_version(raw["needs_buildkit"])
    values = dict(raw)
    for key in ("requires_images", "stages", "bases", "needed"):
        if key in values:
            values[key] = tuple(values[key])
    return Case(name=name, path=path, **values)


def load_cases() -> dict[str, Case]:
    """Every corpus case by name (file order of ``cases.toml``)."""
    raw = tomllib.loads(CASES_FILE.read_text(encoding="utf-8"))
    return {name: _case(name, body) for name, body in raw.items()}
