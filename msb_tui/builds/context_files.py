"""Which files make up a build context: ``.dockerignore`` with Docker's pattern rules, the Dockerfile
(refused when a link in the context leads out of it), and one walk of the context in the order the
context tar holds them. The tar writer (``context.py``) and the context manifest
(``msb_tui.cache.manifest``) both read the context through this walk, so a manifest describes
exactly what is sent.
"""

from __future__ import annotations

import itertools
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath


class ContextError(ValueError):
    """The build context or Dockerfile cannot be used (missing, not a folder, ...)."""


# ---------------------------------------------------------------------------------------------
# .dockerignore patterns (moby/patternmatcher semantics)


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    """One ``.dockerignore`` line: a path pattern, maybe an exception (``!pattern``)."""

    text: str
    exclusion: bool
    regex: re.Pattern[str] = field(repr=False)


def _compile(pattern: str) -> re.Pattern[str]:
    """Docker's pattern language as a regex: ``*`` (not ``/``), ``?``, ``**`` (any dirs), ``[..]``, ``\\``."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            if i < n:
                out.append(re.escape(pattern[i]))
            else:
                out.append(re.escape("\\"))
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                negate = body[:1] in ("^", "!")
                if negate:
                    body = body[1:]
                # Inside a class Go takes "[", "&", "~" and "|" literally; Python's re would read
                # "[[" / "&&" / "~~" / "||" as future set operations (FutureWarning): escape them.
                for char in "\\[&~|":
                    body = body.replace(char, "\\" + char)
                out.append("[" + ("^" if negate else "") + body + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


def parse_dockerignore(text: str) -> list[IgnorePattern]:
    """Patterns from ``.dockerignore`` text: comments (``#``) and blank lines skipped, ``!`` exceptions,
    paths cleaned and a leading ``/`` dropped, as Docker reads them."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            if len(line) == 1:
                # Docker (moby/patternmatcher) refuses the whole file, and so do we.
                raise ContextError('.dockerignore: illegal exclusion pattern: "!"')
            line = line[1:].strip()
            if not line:
                continue
        # Go's filepath.Clean, then a leading "/" dropped (normpath keeps a leading "//").
        line = posixpath.normpath(line)
        if len(line) > 1:
            line = line.lstrip("/") or "/"
        if line == ".":
            # "." would exclude the whole context; Docker treats it as matching everything too.
            line = "**"
        patterns.append(IgnorePattern(line, exclusion, _compile(line)))
    return patterns


class IgnoreMatcher:
    """Decides which context paths ``.dockerignore`` excludes (last matching pattern wins)."""

    def __init__(self, patterns: list[IgnorePattern], text: str = ""):
        self.patterns = patterns
        self.text = text  # the .dockerignore text the patterns came from
        self.has_exceptions = any(p.exclusion for p in patterns)

    def excluded(self, rel: str) -> bool:
        """Whether the slash-separated relative path is excluded (a pattern may match a parent dir)."""
        if not self.patterns:
            return False
        parents = itertools.accumulate(rel.split("/")[:-1], lambda parent, part: f"{parent}/{part}")
        paths = [rel, *parents]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion == matched and any(pattern.regex.match(path) for path in paths):
                matched = not pattern.exclusion
        return matched

    def may_reinclude_under(self, rel_dir: str) -> bool:
        """Whether to walk into the excluded folder ``rel_dir``: only if an exception pattern's text
        starts with ``rel_dir/`` (Docker's rule: ``!build/keep.txt`` re-includes inside an excluded
        ``build``, ``!**/keep.txt`` does not)."""
        if not self.has_exceptions:
            return False
        prefix = rel_dir + "/"
        return any(p.exclusion and (p.text + "/").startswith(prefix) for p in self.patterns)


# ---------------------------------------------------------------------------------------------
# The Dockerfile and the ignore file


def _resolve_dockerfile(context_dir: str, dockerfile: StrPath | None) -> tuple[str, str | None]:
    """The Dockerfile's path and, if it lies inside the context, its name relative to the context."""
    if dockerfile is None:
        path = os.path.join(context_dir, "Dockerfile")
    else:
        # Like the Docker CLI: -f is relative to the current folder.
        path = os.path.join(os.getcwd(), dockerfile)
    if not os.path.exists(path):
        raise ContextError(f"Dockerfile not found: {path}")
    if not os.path.isfile(path):
        raise ContextError(f"Dockerfile is not a file: {path}")
    # Inside the context only if its (unresolved, then resolved) folder is the context or below it.
    absolute_context = os.path.abspath(context_dir)
    rel = os.path.relpath(os.path.abspath(path), absolute_context)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return path, None
    real_context = os.path.realpath(context_dir)
    real_file = os.path.realpath(path)
    if not real_file.startswith(real_context + os.sep):
        # The path names a file in the context, but a symlink leads out of it (Dockerfile ->
        # /etc/shadow in a cloned repo): never read it, never send it. Naming a file outside the
        # context with -f is the user's own choice; a link planted in the context is not.
        raise ContextError(
            f"the Dockerfile {rel} is a symlink to a file outside the build context; refusing to read it "
            "(give the file itself with -f if you mean to build it)"
        )
    if os.path.islink(path):
        return path, None  # a link to another file in the context: sent as content under its own name
    return path, rel.replace(os.sep, "/")


def check_dockerfile(context_dir: StrPath, dockerfile: StrPath | None = None) -> str:
    """The Dockerfile's path, once it is known to be safe to read (``ContextError`` otherwise)."""
    return _resolve_dockerfile(os.fspath(context_dir), dockerfile)[0]


def _ignore_file(context_dir: str, dockerfile_path: str) -> tuple[str, str]:
    """(path, text) of the ignore file: ``<Dockerfile>.dockerignore`` next to the Dockerfile wins (as
    buildx does), else ``.dockerignore``; ("", "") when there is none."""
    for candidate in (dockerfile_path + ".dockerignore", os.path.join(context_dir, ".dockerignore")):
        try:
            if os.path.isfile(candidate):
                with open(candidate, encoding="utf-8", errors="replace") as handle:
                    return candidate, handle.read()
        except OSError:
            continue
    return "", ""


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One member of the context: its slash path in the context, its path on disk, its ``lstat``."""

    rel: str
    path: str
    stat: os.stat_result


class ContextFiles:
    """A build context folder with its Dockerfile and ignore rules resolved (``ContextError`` when it
    cannot be used); ``walk()`` lists what is sent. ``extra_ignore`` adds ``.dockerignore`` lines (to
    measure the context as it would be with them); ``dockerignore=False`` walks the whole folder."""

    def __init__(self, context_dir: StrPath, dockerfile: StrPath | None = None, extra_ignore: str = "",
                 *, dockerignore: bool = True):
        context_dir = os.fspath(context_dir)
        if not os.path.exists(context_dir):
            raise ContextError(f"build context not found: {context_dir}")
        if not os.path.isdir(context_dir):
            raise ContextError(f"build context is not a folder: {context_dir}")
        self.context_dir = context_dir
        self.dockerfile_path, self.dockerfile_rel = _resolve_dockerfile(context_dir, dockerfile)
        self.ignore_path, self.ignore_text = _ignore_file(context_dir, self.dockerfile_path)
        text = self.ignore_text if dockerignore else ""
        if extra_ignore:
            text = text.rstrip("\n") + "\n" + extra_ignore if text.strip() else extra_ignore
        self.matcher = IgnoreMatcher(parse_dockerignore(text), text)
        # Sent even when .dockerignore lists them (the engine reads them), as the docker CLI does.
        self.always = {".dockerignore"}
        if self.dockerfile_rel is not None:
            self.always.add(self.dockerfile_rel)

    def walk(self) -> Iterator[ContextEntry]:
        """Every folder, file, link and special file that is sent, parents before children and
        sorted by name within a folder; links are never followed (a linked folder is one member)."""
        matcher, always, root = self.matcher, self.always, self.context_dir
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            keep_dirs = []
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if os.path.islink(full):
                    filenames.append(name)  # a symlinked folder is sent as the link itself
                    continue
                if matcher.excluded(rel):
                    # Entered (not sent itself) only for an exception or a Dockerfile under it.
                    if matcher.may_reinclude_under(rel) or any(a.startswith(rel + "/") for a in always):
                        keep_dirs.append(name)
                    continue
                entry = _entry(rel, full)
                if entry is not None:
                    yield entry
                    keep_dirs.append(name)
            dirnames[:] = keep_dirs
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if rel not in always and matcher.excluded(rel):
                    continue
                entry = _entry(rel, full)
                if entry is not None:
                    yield entry


def _entry(rel: str, full: str) -> ContextEntry | None:
    try:
        return ContextEntry(rel, full, os.lstat(full))
    except OSError:
        return None  # vanished while we walked
