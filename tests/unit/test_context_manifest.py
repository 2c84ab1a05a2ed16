"""The context manifest: the files the context tar holds, their checksums, reuse, JSON, diff."""

from __future__ import annotations

import hashlib
import os
import tarfile
import time
from pathlib import Path

import pytest

from msb_tui.builds.context import ContextError, make_context_tar
from msb_tui.cache import manifest as manifest_module
from msb_tui.cache.manifest import (
    ChangeKind,
    ContextManifest,
    FileChange,
    FileEntry,
    ManifestError,
    diff,
    make_manifest,
)

from context_trees import write_tree


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _age(root: Path, seconds: float = 60) -> None:
    """Set every file's mtime into the past (ctime cannot be: tests of reuse patch the racy window)."""
    past = time.time() - seconds
    for path in root.rglob("*"):
        if not path.is_symlink():
            os.utime(path, (past, past))


def test_the_manifest_lists_exactly_the_files_the_context_tar_holds(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM scratch\nCOPY . /\n",
        ".dockerignore": "*.log\n!keep.log\nbuild/\n!build/keep.txt\nnode_modules\nDockerfile\n",
        "a.log": "x", "keep.log": "kept", "app.py": "print(1)\n",
        "build/out.bin": "o", "build/keep.txt": "k",
        "node_modules/x/index.js": "js",
        "src/sub/b.log": "deep",
    })
    os.symlink("app.py", tmp_path / "link.py")
    manifest = make_manifest(tmp_path)
    tar, _ = make_context_tar(tmp_path)
    with tarfile.open(fileobj=tar) as archive:
        sent = {m.name for m in archive.getmembers() if m.isfile() or m.issym()}
    assert set(manifest.files) == sent
    assert set(manifest.files) == {"Dockerfile", ".dockerignore", "keep.log", "app.py", "build/keep.txt",
                                   "src/sub/b.log", "link.py"}
    assert manifest.files["app.py"] == FileEntry(9, manifest.files["app.py"].mode, _sha(b"print(1)\n"))
    assert manifest.dockerfile == "Dockerfile"


def test_a_symlink_is_checksummed_by_its_target_never_followed(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n"})
    os.symlink("/etc/passwd", tmp_path / "outside")
    entry = make_manifest(tmp_path).files["outside"]
    assert entry.is_link
    assert entry.sha256 == _sha(b"/etc/passwd") and entry.size == len("/etc/passwd")


def test_hard_links_get_the_same_checksum(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a": "same"})
    os.link(tmp_path / "a", tmp_path / "b")
    files = make_manifest(tmp_path).files
    assert files["a"].sha256 == files["b"].sha256 == _sha(b"same")


@pytest.mark.parametrize("workers", [1, 3])
def test_checksums_are_right_serial_and_threaded_big_and_small(tmp_path, workers, monkeypatch):
    monkeypatch.setattr(manifest_module, "_SMALL", 1000)  # the streaming path too
    monkeypatch.setattr(manifest_module, "_BATCH_FILES", 4)
    data = {f"d/f{i}": os.urandom(i * 97) for i in range(40)}
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", **data})
    files = make_manifest(tmp_path, workers=workers).files
    assert {rel: files[rel].sha256 for rel in data} == {rel: _sha(blob) for rel, blob in data.items()}


def test_an_unreadable_file_is_a_context_error_like_the_tar(tmp_path, monkeypatch):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "secret": "x"})
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    with pytest.raises(ContextError, match="cannot read secret"):
        make_manifest(tmp_path, workers=1)


def test_a_dockerfile_from_outside_is_not_part_of_the_context(tmp_path):
    context = write_tree(tmp_path / "ctx", {"app.py": "x"})
    dockerfile = write_tree(tmp_path, {"other.Dockerfile": "FROM scratch\n"}) / "other.Dockerfile"
    manifest = make_manifest(context, dockerfile)
    assert set(manifest.files) == {"app.py"} and manifest.dockerfile == ""


