"""Plain-text rendering of image reports for the CLI (``layers``, ``compare``, ``ci``).

Output is plain text: no Rich markup ever, and untrusted strings (history, Dockerfile lines, file
names) have their control characters stripped before printing.
"""

from __future__ import annotations

import re

from humanize import naturalsize

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3, "t": 1000**4, "tb": 1000**4,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3, "ti": 1024**4, "tib": 1024**4,
}


def clean(text: str) -> str:
    """Untrusted text on one line, without terminal control characters."""
    return _CONTROL.sub(" ", text or "").strip()


def size(value: int) -> str:
    return naturalsize(value, format="%.1f")


def percent(value: float) -> str:
    """``97.50%``; never rounds a value below 1 up to ``100.00%``."""
    text = f"{value:.2%}"
    return ">99.99%" if value < 1 and text == "100.00%" else text


def parse_size(text: str) -> int:
    """``10MB`` (decimal), ``10MiB`` (binary), ``1.5G``, ``500k`` or plain bytes."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 10MB, 512KiB, 1.5G)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_fraction(text: str) -> float:
    """``0.9`` or ``90%``."""
    text = text.strip()
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"not a fraction between 0 and 1: {text!r}")
    return value


def bar(value: int, largest: int, width: int = 12) -> str:
    if largest <= 0 or value <= 0:
        return " " * width
    cells = value / largest * width
    full = int(cells)
    text = "█" * full + ("▌" if cells - full >= 0.5 else "")
    return (text or "▏").ljust(width)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


SIZE_KINDS = {"content": "content", "disk": "on disk"}


def size_summary(layers) -> str:
    """What the image's sizes are, said: ``300.1 kB content, 3.8 kB compressed (containerd image store)``."""
    text = f"{size(layers.size)} {SIZE_KINDS.get(layers.size_kind, layers.size_kind)}"
    if layers.compressed_size is not None:
        text += f", {size(layers.compressed_size)} compressed"
    store = f"{layers.store} image store" + (f", {layers.platform}" if layers.platform else "")
    if layers.size_kind == "disk":
        store += "; snapshot disk use: read the layers (no --no-files) for content sizes"
    return f"{text} ({store})"


def layers_text(report, width: int = 120, top_waste: int = 10) -> str:
    layers = report.layers
    lines = []
    tags = ", ".join(layers.tags) or "(untagged)"
    layout = f", {report.archive.layout} export" if report.archive else ""
    lines.append(f"{clean(report.name)}  {layers.image_id[7:19]}  {len(layers.diff_ids)} layers{layout}  tags: {clean(tags)}")
    lines.append(f"Size: {size_summary(layers)}")
    lines.append("")
    largest = max((entry.size for entry in layers.entries), default=0)
    packed = any(entry.compressed_size is not None for entry in layers.entries)
    heading = "CONTENT" if layers.size_kind == "content" else "ON DISK"
    lines.append(f"{'#':>3}  {heading:>9}  " + (f"{'COMPRESSED':>10}  " if packed else "")
                 + f"{'':12}  {'SOURCE':<22} {'LINE':>5}  INSTRUCTION")
    for entry in layers.entries:
        source = entry.source
        if source.kind == "dockerfile":
            where, line = source.stage or "", str(source.line)
            instruction = source.instruction or entry.created_by
        elif source.kind == "base":
            where, line, instruction = "base image", "", entry.created_by or "(imported)"
        else:
            where, line, instruction = "", "", entry.created_by or "(no created_by)"
        instruction = clean(instruction.replace(" # buildkit", ""))
        tag = "  (no layer)" if entry.empty else ""
        packed_cell = ""
        if packed:
            packed_cell = f"{size(entry.compressed_size) if entry.compressed_size is not None else '-':>10}  "
        head = (f"{entry.index:>3}  {size(entry.size) if not entry.empty else '-':>9}  {packed_cell}{bar(entry.size, largest)}  "
                f"{_fit(clean(where), 22):<22} {line:>5}  ")
        lines.append(head + _fit(instruction + tag, max(20, width - len(head))))
    if any(entry.source.kind == "base" for entry in layers.entries):
        base = next(entry.source.base_image for entry in layers.entries if entry.source.kind == "base")
        lines.append(f"{'':>3}  base image: {clean(base or '(unknown)')}")
    lines.append("")
    if not layers.exact_empty:
        lines.append("note: which entries own a layer was inferred (no image config read)")
    lines.append(f"Total: {size_summary(layers)} in {len(layers.diff_ids)} layers, {len(layers.entries)} history entries")
    waste = report.waste
    if waste is not None:
        lines.append(
            f"Files: {size(waste.total_bytes)} across layers, {size(waste.final_bytes)} visible in the final filesystem"
        )
        lines.append(
            f"Waste: {size(waste.wasted_bytes)} ({waste.wasted_fraction:.1%}) overwritten or deleted by later layers; "
            f"efficiency {percent(waste.efficiency)}"
        )
        by_index = {entry.layer_index: entry for entry in layers.entries if entry.layer_index is not None}
        for item in waste.paths(top_waste):
            copy = item.copies[0]
            made = by_index.get(copy.layer)
            by = by_index.get(copy.by_layer)
            made_text = f"#{made.index} {made.source.label if made.source.kind != 'unknown' else made.command.cmd}" if made else "?"
            by_text = f"#{by.index} {by.source.label if by.source.kind != 'unknown' else by.command.cmd}" if by else "?"
            extra = f" ({len(item.copies)} copies)" if len(item.copies) > 1 else ""
            lines.append(
                _fit(f"  {size(item.wasted):>9}  /{clean(item.path)}{extra}: written by {clean(made_text)}, {copy.how} by {clean(by_text)}", width)
            )
    lines.append(f"Leaks: {len(report.leaks) or 'none found'}")
    for leak in report.leaks:
        lines.append(_fit(f"  {leak.category:<9} {size(leak.size) if leak.size else '':>9}  {clean(leak.where)}: {clean(leak.why)}", width))
    return "\n".join(lines)


def compare_text(comparison, limit: int = 25, width: int = 120) -> str:
    counts = comparison.counts()
    lines = [
        f"A: {clean(comparison.name_a)}  {size(comparison.size_a)}  {comparison.layers_a} layers",
        f"B: {clean(comparison.name_b)}  {size(comparison.size_b)}  {comparison.layers_b} layers",
        "",
        comparison.summary(),
        f"Shared layers (same diff id): {len(comparison.shared_layers)}",
        f"Files: {counts['added']} added, {counts['removed']} removed, {counts['changed']} changed"
        + (f"; {comparison.same_size_other_layer} same size from another layer (contents not compared)" if comparison.same_size_other_layer else ""),
    ]
    if comparison.files:
        lines.append("")
        lines.append(f"{'CHANGE':<8} {'A':>9} {'B':>9} {'DELTA':>10}  PATH")
        for item in comparison.files[:limit]:
            sign = "+" if item.delta > 0 else "-" if item.delta < 0 else " "
            lines.append(
                _fit(
                    f"{item.change:<8} {size(item.size_a) if item.change != 'added' else '':>9} "
                    f"{size(item.size_b) if item.change != 'removed' else '':>9} {sign + size(abs(item.delta)):>10}  {clean(item.path)}",
                    width,
                )
            )
        if len(comparison.files) > limit:
            lines.append(f"... {len(comparison.files) - limit} more (use --limit or --json)")
    return "\n".join(lines)
