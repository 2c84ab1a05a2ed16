"""What a re-run caused by instruction order cost, and the order that would have kept it cached.

A dependency install (``RUN npm ci``, ``RUN go mod download``) placed after a
copy of the whole context (``COPY . .``) re-runs whenever any file of the context changes: that is
the ``CacheBustingCopy`` lint finding. After a build, the cache explanation says which steps ran and
why; where an install ran only because the whole-context copy above it saw changed files, and none
of those files is a manifest the install reads, copying the manifests first would have kept it cached.
This module says so, with what the install took in this build.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from msb_tui.analysis.errors import Finding
from msb_tui.analysis.stage_advice import installs_dependencies
from msb_tui.analysis.parse import Instruction
from msb_tui.cache.explain import CacheExplanation, Cause, StepExplanation
from msb_tui.durations import format_duration

_PIP = re.compile(r"\b(?:pip3?|uv\s+pip)\s+(?:install|wheel|download)\b")
_REQUIREMENTS = re.compile(r"(?:^|\s)(?:-r|--requirement)(?:\s+|=)(\S+)")
# Install command -> the files it reads from the context, most important first (patterns allowed).
# An empty tuple: the install reads nothing from the context (system packages): it can move above the copy.
# None: the command builds the sources as well, so reordering cannot keep it cached.
MANIFESTS: list[tuple[re.Pattern[str], tuple[str, ...] | None]] = [
    (re.compile(r"\bnpm\s+(ci|install|i)\b"), ("package.json", "package-lock.json")),
    (re.compile(r"\byarn\b"), ("package.json", "yarn.lock")),
    (re.compile(r"\bpnpm\s+(install|i)\b"), ("package.json", "pnpm-lock.yaml")),
    (re.compile(r"\bpoetry\s+install\b"), ("pyproject.toml", "poetry.lock")),
    (re.compile(r"\bpipenv\s+install\b"), ("Pipfile", "Pipfile.lock")),
    (re.compile(r"\buv\s+sync\b"), ("pyproject.toml", "uv.lock")),
    (_PIP, ()),  # the files its -r options name
    (re.compile(r"\bgo\s+mod\s+download\b"), ("go.mod", "go.sum")),
    (re.compile(r"\bbundle\b"), ("Gemfile", "Gemfile.lock")),
    (re.compile(r"\bcomposer\s+install\b"), ("composer.json", "composer.lock")),
    (re.compile(r"\bcargo\s+fetch\b"), ("Cargo.toml", "Cargo.lock")),
    (re.compile(r"\bmvn\b.*\bdependency:"), ("pom.xml",)),
    (re.compile(r"\bgradle\w*\b.*\bdependencies\b"), ("build.gradle", "build.gradle.kts", "settings.gradle",
                                                       "settings.gradle.kts", "gradle.properties")),
    # These compile the sources too: no order of COPY keeps them cached when a source changes.
    (re.compile(r"\b(cargo\s+build|mvn|gradle\w*)\b"), None),
    (re.compile(r"\bdotnet\s+restore\b"), ("*.csproj", "*.fsproj", "*.sln")),
    (re.compile(r"\b(apt-get\s+install|apk\s+add)\b"), ()),
]


@dataclass(frozen=True)
class ReorderAdvice:
    """One install that re-ran because of where it sits, what that cost, and the order that avoids it."""

    stage: str
    copy_line: int  # the whole-context COPY (the CacheBustingCopy finding's line)
    copy: str  # that COPY as written (untrusted)
    install_line: int
    install: str  # the install RUN as written (untrusted)
    seconds: float | None  # what the install took in this build (None: the engine gave no times)
    changed: tuple[str, ...]  # the context files whose change set the cascade off (untrusted)
    manifests: tuple[str, ...]  # what to copy before the install ((): nothing, move the install up)
    suggestion: tuple[str, ...]  # the Dockerfile lines in the order that keeps the install cached
    finding: Finding = field(compare=False)

    def summary(self) -> str:
        """One sentence: what re-ran, what it took, why, and the fix."""
        took = f" (took {format_duration(self.seconds)})" if self.seconds is not None else ""
        files = _count(len(self.changed), "changed file")
        if self.changed:
            files += f" ({', '.join(self.changed[:3])}{', …' if len(self.changed) > 3 else ''})"
        if self.manifests:
            fix = f"copy {' '.join(self.manifests)} first, install, then copy the rest"
        else:
            fix = "run it before the copy: it reads nothing from the context"
        return (f"line {self.install_line} re-ran{took} only because the COPY of the whole context on line "
                f"{self.copy_line} saw {files}; {fix} and it stays cached")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["copy"], data["finding"]
        return data | {"rule": self.finding.rule, "summary": self.summary()}


def advise(explanation: CacheExplanation | list[StepExplanation], analysis: Any,
           context_files: Collection[str] | None = None) -> list[ReorderAdvice]:
    """Advice for every install a ``CacheBustingCopy`` finding names that re-ran in this build only
    because the whole-context copy above it saw changed files none of which it reads.

    ``explanation``: a ``CacheExplanation`` (or its list of steps); ``context_files``: the paths in the
    context (a manifest's files), used to name only manifests that exist; without it the first
    manifest is named plainly and the others with ``*`` (a COPY pattern that may match nothing)."""
    steps = list(getattr(explanation, "steps", explanation))
    by_line = {(step.stage, step.line): step for step in steps if step.line is not None}
    advice: list[ReorderAdvice] = []
    for finding in analysis.lint:
        if finding.rule != "CacheBustingCopy" or finding.line is None:
            continue
        stage = next((s for s in analysis.stages if s.line_start <= finding.line <= s.line_end), None)
        found = (i for i in stage.instructions if i.line_start == finding.line) if stage else ()
        copy = next(found, None)
        if copy is None:
            continue
        for install in (i for i in stage.instructions if i.line_start > copy.line_start and installs_dependencies(i)):
            step = by_line.get((stage.display_name, install.line_start))
            changed = _changed_by_copy(step, copy, steps) if step is not None and step.ran else None
            if changed is None:
                continue
            manifests = manifests_for(install, context_files)
            if manifests is None:
                continue  # it compiles the sources too: it would have run in any order
            if any(_matches(path, manifests) for path in changed):
                continue  # a manifest changed: the install would have run in any order
            advice.append(ReorderAdvice(
                stage=stage.display_name,
                copy_line=copy.line_start,
                copy=copy.original,
                install_line=install.line_start,
                install=install.original,
                seconds=step.seconds,
                changed=tuple(changed),
                manifests=manifests,
                suggestion=_suggestion(copy, install, manifests),
                finding=finding,
            ))
    return advice


def manifests_for(install: Instruction, context_files: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The files ``install`` reads from the context: those present in ``context_files`` when given;
    () when it reads none; None when it builds the sources too (no manifest list would do)."""
    command = " ".join(install.value)
    pattern, names = next(((pattern, files) for pattern, files in MANIFESTS if pattern.search(command)), (None, ()))
    if pattern is _PIP:  # the files its -r options name: each one is needed
        return tuple(dict.fromkeys(_REQUIREMENTS.findall(command)))
    if not names:
        return names
    if context_files is not None:
        present = tuple(name for name in names if _present(context_files, name))
        return present or names[:1]
    return names[:1] + tuple(name if "*" in name else f"{name}*" for name in names[1:])


def _present(context_files: Collection[str], name: str) -> bool:
    """A file at the context root is ``name`` (a pattern when it holds ``*``)."""
    if "*" in name:
        return any("/" not in path and fnmatch.fnmatch(path, name) for path in context_files)
    return name in context_files


def _matches(path: str, manifests: Sequence[str]) -> bool:
    name = path.removeprefix("./")
    return any(fnmatch.fnmatch(name, pattern) for pattern in manifests)


def _changed_by_copy(step: StepExplanation, copy: Instruction, steps: list[StepExplanation]) -> list[str] | None:
    """The changed context files when ``step`` ran because of the copy on ``copy``'s line (it
    started the cascade ``step`` belongs to); None when anything else made it run."""
    origin = cascade_origin(step, steps)
    if origin is None or origin.line != copy.line_start or origin.stage != step.stage:
        return None
    if origin.cause != Cause.FILES_CHANGED:
        return None
    paths = [str(change.get("path")) for change in origin.detail.get("changes") or ()]
    if int(origin.detail.get("count") or len(paths)) > len(paths):
        return None  # not every changed path is listed: a manifest may be among the others
    return paths


def cascade_origin(step: StepExplanation, steps: Iterable[StepExplanation]) -> StepExplanation | None:
    """The step that started the cascade ``step`` is in (itself when it ran for its own reason)."""
    if step.cause != Cause.PARENT_RAN:
        return step
    return next((other for other in steps if other.id == step.cascade_from), None)


def _suggestion(copy: Instruction, install: Instruction, manifests: tuple[str, ...]) -> tuple[str, ...]:
    """The reordered lines: manifests copied to the same place, the install, then the whole copy."""
    if not manifests:
        return (install.original, copy.original)
    dest = copy.value[-1] if copy.value else "."
    keyword = copy.keyword or "COPY"
    flags = " ".join(flag for flag in copy.flags if not flag.startswith("--from"))
    head = f"{keyword} {flags} " if flags else f"{keyword} "
    folders: dict[str, list[str]] = {}  # one COPY per folder, so requirements/base.txt keeps its path
    for name in manifests:
        folders.setdefault(name.rpartition("/")[0], []).append(name)
    lines = []
    for folder, names in folders.items():
        target = dest.rstrip("/") + "/" + (f"{folder}/" if folder else "")
        lines.append(f"{head}{' '.join(names)} {target}")
    return (*lines, install.original, copy.original)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
