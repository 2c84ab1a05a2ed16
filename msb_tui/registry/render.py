"""Plain-text lines for wire sizes, push plans, pushes and pull estimates (CLI and app alike)."""

from __future__ import annotations

from msb_tui.image.render import clean, size  # noqa: F401 - size and clean are used by callers too
from msb_tui.registry.plan import PullEstimate, PushPlan, describe_bandwidth
from msb_tui.registry.wire import WireLayer, WireReport


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


def wire_size(layer: WireLayer | WireReport) -> str:
    """'184.5 MB', '~173.4 MB' for an estimate (or a total holding one), '?' when unknown."""
    if isinstance(layer, WireLayer) and layer.wire_size is None:
        return "?"
    return ("~" if layer.estimated else "") + size(layer.wire_size)


def figure(layer: WireLayer, short: bool = False) -> str:
    """Where the figure comes from: 'measured (registry)', 'estimated from a 2% sample, ±5% sampling'
    (the margin is the sample's; zlib vs docker's Go gzip is a further few per cent, in the notes)."""
    if layer.estimated and short:  # the app's 22-column figure
        return f"est. ({(layer.sample or 0) * 100:.0f}% sample ±{(layer.margin or 0) * 100:.0f}%)"
    if layer.estimated:
        return f"estimated from a {(layer.sample or 0) * 100:.0f}% sample, ±{(layer.margin or 0) * 100:.0f}% sampling"
    return layer.how or "unknown"


def wire_lines(report: WireReport, width: int = 60) -> list[str]:
    lines = [f"Image: {clean(report.image)}  ({report.image_id[:19]})",
             f"  {'wire':>10}  {'content':>10}  {'ratio':>5}  {'figure':<42}  layer"]
    for layer in report.layers:
        lines.append(f"  {wire_size(layer):>10}  {size(layer.content_size):>10}  {ratio(layer.ratio):>5}  {figure(layer):<42}  "
                     f"{clean(layer.created_by)[:width]}")
    lines.append(f"  {wire_size(report):>10}  {size(report.content_size):>10}  {ratio(report.ratio):>5}  "
                 f"total of {len(report.layers)} layer(s) (plus the config and manifest, a few kB)")
    lines += [f"  note: {note}" for note in report.notes]
    return lines


def story_line(sdk: WireReport, final: WireReport) -> str:
    """'SDK image 583.4 MB → final 4.5 MB (130x) in content; 184.5 MB → 1.9 MB (96x) on the wire'."""
    def times(a: int, b: int) -> str:
        return f"{a / b:.0f}x smaller" if b else "-"

    return (f"{clean(sdk.image)} → {clean(final.image)}: content {size(sdk.content_size)} → {size(final.content_size)} "
            f"({times(sdk.content_size, final.content_size)}); wire {wire_size(sdk)} → {wire_size(final)} "
            f"({times(sdk.wire_size, final.wire_size)})")


def plan_lines(plan: PushPlan) -> list[str]:
    lines = [f"Push plan for {clean(str(plan.target))}:"]
    for planned in plan.layers:
        lines.append(f"  {planned.action:<8} {wire_size(planned.layer):>10}  {planned.layer.diff_id[7:19]}  {clean(planned.why)}")
    estimated = "~" if any(planned.layer.estimated for planned in plan.upload) else ""
    lines.append(f"  would upload {estimated}{size(plan.upload_bytes)} in {len(plan.upload)} layer(s); "
                 f"{size(plan.present_bytes)} in {len(plan.layers) - len(plan.upload)} layer(s) already there or mounted; "
                 f"config {'already there' if plan.config_present else 'uploaded'}")
    return lines


def estimate_lines(estimate: PullEstimate) -> list[str]:
    rate = describe_bandwidth(estimate.bandwidth)
    lines = [f"  pull estimate at {rate} (an estimate, not a measurement): cold {seconds(estimate.cold_seconds)} "
             f"for {'~' if estimate.estimated else ''}{size(estimate.cold_bytes)}"]
    if estimate.delta_bytes is not None:
        lines.append(f"  pull estimate at {rate} since {clean(estimate.previous or '?')}: {seconds(estimate.delta_seconds)} "
                     f"for {size(estimate.delta_bytes)} of changed layers")
    return lines
