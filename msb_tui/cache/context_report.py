"""What the build context costs: what is sent, what ``.dockerignore`` keeps out, and what it should.

The candidates to exclude are version-control folders, dependency folders, build outputs and tool
caches no instruction names, and files no ``COPY``/``ADD``/bind mount can reach (none when one
instruction reads the whole context, e.g. ``COPY . .``). What they cost is measured by sending the
context both ways, not estimated.
"""

from __future__ import annotations

import heapq
import os
import posixpath
import stat
import statistics
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import chain

from msb_tui.analysis import Analysis, analyze
from msb_tui.builds.context_files import ContextFiles
from msb_tui.cache.context_send import SendTiming, measure_sends, now, prune_sent_contexts
from msb_tui.cache.sources import ContextReader, context_readers

TOP = 10  # biggest files and folders listed


def _sibling(*names: str) -> Callable[[str], bool]:
    """A condition: one of ``names`` lies next to the folder (``target`` is Cargo's or Maven's output)."""
    return lambda folder: any(os.path.exists(os.path.join(os.path.dirname(folder), name)) for name in names)


def _inside(name: str) -> Callable[[str], bool]:
    return lambda folder: os.path.exists(os.path.join(folder, name))


# Folder name -> (kind, why, condition on its path on disk or None).
FOLDER_RULES: dict[str, tuple[str, str, Callable[[str], bool] | None]] = {
    ".git": ("version control", "the repository's history", None),
    ".hg": ("version control", "the repository's history", None),
    ".svn": ("version control", "version-control metadata", None),
    "node_modules": ("dependencies", "installed packages (the build installs its own)", None),
    "bower_components": ("dependencies", "installed packages (the build installs its own)", None),
    ".venv": ("dependencies", "a Python virtual environment of this machine", None),
    "venv": ("dependencies", "a Python virtual environment of this machine", _inside("pyvenv.cfg")),
    "target": ("build output", "Cargo/Maven build output", _sibling("Cargo.toml", "pom.xml", "build.sbt")),
    "dist": ("build output", "output of an earlier build", None),
    "__pycache__": ("build output", "Python bytecode caches", None),
    ".pytest_cache": ("cache", "a test runner's cache", None),
    ".mypy_cache": ("cache", "a type checker's cache", None),
    ".ruff_cache": ("cache", "a linter's cache", None),
    ".tox": ("cache", "tox environments", None),
    ".gradle": ("cache", "Gradle's cache", None),
    ".next": ("build output", "Next.js build output", None),
    ".terraform": ("cache", "Terraform providers", None),
}


@dataclass(frozen=True)
class PathSize:
    path: str
    bytes: int
    files: int = 1


@dataclass
class Candidate:
    """Something the context should not hold: the ``.dockerignore`` line that excludes it, and why."""

    pattern: str
    kind: str  # version control | dependencies | build output | cache | unreachable
    why: str
    files: int = 0
    bytes: int = 0
    paths: list[str] = field(default_factory=list)  # what the pattern covers (folders or files)


