"""File trees of an image: what each layer holds, what the stacked layers show, and what got lost.

A layer is a tar of changes: files it adds or rewrites, plus whiteouts (``.wh.name`` deletes
``name`` from the layers below) and opaque markers (``.wh..wh..opq`` hides everything the layers
below had in that directory). :func:`stack_layers` applies the layers in order the way overlayfs
does and records every file copy that a later layer overwrote or deleted (the raw material of
waste, see :mod:`msb_tui.image.waste`).

Memory matters (an SDK image holds 100,000+ files): a layer keeps one flat dict
``path -> (kind, size, status)`` of small tuples; stacked trees are nested nodes with
``__slots__`` keyed by interned name components. :class:`FileTree` wraps either in a lazy view
for the UI: children are materialised only when asked for, directory sizes computed on demand.
"""

from __future__ import annotations

from sys import intern
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

# Entry kinds (small ints keep per-entry tuples small).
FILE, DIR, SYMLINK, HARDLINK, OTHER, REMOVED = range(6)
KIND_NAMES = {FILE: "file", DIR: "dir", SYMLINK: "symlink", HARDLINK: "hardlink", OTHER: "other", REMOVED: "removed"}

# Change status of an entry in the layer that wrote it.
UNCHANGED, ADDED, MODIFIED, DELETED = range(4)
STATUS_NAMES = {UNCHANGED: "unchanged", ADDED: "added", MODIFIED: "modified", DELETED: "removed"}

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def normalize_path(name: str) -> str:
    """A tar member name as a clean relative path: no ``./``, no leading or trailing slash."""
    while name.startswith("./"):
        name = name[2:]
    name = name.strip("/")
    return "" if name == "." else name


@dataclass(slots=True)
class LayerFiles:
    """The content of one layer tar: entries, whiteouts and opaque directories.

    ``entries`` maps path -> ``(kind, size, status)``; ``status`` is filled in by
    :func:`stack_layers` (ADDED/MODIFIED against the layers below, UNCHANGED for a directory that
    already existed). ``removed`` maps each path this layer deleted -> bytes it hid (recursive).
    """

    key: str = ""
    tar_size: int = 0
    entries: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add_member(self, name: str, kind: int, size: int) -> None:
        """Record one tar member (whiteout markers become deletions)."""
        path = normalize_path(name)
        if not path:
            return
        slash = path.rfind("/")
        base = path[slash + 1 :]
        if base.startswith(WHITEOUT_PREFIX):
            parent = path[:slash] if slash >= 0 else ""
            if base == OPAQUE_MARKER:
                self.opaque_dirs.append(parent)
            elif not base.startswith(".wh..wh."):  # other .wh..wh.* names are aufs bookkeeping
                target = base[len(WHITEOUT_PREFIX) :]
                self.whiteouts.append(f"{parent}/{target}" if parent else target)
            return
        self.entries[path] = (kind, size if kind == FILE else 0, UNCHANGED)

    @property
    def file_bytes(self) -> int:
        """Bytes of regular-file content in this layer."""
        return sum(size for kind, size, _ in self.entries.values() if kind == FILE)

    def count(self, status: int) -> int:
        return sum(1 for entry in self.entries.values() if entry[2] == status and entry[0] != DIR)


class LostCopy(NamedTuple):
    """A file copy that a later layer overwrote or deleted: its bytes ship but are never seen."""

    path: str
    size: int
    layer: int  # the layer that wrote this copy
    by_layer: int  # the layer that overwrote or deleted it
    how: str  # "overwritten" or "deleted"


@dataclass(slots=True, eq=False)
class Node:
    """A node of a stacked tree; ``children`` is None for anything but a directory."""

    kind: int
    size: int
    layer: int
    status: int = UNCHANGED
    children: dict[str, Node] | None = None


def _dir_or_none(kind: int) -> dict | None:
    """A new node's children: an empty dict for a directory, None for anything else."""
    return {} if kind == DIR else None


def _new_dir(layer: int, status: int = ADDED) -> Node:
    return Node(DIR, 0, layer, status, {})


def _lookup(root: Node, path: str) -> Node | None:
    node = root
    if not path:
        return node
    for part in path.split("/"):
        if node.children is None:
            return None
        node = node.children.get(part)
        if node is None:
            return None
    return node


