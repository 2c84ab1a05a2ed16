"""Which files of the build context a Dockerfile can read.

The context is read by ``COPY``/``ADD`` without ``--from`` (not URLs, not heredocs), by
``RUN --mount=type=bind`` without ``from=`` (the whole context when no ``source`` is given), and by
the same instructions under ``ONBUILD``. Their sources are paths relative to the context root,
maybe with wildcards (Go's ``filepath.Match``: ``*``, ``?``, ``[..]``, never across ``/``); a source
that matches a folder reaches everything under it. A source holding a variable (``$VAR``) is not
guessed: it counts as reaching the whole context.
"""

from __future__ import annotations

import csv
import fnmatch
import posixpath
from dataclasses import dataclass

from msb_tui.analysis import Analysis
from msb_tui.analysis.parse import Instruction

WHOLE = ""  # a source that reaches the whole context
_WILDCARDS = frozenset("*?[")


@dataclass(frozen=True)
class ContextReader:
    """One instruction that reads the context, with its sources (``WHOLE`` for all of it)."""

    stage: str
    line: int
    instruction: str  # as written (untrusted: display it as plain text)
    sources: tuple[str, ...]
    variable: bool = False  # a source held a variable, so it counts as the whole context

    @property
    def whole(self) -> bool:
        return WHOLE in self.sources

    def reaches(self, path: str) -> bool:
        return any(reaches(source, path) for source in self.sources)


def context_readers(analysis: Analysis) -> list[ContextReader]:
    """Every instruction of the Dockerfile (all stages, not only the target's) that reads the context."""
    readers = []
    for stage in analysis.stages:
        for instruction in [*stage.instructions, *stage.onbuild]:
            sources = _sources(instruction)
            if sources is None:
                continue
            variable = any("$" in source for source in sources)
            cleaned = tuple(WHOLE if "$" in source else clean_source(source) for source in sources)
            readers.append(ContextReader(stage.display_name, instruction.line_start,
                                         instruction.original.strip(), cleaned, variable))
    return readers


def clean_source(source: str) -> str:
    """A source as a slash path relative to the context root ("" for the root itself)."""
    cleaned = posixpath.normpath("/" + source).lstrip("/")
    return "" if cleaned in (".", "") else cleaned


def reaches(source: str, path: str) -> bool:
    """Whether the cleaned ``source`` reaches the context path ``path`` (itself or a folder above it)."""
    if source == WHOLE:
        return True
    if not _WILDCARDS & set(source):
        return path == source or path.startswith(source + "/")
    depth = source.count("/") + 1
    parts = path.split("/")
    if len(parts) < depth:
        return False
    return fnmatch.fnmatchcase("/".join(parts[:depth]), source)


def _sources(instruction: Instruction) -> list[str] | None:
    """The context sources an instruction reads, or None when it reads none of the context."""
    cmd, value, flags = instruction.cmd, list(instruction.value), list(instruction.flags or ())
    if cmd == "ONBUILD":
        cmd = (instruction.sub_cmd or "").upper()
        while value and value[0].startswith("--"):
            flags.append(value.pop(0))
    if cmd in ("COPY", "ADD"):
        if any(flag.startswith("--from=") for flag in flags) or len(value) < 2:
            return None
        sources = [source for source in value[:-1] if not source.startswith("<<") and not _is_remote(source)]
        return sources or None
    if cmd == "RUN":
        sources = []
        for flag in flags:
            if flag.startswith("--mount="):
                mount = _mount(flag[len("--mount="):])
                if mount.get("type", "bind") == "bind" and "from" not in mount:
                    sources.append(mount.get("source", mount.get("src", "")))
        return sources or None
    return None


def _is_remote(source: str) -> bool:
    return "://" in source or source.startswith("git@")


def _mount(text: str) -> dict[str, str]:
    """``type=bind,source=x,target=/y`` as a dict (BuildKit reads it as one CSV record)."""
    try:
        fields = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return {}
    mount = {}
    for item in fields:
        key, _, val = item.partition("=")
        mount[key.strip().lower()] = val
    return mount
