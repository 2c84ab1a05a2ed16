"""The build context as the engine wants it: a GNU tar of the context folder, spooled to a temp file.

Why not ``docker.utils.create_archive``: it writes float mtimes (PAX headers), which makes
BuildKit read the body as a Dockerfile. Here every member is a GNU header with an integer
mtime, owned by root (as the Docker CLI sends it), ``.dockerignore`` is applied with Docker's
pattern rules, symlinks stay links, and nothing outside the context is read. A Dockerfile given
with ``-f`` outside the context is added under a unique name.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(files, bytes)`` while the tar is written (throttled)."""

_PROGRESS_EVERY = 0.1  # seconds between progress callbacks


class ContextError(ValueError):
    """The build context or Dockerfile cannot be used (missing, not a folder, ...)."""


# ---------------------------------------------------------------------------------------------
# .dockerignore patterns (moby/patternmatcher semantics)


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    """One ``.dockerignore`` line: a path pattern, maybe an exception (``!pattern``)."""

    text: str
    exclusion: bool
    regex: re.Pattern[str]


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
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return re.compile("".join(out), re.DOTALL)


def _clean(path: str) -> str:
    """Go's ``filepath.Clean`` for slash paths (what Docker applies to each pattern)."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


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
            line = line[1:].strip()
            if not line:
                continue
        line = _clean(line)
        if len(line) > 1 and line.startswith("/"):
            line = line[1:]
        if line == ".":
            # "." would exclude the whole context; Docker treats it as matching everything too.
            line = "**"
        patterns.append(IgnorePattern(line, exclusion, _compile(line)))
    return patterns


class IgnoreMatcher:
    """Decides which context paths ``.dockerignore`` excludes (last matching pattern wins)."""

    def __init__(self, patterns: list[IgnorePattern]):
        self.patterns = patterns
        self.has_exceptions = any(p.exclusion for p in patterns)

    def excluded(self, rel: str) -> bool:
        """Whether the slash-separated relative path is excluded (a pattern may match a parent dir)."""
        if not self.patterns:
            return False
        parents = rel.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue
            hit = pattern.regex.match(rel) is not None
            if not hit and parents:
                prefix = ""
                for part in parents:
                    prefix = f"{prefix}/{part}" if prefix else part
                    if pattern.regex.match(prefix):
                        hit = True
                        break
            if hit:
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
# The tar


def _resolve_dockerfile(context_dir: Path, dockerfile: Path | None) -> tuple[Path, str | None]:
    """The Dockerfile's path and, if it lies inside the context, its name relative to the context."""
    if dockerfile is None:
        path = context_dir / "Dockerfile"
    else:
        path = Path(dockerfile)
        if not path.is_absolute():
            # Like the Docker CLI: -f is relative to the current folder.
            path = Path.cwd() / path
    if not path.exists():
        raise ContextError(f"Dockerfile not found: {path}")
    if not path.is_file():
        raise ContextError(f"Dockerfile is not a file: {path}")
    # Inside the context only if its (unresolved, then resolved) folder is the context or below it.
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(context_dir))
    except ValueError:
        return path, None
    real_context = os.path.realpath(context_dir)
    real_file = os.path.realpath(path)
    if path.is_symlink() or not real_file.startswith(real_context + os.sep):
        # A symlinked Dockerfile (or one that escapes through a symlinked folder) is sent as content.
        return path, None
    return path, rel.as_posix()


