"""Reading image exports as a stream, in both layouts, and stacking their layers."""

from __future__ import annotations

import io

import pytest
from test_image_archives import layer_tar, legacy_archive, oci_archive

from msb_tui.image.export import ChunkReader, ExportError, read_image_archive
from msb_tui.image.filetree import ADDED, DIR, FILE, MODIFIED, SYMLINK, UNCHANGED, FileTree, stack_layers, tree_at, layer_tree
from msb_tui.image.waste import compute_waste

BASE = layer_tar(
    [
        ("bin", None),
        ("bin/sh", b"S" * 1000),
        ("etc", None),
        ("etc/passwd", b"root\n"),
        ("cache", None),
        ("cache/a", b"A" * 300),
        ("cache/b", b"B" * 200),
        ("bin/ash", "->", "sh"),
    ]
)
MIDDLE = layer_tar(
    [
        ("app", None),
        ("app/big.bin", b"X" * 5000),
        ("etc", None),
        ("etc/passwd", b"root\napp\n"),  # overwrites 5 bytes
    ]
)
TOP = layer_tar(
    [
        ("app", None),
        ("app/.wh.big.bin", b""),  # deletes 5000 bytes
        ("cache", None),
        ("cache/.wh..wh..opq", b""),  # hides cache/a and cache/b (500 bytes)
        ("cache/c", b"C" * 7),
    ],
    compress=True,
)


def _read(data: bytes, chunk: int = 333):
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return read_image_archive(io.BufferedReader(ChunkReader(chunks)))


@pytest.mark.parametrize(
    "build",
    [
        lambda layers: legacy_archive(layers),
        lambda layers: legacy_archive(layers, manifest_first=True),
        lambda layers: oci_archive(layers),
        lambda layers: oci_archive(layers, with_manifest_json=True),
    ],
    ids=["legacy", "legacy-manifest-first", "oci-index", "oci-with-manifest-json"],
)
def test_both_layouts_give_the_same_layers_in_stack_order(build):
    archive = _read(build([BASE, MIDDLE, TOP]))
    assert [sorted(layer.entries) for layer in archive.layers] == [
        ["bin", "bin/ash", "bin/sh", "cache", "cache/a", "cache/b", "etc", "etc/passwd"],
        ["app", "app/big.bin", "etc", "etc/passwd"],
        ["app", "cache", "cache/c"],
    ]
    assert archive.layers[2].whiteouts == ["app/big.bin"]
    assert archive.layers[2].opaque_dirs == ["cache"]
    assert len(archive.diff_ids) == 3
    assert archive.layers[0].entries["bin/ash"][0] == SYMLINK
    assert all(layer.error is None for layer in archive.layers)


def test_layout_is_reported():
    assert _read(legacy_archive([BASE])).layout == "docker"
    assert _read(oci_archive([BASE])).layout == "oci"


def test_stacking_statuses_removals_and_exact_waste():
    archive = _read(legacy_archive([BASE, MIDDLE, TOP]))
    stacked = stack_layers(archive.layers)
    base, middle, top = archive.layers
    assert base.entries["bin/sh"] == (FILE, 1000, ADDED)
    assert middle.entries["etc/passwd"] == (FILE, 9, MODIFIED)
    assert middle.entries["etc"] == (DIR, 0, UNCHANGED)
    assert middle.entries["app/big.bin"] == (FILE, 5000, ADDED)
    assert top.removed == {"cache/": 500, "app/big.bin": 5000}
    assert top.entries["cache/c"] == (FILE, 7, ADDED)

    waste = compute_waste(archive.layers, stacked)
    assert waste.total_bytes == 1000 + 5 + 300 + 200 + 5000 + 9 + 7
    assert waste.wasted_bytes == 5 + 500 + 5000  # the surviving copies are not waste
    assert waste.final_bytes == 1000 + 9 + 7
    assert waste.efficiency == pytest.approx(1 - 5505 / 6521)
    assert waste.by_layer() == {0: 505, 1: 5000}
    assert waste.by_culprit() == {1: 5, 2: 5500}
    top_path = waste.paths()[0]
    assert (top_path.path, top_path.wasted, top_path.copies[0].how) == ("app/big.bin", 5000, "deleted")
    passwd = [p for p in waste.paths() if p.path == "etc/passwd"][0]
    assert (passwd.wasted, passwd.copies[0].layer, passwd.copies[0].by_layer, passwd.copies[0].how) == (5, 0, 1, "overwritten")

    final = FileTree(stacked.root)
    assert sorted(final.files()) == [
        ("bin/ash", 0, "symlink"),
        ("bin/sh", 1000, "file"),
        ("cache/c", 7, "file"),
        ("etc/passwd", 9, "file"),
    ]
    assert final.root.size == 1016


def test_repeated_overwrites_count_every_lost_copy():
    layers = [layer_tar([("f", b"1" * 10)]), layer_tar([("f", b"2" * 20)]), layer_tar([("f", b"3" * 30)])]
    archive = _read(oci_archive(layers))
    waste = compute_waste(archive.layers, stack_layers(archive.layers))
    assert (waste.total_bytes, waste.wasted_bytes) == (60, 30)
    assert sorted((c.layer, c.by_layer, c.size) for c in waste.lost) == [(0, 1, 10), (1, 2, 20)]


def test_file_replaced_by_directory_and_directory_by_file():
    layers = [
        layer_tar([("x", b"x" * 4), ("d", None), ("d/inner", b"i" * 6)]),
        layer_tar([("x", None), ("x/y", b"y"), ("d", b"d" * 2)]),
    ]
    archive = _read(legacy_archive(layers))
    stacked = stack_layers(archive.layers)
    waste = compute_waste(archive.layers, stacked)
    assert waste.wasted_bytes == 4 + 6
    assert sorted(FileTree(stacked.root).files()) == [("d", 2, "file"), ("x/y", 1, "file")]


