"""The context report without an engine: which files the Dockerfile reads, what is sent, what
.dockerignore keeps out, candidates, rendering and JSON (the send itself: tests/integration)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.cache.context_render import report_lines
from msb_tui.cache.context_report import AS_IS, WITHOUT, scan_context
from msb_tui.cache.context_send import SendTiming
from msb_tui.cache.sources import WHOLE, clean_source, context_readers
from msb_tui.cache.steps import covers

from context_trees import write_tree


@pytest.mark.parametrize("source, path, expected", [
    ("go.mod", "go.mod", True),
    ("src", "src/a/b.go", True),
    ("src", "srcx/a.go", False),
    ("src/*.go", "src/a.go", True),
    ("src/*.go", "src/sub/a.go", False),
    ("*.json", "package.json", True),
    ("pkg/*", "pkg/x/deep.txt", True),  # a wildcard matching a folder reaches what is under it
    ("a?c", "abc", True),
    ("[ab].txt", "b.txt", True),
    (WHOLE, "anything/at/all", True),
])
def test_a_source_covers_itself_its_folder_and_wildcard_matches(source, path, expected):
    assert covers(source, path) is expected


@pytest.mark.parametrize("raw, cleaned", [(".", ""), ("./", ""), ("/", ""), ("./src/", "src"), ("/app/../go.mod", "go.mod")])
def test_sources_are_cleaned_relative_to_the_context_root(raw, cleaned):
    assert clean_source(raw) == cleaned


def test_context_readers_are_copy_add_and_bind_mounts_from_the_context():
    analysis = analyze(
        "FROM busybox AS build\n"
        "COPY --chown=1:1 go.mod go.sum ./\n"
        'COPY ["my file", "/dst/"]\n'
        "ADD https://example.com/x.tgz /x\n"
        "COPY <<EOF /inline\nhi\nEOF\n"
        "RUN --mount=type=bind,source=scripts,target=/s --mount=type=cache,target=/c true\n"
        "RUN --mount=type=bind,from=build,source=/x,target=/y true\n"
        "COPY --from=build /x /y\n"
        "ARG DIR=docs\n"
        "COPY ${DIR} /docs\n"
        "ONBUILD COPY onbuild.txt /\n"
    )
    readers = {reader.line: reader for reader in context_readers(analysis)}
    assert readers[2].sources == ("go.mod", "go.sum")
    assert readers[3].sources == ("my file",)
    assert readers[8].sources == ("scripts",)
    assert readers[12].sources == ("docs",)  # the ARG's value, as BuildKit expands it
    assert set(readers) == {2, 3, 8, 12}  # not the URL, the heredoc, the stage mount, --from, nor an
    # ONBUILD trigger no stage inherits


def test_an_unknown_variable_and_an_exclude():
    analysis = analyze("FROM busybox\nCOPY ${NOWHERE}x /a\nCOPY --exclude=*.md docs /d\n")
    readers = {reader.line: reader for reader in context_readers(analysis)}
    assert readers[2].sources == ("x",)  # an unset variable is empty, as in BuildKit
    assert readers[3].reaches("docs/a.txt") and readers[3].reaches("docs/a.md")  # --exclude: never a candidate


def test_a_bind_mount_without_source_reads_the_whole_context():
    analysis = analyze("FROM busybox\nRUN --mount=target=/src make\n")
    assert [reader.whole for reader in context_readers(analysis)] == [True]


NODE_DOCKERFILE = (
    "FROM busybox AS build\n"
    "WORKDIR /app\n"
    "COPY package.json package-lock.json ./\n"
    "RUN echo install\n"
    "COPY src/ ./src/\n"
    "FROM busybox\n"
    "COPY --from=build /app /app\n"
)


def _node_context(root: Path) -> Path:
    return write_tree(root, {
        "Dockerfile": NODE_DOCKERFILE,
        "package.json": "{}", "package-lock.json": "{}",
        "src/index.js": "x" * 100, "src/lib/a.js": "y" * 50,
        "node_modules/left-pad/index.js": "p" * 4000, "node_modules/left-pad/package.json": "{}",
        ".git/objects/ab/cdef": b"g" * 6000, ".git/HEAD": "ref: refs/heads/main\n",
        "docs/video.mp4": b"v" * 20000, "docs/notes.md": "n",
        "README.md": "r" * 10,
        "tools/py/__pycache__/m.pyc": "c" * 30,
    })


def test_candidates_name_vcs_dependencies_and_unreachable_files_with_their_sizes(tmp_path):
    report = scan_context(_node_context(tmp_path))
    found = {c.pattern: (c.kind, c.files, c.bytes) for c in report.candidates}
    assert found == {
        ".git": ("version control", 2, 6000 + 21),
        "node_modules": ("dependencies", 2, 4002),
        "docs": ("unreachable", 2, 20001),
        "README.md": ("unreachable", 1, 10),
        "**/__pycache__": ("build output", 1, 30),
        # tools/ holds only the __pycache__ candidate: nothing else to exclude there
    }
    assert [c.pattern for c in report.candidates][:3] == ["docs", ".git", "node_modules"]  # biggest first
    assert report.sent_files == 13
    assert report.candidate_bytes == sum(v[2] for v in found.values())
    assert report.ignore_lines.splitlines() == [c.pattern for c in report.candidates]


def test_a_copy_of_the_whole_context_leaves_only_the_named_folders(tmp_path):
    _node_context(tmp_path)
    (tmp_path / "Dockerfile").write_text("FROM busybox\nWORKDIR /app\nCOPY . .\n")
    report = scan_context(tmp_path)
    assert {c.pattern for c in report.candidates} == {".git", "node_modules", "**/__pycache__"}
    assert [r.line for r in report.whole_context_readers] == [3]


def test_a_folder_the_dockerfile_names_is_not_a_candidate(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM busybox\nCOPY dist/ /srv/\n", "dist/app.js": "a", "other.txt": "o"})
    report = scan_context(tmp_path)
    assert [c.pattern for c in report.candidates] == ["other.txt"]


def test_dockerignore_exclusions_are_counted_and_not_sent(tmp_path):
    _node_context(tmp_path)
    (tmp_path / ".dockerignore").write_text(".git\n*.md\n")
    report = scan_context(tmp_path)
    assert report.ignore_file == ".dockerignore"
    assert (report.ignored_files, report.ignored_bytes) == (3, 6000 + 21 + 10)
    assert ".git" not in {c.pattern for c in report.candidates}
    assert "docs/notes.md" not in {p for c in report.candidates for p in c.paths}


def test_biggest_files_and_folders(tmp_path):
    report = scan_context(_node_context(tmp_path))
    assert [f.path for f in report.biggest_files[:2]] == ["docs/video.mp4", ".git/objects/ab/cdef"]
    folders = [f.path for f in report.biggest_folders]
    assert folders[:3] == ["docs", ".git", "node_modules"]
    assert ".git/objects" not in folders  # nearly all of .git: adds nothing


def test_a_candidate_with_special_characters_is_escaped_for_dockerignore(tmp_path):
    from msb_tui.builds.context_files import IgnoreMatcher, parse_dockerignore

    write_tree(tmp_path, {"Dockerfile": "FROM busybox\nCOPY app /app\n", "app/x": "a", "notes [draft]*.txt": "n",
                     "#hash": "h", "!bang": "b"})
    report = scan_context(tmp_path)
    matcher = IgnoreMatcher(parse_dockerignore(report.ignore_lines))
    assert {p for c in report.candidates for p in c.paths} == {"notes [draft]*.txt", "#hash", "!bang"}
    for name in ("notes [draft]*.txt", "#hash", "!bang"):
        assert matcher.excluded(name)
    assert not matcher.excluded("notes d*.txt") and not matcher.excluded("app/x")


def _timing(total: float, size: int) -> SendTiming:
    return SendTiming(3, size, size // 2, total / 4, total / 4, total, total / 4, total / 4)


def test_text_and_json_carry_the_measured_figures(tmp_path):
    report = scan_context(_node_context(tmp_path))
    report.sends = {AS_IS: [_timing(2.0, 90_000), _timing(3.0, 90_000), _timing(2.5, 90_000)],
                    WITHOUT: [_timing(0.5, 10_000), _timing(0.4, 10_000), _timing(0.6, 10_000)]}
    report.rounds, report.engine = 3, "Docker 28.5.2 at unix:///x"
    text = "\n".join(report_lines(report))
    assert "time to send: 2.50s" in text
    assert "Measured without the candidates: 0.50s" in text
    assert "saved per build:" in text and "2.00s (80% of the send time)" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["send"]["as_is"]["median_seconds"] == 2.5
    assert data["send"]["seconds_saved"] == pytest.approx(2.0)
    assert data["candidates"][0]["pattern"] == "docs"


def test_untrusted_file_names_lose_their_control_characters(tmp_path):
    name = "evil\x1b]0;pwned\x07[bold]x[red]\x1b[2J.bin"
    write_tree(tmp_path, {"Dockerfile": "FROM busybox\nCOPY app /app\n", "app/x": "a"})
    (tmp_path / name).write_bytes(b"z" * 50)
    text = "\n".join(report_lines(scan_context(tmp_path)))
    assert "\x1b" not in text and "\x07" not in text
    assert "[bold]x[red]" in text  # shown as written, never read as markup (no markup involved)


def test_missing_dockerfile_is_a_context_error(tmp_path):
    from msb_tui.builds.context import ContextError

    with pytest.raises(ContextError):
        scan_context(tmp_path)


def test_the_command_without_engine_prints_sizes_and_candidates(tmp_path, capsys):
    from msb_tui.cli import main

    _node_context(tmp_path)
    assert main(["context", str(tmp_path), "--no-send", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["send"] is None and data["sent"]["files"] == 13
    assert main(["context", str(tmp_path / "nowhere"), "--no-send"]) == 2
    assert "build context not found" in capsys.readouterr().err
    os.chdir(tmp_path)
    assert main(["context", "--no-send", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert "... and 3 more" in out and "Add to .dockerignore:" in out


def test_build_args_decide_what_a_copy_source_names(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM busybox\nARG APP=web\nCOPY ${APP}/ /app/\n", "web/a": "w", "api/b": "b"})
    assert [c.pattern for c in scan_context(tmp_path).candidates] == ["api"]
    assert [c.pattern for c in scan_context(tmp_path, build_args={"APP": "api"}).candidates] == ["web"]