def _discard(node: Node, path: str, by_layer: int, how: str, lost: list[LostCopy] | None) -> int:
    """Bytes of file content under ``node``; records each file as a lost copy."""
    if node.children is None:
        if node.kind == FILE and node.size and lost is not None:
            lost.append(LostCopy(path, node.size, node.layer, by_layer, how))
        return node.size if node.kind == FILE else 0
    total = 0
    for name, child in node.children.items():
        total += _discard(child, f"{path}/{name}" if path else name, by_layer, how, lost)
    return total


def _parent_dir(root: Node, parts: list[str], layer: int, lost: list[LostCopy] | None) -> Node:
    """The directory holding ``parts[-1]``, creating missing (implicit) directories."""
    node = root
    done: list[str] = []
    for part in parts[:-1]:
        done.append(part)
        child = node.children.get(part)
        if child is None or child.children is None:
            if child is not None:  # a non-directory in the way is replaced by a directory
                _discard(child, "/".join(done), layer, "overwritten", lost)
            child = _new_dir(layer)
            node.children[intern(part)] = child
        node = child
    return node


def apply_layer(root: Node, layer: LayerFiles, index: int, lost: list[LostCopy] | None = None, *, record: bool = True) -> None:
    """Stack one layer onto ``root`` (the layers below), overlayfs style.

    Deletions (opaque directories, whiteouts) apply to the layers below only, so they go first;
    then the layer's own entries. With ``record`` the layer's statuses and ``removed`` are set.
    """
    for directory in layer.opaque_dirs:
        node = _lookup(root, directory)
        if node is not None and node.children:
            hidden = 0
            for name, child in node.children.items():
                hidden += _discard(child, f"{directory}/{name}" if directory else name, index, "deleted", lost)
            node.children = {}
            if record:
                layer.removed[directory + "/" if directory else "/"] = hidden
    for path in layer.whiteouts:
        parts = path.split("/")
        parent = _lookup(root, "/".join(parts[:-1]))
        if parent is None or parent.children is None:
            continue
        child = parent.children.pop(parts[-1], None)
        if child is not None:
            hidden = _discard(child, path, index, "deleted", lost)
            if record:
                layer.removed[path] = hidden
    entries = layer.entries
    for path, (kind, size, _status) in entries.items():
        parts = path.split("/")
        parent = _parent_dir(root, parts, index, lost)
        name = parts[-1]
        existing = parent.children.get(name)
        if existing is None:
            status = ADDED
            parent.children[intern(name)] = Node(kind, size, index, ADDED, _dir_or_none(kind))
        elif kind == DIR and existing.children is not None:
            status = UNCHANGED  # a directory both had: contents merge
        else:
            _discard(existing, path, index, "overwritten", lost)
            status = MODIFIED
            parent.children[name] = Node(kind, size, index, MODIFIED, _dir_or_none(kind))
        if record:
            entries[path] = (kind, size, status)


@dataclass(slots=True)
class StackedImage:
    """All layers stacked: the final tree and every copy that did not survive."""

    root: Node
    lost: list[LostCopy]


def stack_layers(layers: list[LayerFiles]) -> StackedImage:
    """Apply every layer in order; sets each layer's statuses and removals, collects lost copies."""
    root = _new_dir(-1, UNCHANGED)
    lost: list[LostCopy] = []
    for index, layer in enumerate(layers):
        apply_layer(root, layer, index, lost)
    return StackedImage(root, lost)


def tree_at(layers: list[LayerFiles], upto: int) -> Node:
    """The stacked tree as seen after layer ``upto`` (inclusive), without touching the layers."""
    root = _new_dir(-1, UNCHANGED)
    for index, layer in enumerate(layers[: upto + 1]):
        apply_layer(root, layer, index, None, record=False)
    return root


def layer_tree(layer: LayerFiles, index: int) -> Node:
    """A tree of one layer's own content; deletions appear as REMOVED nodes."""
    root = _new_dir(index, UNCHANGED)
    for path, size in layer.removed.items():
        parts = path.rstrip("/").split("/") if path != "/" else []
        if not parts:
            continue
        parent = _parent_dir(root, parts, index, None)
        parent.children[intern(parts[-1])] = Node(REMOVED, size, index, DELETED)
    for path, (kind, size, status) in layer.entries.items():
        parts = path.split("/")
        parent = _parent_dir(root, parts, index, None)
        existing = parent.children.get(parts[-1])
        if existing is not None and existing.children is not None and kind == DIR:
            existing.status = status
            continue
        parent.children[intern(parts[-1])] = Node(kind, size, index, status, _dir_or_none(kind))
    return root