def test_whiteout_of_a_directory_removes_its_subtree():
    layers = [
        layer_tar([("usr", None), ("usr/lib", None), ("usr/lib/go", None), ("usr/lib/go/a", b"a" * 100), ("usr/lib/go/b", b"b" * 50)]),
        layer_tar([("usr", None), ("usr/lib", None), ("usr/lib/.wh.go", b"")]),
    ]
    archive = _read(legacy_archive(layers))
    stacked = stack_layers(archive.layers)
    assert archive.layers[1].removed == {"usr/lib/go": 150}
    assert compute_waste(archive.layers, stacked).wasted_bytes == 150
    assert list(FileTree(stacked.root).files()) == []


def test_lazy_tree_sorting_filtering_and_layer_views():
    archive = _read(legacy_archive([BASE, MIDDLE, TOP]))
    stacked = stack_layers(archive.layers)
    tree = FileTree(stacked.root)
    assert [n.name for n in tree.root.children()] == ["app", "bin", "cache", "etc"]
    assert [(n.name, n.size) for n in tree.root.children(sort="size")] == [("bin", 1000), ("etc", 9), ("cache", 7), ("app", 0)]
    assert [n.path for n in tree.root.children(filter="passwd")] == ["etc"]
    assert [n.path for n in tree.node("etc").children(filter="passwd")] == ["etc/passwd"]
    assert tree.node("etc/passwd").layer == 1 and tree.node("etc/passwd").status == "modified"
    assert tree.node("nope") is None

    # what layer 1 saw: big.bin still there
    after_middle = FileTree(tree_at(archive.layers, 1))
    assert after_middle.node("app/big.bin").size == 5000
    assert after_middle.root.size == 1000 + 300 + 200 + 5000 + 9

    own = FileTree(layer_tree(archive.layers[2], 2))
    assert [(n.path, n.kind, n.status, n.size) for n in own.node("app").children()] == [("app/big.bin", "removed", "removed", 5000)]
    assert {n.path: n.status for n in own.node("cache").children()} == {"cache/c": "added"}


def test_not_an_image_archive():
    data = layer_tar([("hello", b"hi")])
    with pytest.raises(ExportError):
        _read(data)


def test_missing_layer_is_reported_not_fatal():
    archive_bytes = legacy_archive([BASE])
    # drop the layer.tar member by rebuilding without it
    import tarfile

    source = tarfile.open(fileobj=io.BytesIO(archive_bytes))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for member in source.getmembers():
            if not member.name.endswith("layer.tar"):
                tar.addfile(member, source.extractfile(member) if member.isreg() else None)
    archive = _read(out.getvalue())
    assert archive.layers[0].error == "layer missing from the archive"


def test_the_worked_example_in_the_docs():
    """docs/image-analysis.md, "Worked example": the figures printed there."""
    layers = [
        layer_tar([("app/data.bin", b"\0" * 100_000_000), ("etc/conf", b"c" * 1000)]),
        layer_tar([("etc/conf", b"C" * 2000)]),
        layer_tar([("app/.wh.data.bin", b""), ("app/bin", b"b" * 10_000_000)]),
    ]
    archive = read_image_archive(io.BytesIO(legacy_archive(layers)))
    waste = compute_waste(archive.layers, stack_layers(archive.layers))
    assert (waste.total_bytes, waste.wasted_bytes, waste.final_bytes) == (110_003_000, 100_001_000, 10_002_000)
    assert round(waste.efficiency, 6) == 0.090925
    assert [(p.path, p.copies[0].layer, p.copies[0].by_layer, p.copies[0].how) for p in waste.paths()] == [
        ("app/data.bin", 0, 2, "deleted"),
        ("etc/conf", 0, 1, "overwritten"),
    ]


def test_a_layer_stacked_twice_through_a_symlinked_layer_tar():
    """Legacy exports write a repeated layer once and link the other ``layer.tar`` to it."""
    import json
    import tarfile

    one = layer_tar([("f", b"1" * 10)])
    two = layer_tar([("f", b"2" * 20)])
    config = json.dumps({"rootfs": {"diff_ids": ["sha256:a", "sha256:b", "sha256:a"]}, "history": []}).encode()
    manifest = json.dumps([{"Config": "c.json", "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]}]).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in [("l1/layer.tar", one), ("l2/layer.tar", two), ("c.json", config), ("manifest.json", manifest)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("l3/layer.tar")
        link.type = tarfile.SYMTYPE
        link.linkname = "../l1/layer.tar"
        tar.addfile(link)
    archive = _read(out.getvalue())
    assert [layer.key for layer in archive.layers] == ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]
    waste = compute_waste(archive.layers, stack_layers(archive.layers))
    assert (waste.total_bytes, waste.wasted_bytes) == (40, 30)
    assert archive.layers[2].entries["f"][2] == MODIFIED and archive.layers[0].entries["f"][2] == ADDED


@pytest.mark.parametrize("first_name", ["[bold]x[/]y", "{weird}", "[@click=app.quit]"])
def test_an_oci_layer_blob_whose_first_file_name_looks_like_json_is_a_layer(first_name):
    """Docker 25+ exports layers as blobs/sha256/<hex>; a layer whose first member is named
    "[..." or "{..." starts with that byte, like a JSON blob, and must still be read as a tar
    (seen on Docker 28.5.2: those layers were reported missing)."""
    archive = _read(oci_archive([layer_tar([(first_name, b"hostile\n")]), MIDDLE]))
    assert [layer.error for layer in archive.layers] == [None, None]
    assert sorted(archive.layers[0].entries) == [first_name]