@dataclass
class ContextReport:
    context: str
    dockerfile: str
    ignore_file: str  # the ignore file in use ("" when none)
    sent_files: int
    sent_bytes: int
    biggest_files: list[PathSize]
    biggest_folders: list[PathSize]
    ignored_files: int
    ignored_bytes: int
    candidates: list[Candidate]
    readers: list[ContextReader]
    engine: str = ""
    rounds: int = 0
    sends: dict[str, list[SendTiming]] = field(default_factory=dict)  # "as is" / "without candidates"
    pruned: int = 0  # build-cache records of the sends removed afterwards
    dockerfile_arg: str | None = None  # the Dockerfile as given (-f), for the sends

    @property
    def candidate_bytes(self) -> int:
        return sum(candidate.bytes for candidate in self.candidates)

    @property
    def candidate_files(self) -> int:
        return sum(candidate.files for candidate in self.candidates)

    @property
    def ignore_lines(self) -> str:
        """The lines to add to the ignore file to exclude every candidate."""
        return "".join(f"{candidate.pattern}\n" for candidate in self.candidates)

    @property
    def whole_context_readers(self) -> list[ContextReader]:
        return [reader for reader in self.readers if reader.whole]

    def median(self, variant: str) -> SendTiming | None:
        """The send of ``variant`` with the median total time."""
        timings = sorted(self.sends.get(variant, ()), key=lambda timing: timing.total_seconds)
        return timings[(len(timings) - 1) // 2] if timings else None

    def send_seconds(self, variant: str) -> float | None:
        timings = self.sends.get(variant)
        return statistics.median(t.total_seconds for t in timings) if timings else None

    @property
    def seconds_saved(self) -> float | None:
        before, after = self.send_seconds(AS_IS), self.send_seconds(WITHOUT)
        return None if before is None or after is None else before - after

    def to_dict(self) -> dict:
        send = None
        if self.sends:
            send = {
                "engine": self.engine,
                "rounds": self.rounds,
                "measured": "first file read into the tar until BuildKit holds the context unpacked",
                **{key: {"median_seconds": self.send_seconds(variant),
                         "median": (asdict(self.median(variant)) if self.median(variant) else None),
                         "runs": [asdict(timing) for timing in self.sends[variant]]}
                   for key, variant in (("as_is", AS_IS), ("without_candidates", WITHOUT)) if variant in self.sends},
                "seconds_saved": self.seconds_saved,
            }
        return {
            "context": self.context,
            "dockerfile": self.dockerfile,
            "ignore_file": self.ignore_file,
            "sent": {"files": self.sent_files, "bytes": self.sent_bytes},
            "biggest_files": [asdict(item) for item in self.biggest_files],
            "biggest_folders": [asdict(item) for item in self.biggest_folders],
            "ignored": {"files": self.ignored_files, "bytes": self.ignored_bytes},
            "candidates": [asdict(candidate) for candidate in self.candidates],
            "candidates_total": {"files": self.candidate_files, "bytes": self.candidate_bytes},
            "whole_context_readers": [{"stage": r.stage, "line": r.line, "instruction": r.instruction}
                                      for r in self.whole_context_readers],
            "send": send,
        }


AS_IS, WITHOUT = "as is", "without candidates"


def scan_context(context_dir: str | os.PathLike[str], dockerfile: str | os.PathLike[str] | None = None,
                 analysis: Analysis | None = None, build_args: dict[str, str] | None = None) -> ContextReport:
    """Everything but the send times (no engine): what is sent (the same walk as the context tar),
    what the ignore file keeps out, the candidates. ``analysis``: of the Dockerfile (read from the
    context when not given); ``build_args`` expand the COPY sources that name them. ``ContextError``
    when the context or the Dockerfile cannot be used."""
    files = ContextFiles(context_dir, dockerfile)
    if analysis is None:
        with open(files.dockerfile_path, encoding="utf-8", errors="replace") as handle:
            analysis = analyze(handle.read())
    readers = context_readers(analysis, build_args)
    sent: dict[str, int] = {}
    folders: list[str] = []
    for entry in files.walk():
        mode = entry.stat.st_mode
        if stat.S_ISDIR(mode):
            folders.append(entry.rel)
        else:
            sent[entry.rel] = entry.stat.st_size if stat.S_ISREG(mode) else 0
    ignored_files = ignored_bytes = 0
    if files.ignore_text.strip():
        for entry in ContextFiles(context_dir, dockerfile, dockerignore=False).walk():
            mode = entry.stat.st_mode
            if not stat.S_ISDIR(mode) and entry.rel not in sent:
                ignored_files += 1
                ignored_bytes += entry.stat.st_size if stat.S_ISREG(mode) else 0
    folder_sizes = _folder_sizes(sent)
    always = files.always
    candidates = _named_candidates(files.context_dir, folders, sent, readers)
    covered = {path for candidate in candidates for path in candidate.paths}
    if not any(reader.whole for reader in readers):
        candidates += _unreachable(sent, readers, always, covered)
    candidates.sort(key=lambda candidate: (-candidate.bytes, candidate.pattern))
    return ContextReport(
        context=os.fspath(context_dir),
        dockerfile=files.dockerfile_rel or files.dockerfile_path,
        ignore_file=os.path.relpath(files.ignore_path, files.context_dir) if files.ignore_path else "",
        sent_files=len(sent),
        sent_bytes=sum(sent.values()),
        biggest_files=[PathSize(path, size) for path, size in heapq.nlargest(TOP, sent.items(), key=lambda i: i[1])],
        biggest_folders=_biggest_folders(folder_sizes),
        ignored_files=ignored_files,
        ignored_bytes=ignored_bytes,
        candidates=candidates,
        readers=readers,
        dockerfile_arg=None if dockerfile is None else os.fspath(dockerfile),
    )


def measure_send(report: ContextReport, client, *, rounds: int = 3, engine: str = "",
                 progress: Callable[[str, int, str, int, int], None] | None = None,
                 cancel: threading.Event | None = None) -> ContextReport:
    """Send the context as it is and (when there are candidates) without them, ``rounds`` times
    each, interleaved; the timings go into ``report`` (also returned). Then the build-cache records
    the sends left are pruned."""
    variants = {AS_IS: ""}
    if report.candidates:
        variants[WITHOUT] = report.ignore_lines
    started = now()
    report.sends = measure_sends(client, report.context, report.dockerfile_arg, variants, rounds,
                                 progress=progress, cancel=cancel)
    report.rounds, report.engine = rounds, engine
    timings = [*chain.from_iterable(report.sends.values())]
    report.pruned = prune_sent_contexts(client, started, timings)
    return report


def _parents(path: str) -> Iterator[str]:
    """The folders above ``path``, innermost first (``a/b/c`` -> ``a/b``, ``a``)."""
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def _folder_sizes(sent: dict[str, int]) -> dict[str, PathSize]:
    totals: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for path, size in sent.items():
        for folder in _parents(path):
            totals[folder] += size
            counts[folder] += 1
    return {folder: PathSize(folder, totals[folder], counts[folder]) for folder in totals}


def _biggest_folders(sizes: dict[str, PathSize]) -> list[PathSize]:
    """The biggest folders two levels deep at most; a folder holding nearly all of a listed parent
    adds nothing and is skipped."""
    listed: dict[str, PathSize] = {}
    for item in sorted(sizes.values(), key=lambda item: (-item.bytes, item.path)):
        if item.path.count("/") > 1:
            continue
        parent = listed.get(posixpath.dirname(item.path))
        if parent is not None and item.bytes >= 0.9 * parent.bytes:
            continue
        listed[item.path] = item
        if len(listed) == TOP:
            break
    return list(listed.values())


def _named_candidates(root: str, folders: list[str], sent: dict[str, int],
                      readers: list[ContextReader]) -> list[Candidate]:
    """Known folders (``FOLDER_RULES``) that no instruction names explicitly, one candidate per name."""
    found: dict[str, list[str]] = {}
    owner: dict[str, str] = {}  # candidate folder -> its name
    for folder in folders:  # parents come before children: the outermost match wins
        name = posixpath.basename(folder)
        rule = FOLDER_RULES.get(name)
        if rule is None or _ancestor_in(folder, owner):
            continue
        if rule[2] is not None and not rule[2](os.path.join(root, folder)):
            continue
        found.setdefault(name, []).append(folder)
        owner[folder] = name
    inside_by_name: dict[str, list[str]] = {name: [] for name in found}
    for path in sent:
        folder = _ancestor_in(path, owner)
        if folder is not None:
            inside_by_name[owner[folder]].append(path)
    explicit = [reader for reader in readers if not reader.whole]
    candidates = []
    for name, paths in found.items():
        inside = inside_by_name[name]
        if any(reader.reaches(path) for reader in explicit for path in inside):
            continue  # the build names it (COPY dist/ ...): not ours to drop
        kind, why, _ = FOLDER_RULES[name]
        pattern = _escape(paths[0]) if paths == [name] else f"**/{_escape(name)}"
        candidates.append(Candidate(pattern, kind, why, len(inside), sum(sent[p] for p in inside), paths))
    return candidates


def _unreachable(sent: dict[str, int], readers: list[ContextReader], always: set[str],
                 covered: set[str]) -> list[Candidate]:
    """Files no reader reaches, grouped into the outermost folders that hold only such files."""
    reachable: set[str] = set()
    unreachable: dict[str, int] = {}
    for path, size in sent.items():
        if path in always or _ancestor_in(path, covered) is not None:
            continue
        if any(reader.reaches(path) for reader in readers):
            reachable.add(path)
        else:
            unreachable[path] = size
    # A folder is a candidate when nothing under it is reachable (or always sent).
    blocked = {folder for path in reachable | (always & sent.keys()) for folder in _parents(path)}
    groups: dict[str, list[str]] = {}
    for path in sorted(unreachable):
        outermost_first = reversed([*_parents(path)])
        top = next((folder for folder in outermost_first if folder not in blocked), path)
        groups.setdefault(top, []).append(path)
    why = "no COPY, ADD or RUN --mount reads it"
    return [Candidate(_escape(top), "unreachable", why, len(paths), sum(unreachable[p] for p in paths), [top])
            for top, paths in groups.items()]


def _ancestor_in(path: str, folders) -> str | None:
    """The folder above ``path`` that is in ``folders`` (a set or dict), or None."""
    return next((folder for folder in _parents(path) if folder in folders), None)


def _escape(path: str) -> str:
    """A path as a ``.dockerignore`` pattern matching only itself."""
    escaped = "".join("\\" + char if char in "*?[\\" else char for char in path)
    return "/" + escaped if escaped[:1] in ("!", "#") or escaped != escaped.strip() else escaped
