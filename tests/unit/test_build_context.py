"""The build-context tar: .dockerignore semantics, symlinks, -f outside the context, header format."""

from __future__ import annotations

import os
import tarfile

import pytest

from msb_tui.builds.context import ContextError, make_context_tar
from msb_tui.builds.context_files import IgnoreMatcher, parse_dockerignore

from context_trees import write_tree


def _names(fileobj) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=fileobj, mode="r") as tar:
        return {member.name: member for member in tar.getmembers()}


def _excluded(patterns: str, path: str) -> bool:
    return IgnoreMatcher(parse_dockerignore(patterns)).excluded(path)


@pytest.mark.parametrize(
    "patterns, path, excluded",
    [
        ("*.log", "a.log", True),
        ("*.log", "sub/a.log", False),  # * does not cross folders
        ("**/*.log", "sub/deep/a.log", True),
        ("**/*.log", "a.log", True),  # ** matches zero folders
        ("sub/**", "sub/x/y", True),
        ("/root.txt", "root.txt", True),  # leading / is the context root
        ("./root.txt", "root.txt", True),
        ("build", "build/out/bin", True),  # a pattern matching a parent folder excludes its content
        ("*.log\n!keep.log", "keep.log", False),
        ("!keep.log\n*.log", "keep.log", True),  # last match wins
        ("# comment\n\n  *.tmp  ", "x.tmp", True),
        ("# *.tmp", "x.tmp", False),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c].txt", "b.txt", True),
        ("[!a-c].txt", "d.txt", True),
        ("dir/../x", "x", True),  # cleaned like Go's filepath.Clean
        ("src/**/test", "src/test", True),
        ("src/**/test", "src/a/b/test", True),
    ],
)
def test_dockerignore_patterns(patterns, path, excluded):
    assert _excluded(patterns, path) is excluded


def test_tar_honours_dockerignore_with_exceptions(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM scratch\n",
        ".dockerignore": "*.log\n!keep.log\nbuild/\n!build/keep.txt\nnode_modules\nDockerfile\n.dockerignore\n",
        "a.log": "", "keep.log": "", "app.py": "",
        "build/out.bin": "", "build/keep.txt": "",
        "node_modules/x/index.js": "",
        "src/sub/b.log": "",
    })
    tar, name = make_context_tar(tmp_path)
    names = _names(tar)
    assert name == "Dockerfile"
    assert {"Dockerfile", ".dockerignore", "keep.log", "app.py", "build/keep.txt", "src/sub/b.log"} <= set(names)
    assert not {"a.log", "build/out.bin", "node_modules", "node_modules/x/index.js"} & set(names)


def test_dockerfile_specific_ignore_file_wins(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "Dockerfile.dockerignore": "secret\n",
                     ".dockerignore": "", "secret": "x"})
    tar, _ = make_context_tar(tmp_path)
    assert "secret" not in _names(tar)


def test_symlinks_are_kept_as_links_and_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write_tree(outside, {"secret.txt": "top secret", "dir/inner.txt": "also secret"})
    context = write_tree(tmp_path / "ctx", {"Dockerfile": "FROM scratch\n"})
    os.symlink(outside / "secret.txt", context / "link.txt")
    os.symlink(outside / "dir", context / "linkdir")
    os.symlink("../outside/secret.txt", context / "relative.txt")
    tar, _ = make_context_tar(context)
    with tarfile.open(fileobj=tar) as archive:
        members = {m.name: m for m in archive.getmembers()}
        for name in ("link.txt", "linkdir", "relative.txt"):
            assert members[name].issym()
        assert members["relative.txt"].linkname == "../outside/secret.txt"
        assert not any(n.startswith("linkdir/") for n in members)
        for member in archive.getmembers():
            if member.isfile():
                assert b"secret" not in archive.extractfile(member).read()


def test_dockerfile_outside_the_context_gets_a_unique_name(tmp_path):
    context = write_tree(tmp_path / "ctx", {"app.txt": "hi", ".msb-tui-dockerfile-000000000000": "decoy"})
    dockerfile = tmp_path / "elsewhere" / "Build.dockerfile"
    write_tree(tmp_path / "elsewhere", {"Build.dockerfile": "FROM scratch\nCOPY app.txt /\n"})
    tar, name = make_context_tar(context, dockerfile)
    assert name.startswith(".msb-tui-dockerfile-") and "/" not in name
    with tarfile.open(fileobj=tar) as archive:
        assert archive.extractfile(name).read() == b"FROM scratch\nCOPY app.txt /\n"
        assert set(archive.getnames()) == {"app.txt", ".msb-tui-dockerfile-000000000000", name, ".dockerignore"}
        # As the docker CLI does: the uploaded .dockerignore hides the added Dockerfile from COPY.
        assert archive.extractfile(".dockerignore").read().decode().split() == [".dockerignore", name]