def iter_files(node: Node, prefix: str = "") -> Iterator[tuple[str, Node]]:
    """Every non-directory node below ``node`` with its path."""
    stack = [(prefix, node)]
    while stack:
        path, current = stack.pop()
        for name, child in current.children.items():
            child_path = f"{path}/{name}" if path else name
            if child.children is None:
                yield child_path, child
            else:
                stack.append((child_path, child))


def tree_bytes(node: Node) -> int:
    """Bytes of file content under ``node`` (a file: its size)."""
    if node.children is None:
        return node.size if node.kind in (FILE, REMOVED) else 0
    return sum(child.size for _, child in iter_files(node) if child.kind in (FILE, REMOVED))


class FileNode:
    """A lazy view of one tree node for the UI: children are built only when asked for."""

    __slots__ = ("tree", "path", "name", "_node")

    def __init__(self, tree: "FileTree", path: str, name: str, node: Node):
        self.tree = tree
        self.path = path
        self.name = name
        self._node = node

    @property
    def kind(self) -> str:
        return KIND_NAMES[self._node.kind]

    @property
    def is_dir(self) -> bool:
        return self._node.children is not None

    @property
    def layer(self) -> int:
        """Index of the layer that last wrote this node (-1: the implicit root)."""
        return self._node.layer

    @property
    def status(self) -> str:
        return STATUS_NAMES[self._node.status]

    @property
    def size(self) -> int:
        """File size; for a directory the bytes of everything below it (cached)."""
        if self._node.children is None:
            return self._node.size
        return self.tree.dir_size(self._node)

    def children(self, sort: str = "name", filter: str | None = None) -> list["FileNode"]:
        """Child nodes sorted by ``"name"`` or ``"size"`` (largest first); ``filter`` keeps the
        children whose path contains the text (case-insensitive), or that lead to such paths."""
        keep = self.tree.matching(filter) if filter else None
        children = [FileNode(self.tree, f"{self.path}/{name}" if self.path else name, name, child)
                    for name, child in (self._node.children or {}).items()
                    if keep is None or id(child) in keep]
        if sort == "size":
            return sorted(children, key=lambda item: (-item.size, item.name))
        return sorted(children, key=lambda item: item.name)


class FileTree:
    """A browsable tree (a layer's own content, or the stacked image up to a layer)."""

    def __init__(self, root: Node):
        self._root = root
        self._sizes: dict[int, int] = {}
        self._filter: tuple[str, set[int]] | None = None

    @property
    def root(self) -> FileNode:
        return FileNode(self, "", "/", self._root)

    def node(self, path: str) -> FileNode | None:
        path = normalize_path(path)
        found = _lookup(self._root, path)
        if found is None:
            return None
        return FileNode(self, path, path.rsplit("/", 1)[-1] if path else "/", found)

    def dir_size(self, node: Node) -> int:
        if id(node) not in self._sizes:
            self._sizes[id(node)] = tree_bytes(node)
        return self._sizes[id(node)]

    def files(self) -> Iterator[tuple[str, int, str]]:
        """``(path, size, kind)`` of every non-directory entry."""
        for path, node in iter_files(self._root):
            yield path, node.size, KIND_NAMES[node.kind]

    def matching(self, text: str) -> set[int]:
        """Ids of nodes whose path contains ``text`` or that lead to one (cached for the last text)."""
        needle = text.lower()
        if self._filter is not None and self._filter[0] == needle:
            return self._filter[1]
        keep: set[int] = set()

        def visit(node: Node, path: str) -> bool:
            hit = needle in path.lower()
            if node.children is not None:
                for name, child in node.children.items():
                    if visit(child, f"{path}/{name}" if path else name):
                        hit = True
            if hit:
                keep.add(id(node))
            return hit

        visit(self._root, "")
        self._filter = (needle, keep)
        return keep