def test_unchanged_files_keep_their_checksum_without_being_read(tmp_path, monkeypatch):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a": "one", "b": "two"})
    monkeypatch.setattr(manifest_module, "_RACY_NS", -10**12)  # trust stats however recent (ctime is now)
    first = make_manifest(tmp_path)
    (tmp_path / "b").write_text("TWO")
    read: list[str] = []
    real = manifest_module._digest
    monkeypatch.setattr(manifest_module, "_digest", lambda item: read.append(item[0]) or real(item))
    second = make_manifest(tmp_path, previous=first, workers=1)
    assert read == ["b"]
    assert second.files["a"].sha256 == first.files["a"].sha256
    assert second.files["b"].sha256 == _sha(b"TWO")


def test_recent_changes_are_read_again_even_with_the_same_stat(tmp_path, monkeypatch):
    """A write in the same timestamp tick as the previous manifest leaves the stat as it was: the
    file is not trusted when it changed within the racy window before that manifest."""
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a": "one"})
    first = make_manifest(tmp_path)
    read: list[str] = []
    real = manifest_module._digest
    monkeypatch.setattr(manifest_module, "_digest", lambda item: read.append(item[0]) or real(item))
    make_manifest(tmp_path, previous=first, workers=1)
    assert sorted(read) == ["Dockerfile", "a"]


def test_a_file_replaced_with_the_same_size_and_mtime_is_read_again(tmp_path, monkeypatch):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a": "one"})
    _age(tmp_path)
    monkeypatch.setattr(manifest_module, "_RACY_NS", -10**12)
    first = make_manifest(tmp_path)
    stamp = (tmp_path / "a").stat()
    (tmp_path / "a").unlink()
    (tmp_path / "a").write_text("ONE")  # new inode, same size
    os.utime(tmp_path / "a", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert make_manifest(tmp_path, previous=first).files["a"].sha256 == _sha(b"ONE")


def test_json_round_trip(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "dir/é [x].txt": "data"})
    os.symlink("dir", tmp_path / "ln")
    manifest = make_manifest(tmp_path)
    again = ContextManifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.files["ln"].ino == manifest.files["ln"].ino  # the stat survives for the next reuse
    assert again.total_bytes == manifest.total_bytes == len("FROM scratch\n") + 4 + 3


@pytest.mark.parametrize("text", ["", "[]", '{"format": "other"}',
                                  '{"format": "msb-tui-context-manifest", "version": 99}',
                                  '{"format": "msb-tui-context-manifest", "version": 1, "fields": ["size"], "files": {}}',
                                  '{"format": "msb-tui-context-manifest", "version": 1, '
                                  '"fields": ["size", "mode", "sha256"], "files": {"a": [1, 2]}}'])
def test_damaged_json_is_a_manifest_error(text):
    with pytest.raises(ManifestError):
        ContextManifest.from_json(text)


def test_diff_names_added_removed_modified_and_mode_changes(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "same": "s", "gone": "gg", "edit": "e", "chmod": "c",
                     "becomes-link": "x"})
    old = make_manifest(tmp_path)
    (tmp_path / "gone").unlink()
    (tmp_path / "edit").write_text("edited")
    (tmp_path / "chmod").chmod(0o755)
    (tmp_path / "new").write_text("nnn")
    (tmp_path / "becomes-link").unlink()
    os.symlink("x", tmp_path / "becomes-link")
    new = make_manifest(tmp_path)
    assert diff(old, new) == [
        FileChange("becomes-link", ChangeKind.MODIFIED, 1, 1),
        FileChange("chmod", ChangeKind.MODE, 1, 1),
        FileChange("edit", ChangeKind.MODIFIED, 1, 6),
        FileChange("gone", ChangeKind.REMOVED, 2, None),
        FileChange("new", ChangeKind.ADDED, None, 3),
    ]
    assert diff(new, new) == []


def test_dockerignore_changes_show_as_added_and_removed_files(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a.log": "l", "b.txt": "t"})
    old = make_manifest(tmp_path)
    (tmp_path / ".dockerignore").write_text("*.log\n")
    kinds = {change.path: change.kind for change in diff(old, make_manifest(tmp_path))}
    assert kinds == {".dockerignore": ChangeKind.ADDED, "a.log": ChangeKind.REMOVED}