def _ignore_text(context_dir: Path, dockerfile_path: Path) -> str:
    """``<Dockerfile>.dockerignore`` next to the Dockerfile wins (as buildx does), else ``.dockerignore``."""
    specific = dockerfile_path.with_name(dockerfile_path.name + ".dockerignore")
    for candidate in (specific, context_dir / ".dockerignore"):
        try:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def _tarinfo(tar: tarfile.TarFile, path: str, arcname: str) -> tarfile.TarInfo | None:
    info = tar.gettarinfo(path, arcname)
    if info is None:  # sockets, fifos with no tar type
        return None
    info.mtime = int(info.mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def make_context_tar(
    context_dir: Path, dockerfile: Path | None = None, progress: ProgressCallback | None = None
) -> tuple[BinaryIO, str]:
    """Tar the build context into a seekable temp file; return it (at offset 0) and the Dockerfile's
    name inside the tar (relative path, or a unique ``.msb-tui-dockerfile-*`` name when ``-f`` points
    outside the context)."""
    context_dir = Path(context_dir)
    if not context_dir.exists():
        raise ContextError(f"build context not found: {context_dir}")
    if not context_dir.is_dir():
        raise ContextError(f"build context is not a folder: {context_dir}")
    dockerfile_path, dockerfile_rel = _resolve_dockerfile(context_dir, dockerfile)
    matcher = IgnoreMatcher(parse_dockerignore(_ignore_text(context_dir, dockerfile_path)))

    spool = tempfile.TemporaryFile(prefix="msb-tui-context-", suffix=".tar")
    try:
        dockerfile_rel = _write_tar(spool, context_dir, dockerfile_path, dockerfile_rel, matcher, progress)
    except BaseException:
        spool.close()  # a failed or cancelled tar (progress may raise to stop it) leaves nothing behind
        raise
    spool.flush()
    spool.seek(0)
    return spool, dockerfile_rel


_BIG_FILE = 8 << 20  # files above this report progress while they are copied


class _ReportingReader:
    """A file wrapper that reports bytes read (about every 4 MB), so a huge file shows progress and a
    progress callback can stop the tar by raising."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]):
        self._handle = handle
        self._report = report
        self._read = 0
        self._next = 4 << 20

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._read += len(data)
        if self._read >= self._next:
            self._next = self._read + (4 << 20)
            self._report(self._read)
        return data


def _write_tar(
    spool: BinaryIO,
    context_dir: Path,
    dockerfile_path: Path,
    dockerfile_rel: str | None,
    matcher: IgnoreMatcher,
    progress: ProgressCallback | None,
) -> str:
    """Write the context into ``spool``; return the Dockerfile's name in the tar."""
    files = 0
    size = 0
    last_report = time.monotonic()
    always = {".dockerignore"}
    if dockerfile_rel is not None:
        always.add(dockerfile_rel)

    with tarfile.open(fileobj=spool, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") as tar:
        root = os.fspath(context_dir)
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
                    if matcher.may_reinclude_under(rel) or any(a.startswith(rel + "/") for a in always):
                        keep_dirs.append(name)
                    continue
                info = _tarinfo(tar, full, rel)
                if info is not None:
                    tar.addfile(info)
                keep_dirs.append(name)
            dirnames[:] = keep_dirs
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if rel not in always and matcher.excluded(rel):
                    continue
                try:
                    info = _tarinfo(tar, full, rel)
                except OSError:
                    continue  # vanished or unreadable; the engine would not see it either
                if info is None:
                    continue
                if info.isreg():
                    try:
                        handle = open(full, "rb")
                    except OSError as error:
                        # Like the Docker CLI: an unreadable file in the context is an error, not a gap.
                        raise ContextError(f"cannot read {rel} in the build context: {error.strerror or error}") from error
                    with handle:
                        if progress is not None and info.size > _BIG_FILE:
                            tar.addfile(info, _ReportingReader(handle, lambda n: progress(files, size + n)))
                        else:
                            tar.addfile(info, handle)
                    size += info.size
                else:
                    tar.addfile(info)
                files += 1
                if progress is not None and time.monotonic() - last_report >= _PROGRESS_EVERY:
                    last_report = time.monotonic()
                    progress(files, size)
        if dockerfile_rel is None:
            data = dockerfile_path.read_bytes()
            digest = hashlib.sha256(os.fsencode(os.path.abspath(dockerfile_path)) + data).hexdigest()[:12]
            dockerfile_rel = f".msb-tui-dockerfile-{digest}"
            info = tarfile.TarInfo(dockerfile_rel)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
            files += 1
            size += len(data)
    if progress is not None:
        progress(files, size)
    return dockerfile_rel