def test_dockerfile_outside_the_context_extends_its_dockerignore(tmp_path):
    context = write_tree(tmp_path / "ctx", {"app.txt": "hi", "junk.log": "x", ".dockerignore": "*.log\n"})
    write_tree(tmp_path / "elsewhere", {"Dockerfile": "FROM scratch\n"})
    tar, name = make_context_tar(context, tmp_path / "elsewhere" / "Dockerfile")
    with tarfile.open(fileobj=tar) as archive:
        assert archive.getnames().count(".dockerignore") == 1
        assert archive.extractfile(".dockerignore").read().decode().split() == ["*.log", ".dockerignore", name]
        assert "junk.log" not in archive.getnames()


@pytest.mark.parametrize("given", [None, "Dockerfile"])
def test_a_dockerfile_linking_out_of_the_context_is_refused_and_never_read(tmp_path, given, monkeypatch):
    secret = write_tree(tmp_path / "outside", {"shadow": "root:$6$secret-hash:19000::::::\n"}) / "shadow"
    context = write_tree(tmp_path / "ctx", {"app.txt": "hi"})
    os.symlink(secret, context / "Dockerfile")
    monkeypatch.chdir(context)
    opened = []
    real_open = open

    def spy(path, *args, **kwargs):
        opened.append(os.path.realpath(path) if isinstance(path, (str, os.PathLike)) else path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    with pytest.raises(ContextError, match="symlink to a file outside the build context"):
        make_context_tar(context, given)
    assert str(secret) not in opened


def test_a_bare_exclamation_mark_is_an_illegal_pattern_like_docker():
    with pytest.raises(ContextError, match='illegal exclusion pattern: "!"'):
        parse_dockerignore("*.log\n!\n")


def test_brackets_in_a_class_are_literal_without_a_future_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [pattern] = parse_dockerignore("br[[]x]\n")
    matcher = IgnoreMatcher([pattern])
    assert matcher.excluded("br[x]") and not matcher.excluded("brx]")


def test_dockerfile_in_a_subfolder_keeps_its_relative_name(tmp_path):
    context = write_tree(tmp_path, {"docker/prod.Dockerfile": "FROM scratch\n", ".dockerignore": "docker\n"})
    tar, name = make_context_tar(context, context / "docker" / "prod.Dockerfile")
    assert name == "docker/prod.Dockerfile"
    assert "docker/prod.Dockerfile" in _names(tar)  # kept although .dockerignore excludes its folder


def test_tar_headers_are_gnu_with_integer_mtimes_and_root_owner(tmp_path):
    long_name = "d" * 60 + "/" + "f" * 80 + ".txt"
    context = write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", long_name: "x"})
    os.utime(context / "Dockerfile", (1_700_000_000.75, 1_700_000_000.75))
    tar, _ = make_context_tar(context)
    raw = tar.read()
    # Every header block: no PAX ('x'/'g') entries, GNU magic; the first block is a real member.
    assert raw[257:265] == b"ustar  \x00"
    assert raw[156:157] != b"x"
    assert b"PaxHeader" not in raw
    tar.seek(0)
    with tarfile.open(fileobj=tar) as archive:
        members = archive.getmembers()
        assert long_name in [m.name for m in members]
        for member in members:
            assert isinstance(member.mtime, int)
            assert member.uid == 0 and member.gid == 0
            assert member.pax_headers == {}
        assert archive.getmember("Dockerfile").mtime == 1_700_000_000


def test_nothing_outside_the_context(tmp_path):
    context = write_tree(tmp_path / "ctx", {"Dockerfile": "FROM scratch\n", "a/b.txt": ""})
    (tmp_path / "sibling.txt").write_text("no")
    tar, _ = make_context_tar(context)
    for name in _names(tar):
        assert not name.startswith(("/", "..")) and "/../" not in name


def test_progress_is_reported(tmp_path):
    context = write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", **{f"f{i}.txt": "x" * 100 for i in range(20)}})
    calls = []
    make_context_tar(context, progress=lambda files, size: calls.append((files, size)))
    assert calls[-1] == (21, 20 * 100 + len("FROM scratch\n"))


def test_context_must_be_a_folder(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ContextError, match="not a folder"):
        make_context_tar(file)
    with pytest.raises(ContextError, match="not found"):
        make_context_tar(tmp_path / "missing")


def test_missing_dockerfile_is_a_clear_error(tmp_path):
    with pytest.raises(ContextError, match="Dockerfile not found"):
        make_context_tar(tmp_path)
    with pytest.raises(ContextError, match="Dockerfile not found"):
        make_context_tar(tmp_path, tmp_path / "nope.Dockerfile")


def test_excluded_folder_is_entered_only_for_exceptions_under_it(tmp_path):
    """Docker's walk: an excluded folder is skipped unless an exception pattern starts with it."""
    write_tree(tmp_path, {
        "Dockerfile": "FROM scratch\n",
        ".dockerignore": "build\nvendor\n!**/keep.txt\n!vendor/lib/*.go\n",
        "build/keep.txt": "", "vendor/lib/a.go": "", "vendor/lib/a.c": "", "keep.txt": "",
    })
    names = set(_names(make_context_tar(tmp_path)[0]))
    assert {"keep.txt", "vendor/lib/a.go"} <= names
    assert not {"build/keep.txt", "vendor/lib/a.c", "build"} & names


def test_unreadable_file_is_a_clear_error(tmp_path, monkeypatch):
    import builtins

    import msb_tui.builds.context as context_module

    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "secret.key": "x"})

    def guarded_open(path, *args, **kwargs):
        if str(path).endswith("secret.key"):
            raise PermissionError(13, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(context_module, "open", guarded_open, raising=False)
    with pytest.raises(ContextError, match="cannot read secret.key in the build context: Permission denied"):
        make_context_tar(tmp_path)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from msb_tui.builds.context import gnu_header  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(min_size=1, max_size=60).filter(lambda n: "\0" not in n),
    kind=st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
                          tarfile.CHRTYPE, tarfile.BLKTYPE]),
    size=st.integers(0, 8**11 - 1),
    mode=st.integers(0, 0o7777),
    mtime=st.integers(0, 8**11 - 1),
    link=st.text(max_size=30).filter(lambda n: "\0" not in n),
    dev=st.tuples(st.integers(0, 4095), st.integers(0, 4095)),
)
def test_gnu_header_is_what_tarfile_writes(name, kind, size, mode, mtime, link, dev):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.linkname = kind, mode, mtime, link
    info.size = size if kind == tarfile.REGTYPE else 0
    info.devmajor, info.devminor = dev
    info.uname = info.gname = ""
    ours = gnu_header(info)
    if ours is None:  # long UTF-8 names go through tarfile
        assert len(name.encode("utf-8", "surrogateescape")) > 99 or len(link.encode("utf-8", "surrogateescape")) > 100
        return
    assert ours == info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")


