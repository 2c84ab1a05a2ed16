"""Compare two images: sizes, shared layers, and the files that differ, largest difference first.

Made for "the SDK stage against the final image" (750 MB -> 4.5 MB) and "yesterday's build
against today's". Files are compared by path, kind and size; a path that both images got from
the same layer (same diff id) is identical. Same path and size from different layers cannot be
told apart without reading contents: such files are counted (``same_size_other_layer``), not listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from humanize import naturalsize

from msb_tui.image.filetree import iter_files


@dataclass(frozen=True, slots=True)
class FileDifference:
    path: str
    change: str  # "added" (only in B), "removed" (only in A), "changed" (kind or size differ)
    size_a: int
    size_b: int

    @property
    def delta(self) -> int:
        return self.size_b - self.size_a


@dataclass
class ImageComparison:
    name_a: str
    name_b: str
    size_a: int
    size_b: int
    layers_a: int
    layers_b: int
    shared_layers: list[str]
    files: list[FileDifference] = field(default_factory=list)
    same_size_other_layer: int = 0

    @property
    def delta(self) -> int:
        return self.size_b - self.size_a

    def summary(self) -> str:
        """e.g. ``750.0 MB -> 4.5 MB, 168x smaller``."""
        sizes = f"{naturalsize(self.size_a)} → {naturalsize(self.size_b)}"
        if self.size_a == self.size_b:
            return f"{sizes}, same size"
        smaller, larger = sorted((self.size_a, self.size_b))
        if smaller and larger / smaller >= 2:
            word = "smaller" if self.size_b < self.size_a else "larger"
            return f"{sizes}, {larger / smaller:.0f}x {word}"
        sign = "+" if self.delta > 0 else "-"
        percent = f", {self.delta / self.size_a:+.1%}" if self.size_a else ""
        return f"{sizes} ({sign}{naturalsize(abs(self.delta))}{percent})"

    def counts(self) -> dict[str, int]:
        counts = Counter(item.change for item in self.files)
        return {change: counts[change] for change in ("added", "removed", "changed")}

    def to_dict(self) -> dict:
        data = asdict(self)
        data["summary"] = self.summary()
        data["counts"] = self.counts()
        data["files"] = [dict(asdict(item), delta=item.delta) for item in self.files]
        return data


def _flatten(report) -> dict[str, tuple[int, int, str | None]]:
    """path -> (kind, size, diff id of the layer that wrote it)."""
    diff_ids = report.archive.diff_ids
    result = {}
    for path, node in iter_files(report.stacked.root):
        diff_id = diff_ids[node.layer] if 0 <= node.layer < len(diff_ids) else None
        result[path] = (node.kind, node.size, diff_id)
    return result


def compare_reports(a, b) -> ImageComparison:
    """Compare two :class:`~msb_tui.image.report.ImageReport` (both with file trees)."""
    ids_a, ids_b = a.archive.diff_ids, b.archive.diff_ids
    shared = [diff_id for diff_id in ids_a if diff_id in set(ids_b)]
    comparison = ImageComparison(
        name_a=a.name,
        name_b=b.name,
        size_a=a.layers.size,
        size_b=b.layers.size,
        layers_a=len(ids_a),
        layers_b=len(ids_b),
        shared_layers=shared,
    )
    files_a, files_b = _flatten(a), _flatten(b)
    differences = []
    for path, (kind, size, diff_id) in files_a.items():
        other = files_b.get(path)
        if other is None:
            differences.append(FileDifference("/" + path, "removed", size, 0))
        elif other[0] != kind or other[1] != size:
            differences.append(FileDifference("/" + path, "changed", size, other[1]))
        elif diff_id != other[2]:
            comparison.same_size_other_layer += 1
    for path, (kind, size, _diff_id) in files_b.items():
        if path not in files_a:
            differences.append(FileDifference("/" + path, "added", 0, size))
    differences.sort(key=lambda item: (-abs(item.delta), item.path))
    comparison.files = differences
    return comparison

