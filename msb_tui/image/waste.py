"""Wasted bytes and efficiency: file content an image ships in its layers but never shows.

A layer cannot shrink what lies below it: a file overwritten by a later layer, or deleted by a
whiteout or an opaque directory, still travels in the lower layer's tar. Those lost copies are
the waste; the copy that stays visible in the final image is not waste (dive counted it too
before its issue #684). Definitions (see docs/image-analysis.md for a worked example):

    total_bytes  = sum of the sizes of every regular file entry in every layer
    wasted_bytes = sum of the sizes of the entries not visible in the final image
    efficiency   = 1 - wasted_bytes / total_bytes   (1.0 when total_bytes is 0)

so ``total_bytes == final_bytes + wasted_bytes`` where ``final_bytes`` is what the stacked
filesystem shows. Each lost copy is attributed to the layer that wrote it and names the later
layer that overwrote or deleted it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from msb_tui.image.filetree import LayerFiles, LostCopy, StackedImage


@dataclass(slots=True)
class WastedPath:
    """All lost copies of one path."""

    path: str
    wasted: int
    copies: list[LostCopy]


@dataclass
class WasteReport:
    total_bytes: int
    wasted_bytes: int
    lost: list[LostCopy] = field(default_factory=list)  # largest first

    @property
    def final_bytes(self) -> int:
        return self.total_bytes - self.wasted_bytes

    @property
    def efficiency(self) -> float:
        return 1.0 if self.total_bytes == 0 else 1.0 - self.wasted_bytes / self.total_bytes

    @property
    def wasted_fraction(self) -> float:
        return 0.0 if self.total_bytes == 0 else self.wasted_bytes / self.total_bytes

    def by_layer(self) -> dict[int, int]:
        """Wasted bytes per layer that wrote them."""
        result: dict[int, int] = defaultdict(int)
        for copy in self.lost:
            result[copy.layer] += copy.size
        return dict(result)

    def by_culprit(self) -> dict[int, int]:
        """Wasted bytes per later layer that overwrote or deleted them."""
        result: dict[int, int] = defaultdict(int)
        for copy in self.lost:
            result[copy.by_layer] += copy.size
        return dict(result)

    def paths(self, limit: int | None = None) -> list[WastedPath]:
        """Wasted bytes grouped by path, largest first."""
        groups: dict[str, list[LostCopy]] = defaultdict(list)
        for copy in self.lost:
            groups[copy.path].append(copy)
        result = [WastedPath(path, sum(c.size for c in copies), copies) for path, copies in groups.items()]
        result.sort(key=lambda item: (-item.wasted, item.path))
        return result[:limit] if limit is not None else result


def compute_waste(layers: list[LayerFiles], stacked: StackedImage) -> WasteReport:
    """The waste report of stacked layers (``stack_layers`` must have run on ``layers``)."""
    total = sum(layer.file_bytes for layer in layers)
    lost = sorted(stacked.lost, key=lambda copy: (-copy.size, copy.path, copy.layer))
    return WasteReport(total_bytes=total, wasted_bytes=sum(copy.size for copy in lost), lost=lost)
