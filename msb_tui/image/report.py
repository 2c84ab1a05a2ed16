"""One image, fully analysed: layers tied to the Dockerfile, file trees, waste and leaks (the entry
point of the CLI and the TUI's Layers view; docs/image-analysis.md shows its use)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from msb_tui.image.export import ImageArchive, export_image
from msb_tui.image.filetree import (
    ADDED,
    MODIFIED,
    FileTree,
    LayerFiles,
    StackedImage,
    layer_tree,
    stack_layers,
    tree_at,
)
from msb_tui.image.attribution import attribute_from_dockerfile, link_build_steps
from msb_tui.image.layers import ImageLayers, apply_archive_sizes, read_layers
from msb_tui.image.leaks import Leak, find_leaks, secret_leaks
from msb_tui.image.waste import WasteReport, compute_waste


TREE_CACHE = 3  # stacked trees of earlier layers kept for the UI


@dataclass
class ImageReport:
    name: str
    layers: ImageLayers
    archive: ImageArchive | None = None
    stacked: StackedImage | None = None
    waste: WasteReport | None = None
    leaks: list[Leak] = field(default_factory=list)
    _trees: dict[int, FileTree] = field(default_factory=dict, repr=False)

    def layer_files(self, layer_index: int) -> LayerFiles | None:
        if self.archive is None or not 0 <= layer_index < len(self.archive.layers):
            return None
        return self.archive.layers[layer_index]

    def file_tree(self, upto: int | None = None) -> FileTree:
        """The stacked filesystem (final, or after layer ``upto``)."""
        if self.archive is None or self.stacked is None:
            raise ValueError("this report was made without file trees")
        if upto is None or upto >= len(self.archive.layers) - 1:
            return FileTree(self.stacked.root)
        tree = self._trees.pop(upto, None)  # re-stacking 100k files takes ~0.5 s: keep a few
        if tree is None:
            tree = FileTree(tree_at(self.archive.layers, upto))
        self._trees[upto] = tree
        while len(self._trees) > TREE_CACHE:
            self._trees.pop(next(iter(self._trees)))
        return tree

    def layer_tree(self, layer_index: int) -> FileTree:
        """Layer ``layer_index``'s own changes (added, modified, removed)."""
        layer = self.layer_files(layer_index)
        if layer is None:
            raise ValueError(f"no layer {layer_index}")
        return FileTree(layer_tree(layer, layer_index))

    def layer_rows(self) -> list[dict]:
        """One row per history entry (oldest first) with its layer's file counts and waste."""
        by_layer = self.waste.by_layer() if self.waste else {}
        by_culprit = self.waste.by_culprit() if self.waste else {}
        rows = []
        for entry in self.layers.entries:
            row = entry.to_dict()
            files = self.layer_files(entry.layer_index) if entry.layer_index is not None else None
            if files is not None:
                row["files"] = {
                    "added": files.count(ADDED),
                    "modified": files.count(MODIFIED),
                    "removed": len(files.removed),
                    "removed_bytes": sum(files.removed.values()),
                    "file_bytes": files.file_bytes,
                    "error": files.error,
                }
                row["wasted_bytes"] = by_layer.get(entry.layer_index, 0)
                row["wastes_below_bytes"] = by_culprit.get(entry.layer_index, 0)
            rows.append(row)
        return rows

    def to_dict(self, top_waste: int = 20) -> dict:
        data = {
            "image": self.name,
            "id": self.layers.image_id,
            "tags": self.layers.tags,
            "size": self.layers.size,
            "size_kind": self.layers.size_kind,
            "compressed_size": self.layers.compressed_size,
            "engine_size": self.layers.engine_size,
            "image_store": self.layers.store,
            "platform": self.layers.platform,
            "layer_count": len(self.layers.diff_ids),
            "exact_empty_layers": self.layers.exact_empty,
            "layers": self.layer_rows(),
            "leaks": [asdict(leak) for leak in self.leaks],
        }
        if self.archive is not None:
            data["layout"] = self.archive.layout
        if self.waste is not None:
            data["waste"] = {
                "total_bytes": self.waste.total_bytes,
                "wasted_bytes": self.waste.wasted_bytes,
                "final_bytes": self.waste.final_bytes,
                "efficiency": self.waste.efficiency,
                "top": [
                    {
                        "path": "/" + item.path,
                        "wasted_bytes": item.wasted,
                        "copies": [
                            {"layer": c.layer, "size": c.size, "by_layer": c.by_layer, "how": c.how} for c in item.copies
                        ],
                    }
                    for item in self.waste.paths(top_waste)
                ],
            }
        return data


def analyze_image(
    client,
    image: str,
    *,
    dockerfile: str | None = None,
    target: str | None = None,
    build_args: dict[str, str] | None = None,
    with_files: bool = True,
    build_model=None,
    platform: str | None = None,
) -> ImageReport:
    """Analyse ``image`` on the engine; with ``dockerfile`` (its text) tie layers to its lines,
    and with ``build_model`` (the ``BuildModel`` of the build that made it) to its steps."""
    archive = export_image(client, image, platform=platform) if with_files else None
    layers = read_layers(client, image, config=archive.config if archive else None, platform=platform)
    if archive is not None:
        apply_archive_sizes(layers, archive)
    report = ImageReport(name=image, layers=layers, archive=archive)
    if archive is not None:
        report.stacked = stack_layers(archive.layers)
        report.waste = compute_waste(archive.layers, report.stacked)
        report.leaks = find_leaks(report.stacked.root, layers.config, layers.entries)
    else:
        report.leaks = secret_leaks(layers.config, layers.entries)
    if dockerfile is not None:
        attribute_from_dockerfile(client, layers, dockerfile, target, build_args)
        if build_model is not None:
            link_build_steps(layers, build_model)
    return report


def content_size(client, image: str) -> int:
    """The bytes of the files in ``image``'s layers, on either image store: the engine's own Size on
    the classic store; on the containerd store (whose Size is compressed) the layers are read."""
    inspect = client.inspect_image(image)
    if not inspect.get("Descriptor"):  # the classic store
        return int(inspect.get("Size") or 0)
    return sum(layer.file_bytes for layer in export_image(client, image).layers)