def test_hard_links_inside_the_context_stay_links(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", "a.bin": "payload"})
    os.link(tmp_path / "a.bin", tmp_path / "b.bin")
    with tarfile.open(fileobj=make_context_tar(tmp_path)[0]) as archive:
        first, second = archive.getmember("a.bin"), archive.getmember("b.bin")
        assert first.isreg() and first.size == 7
        assert second.islnk() and second.linkname == "a.bin"


def test_long_names_go_through_tarfiles_own_headers(tmp_path):
    """Names over 100 bytes need GNU long-name members: gnu_header leaves them to tarfile."""
    long_dir = "d" * 80
    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", f"{long_dir}/{'f' * 90}.txt": "deep"})
    with tarfile.open(fileobj=make_context_tar(tmp_path)[0]) as archive:
        member = archive.getmember(f"{long_dir}/{'f' * 90}.txt")
        assert member.isreg() and archive.extractfile(member).read() == b"deep"


def test_a_large_context_moves_from_memory_to_a_temp_file_unchanged(tmp_path, monkeypatch):
    import msb_tui.builds.context as context_module

    write_tree(tmp_path, {"Dockerfile": "FROM scratch\n", **{f"f{i}.bin": "x" * 5000 for i in range(20)}})
    in_memory = make_context_tar(tmp_path)[0].read()
    monkeypatch.setattr(context_module, "_IN_MEMORY", 30_000)
    spool, _ = make_context_tar(tmp_path)
    assert spool._rolled
    assert spool.read() == in_memory
    spool.close()
    assert spool.closed
