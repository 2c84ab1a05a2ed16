"""The context report as plain-text lines (``msb-tui context``). File names are untrusted: control
characters are stripped here; the lines are never markup."""

from __future__ import annotations

from msb_tui.cache.context_report import AS_IS, WITHOUT, ContextReport
from msb_tui.image.render import size
from msb_tui.sanitize import plain


def seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}s"


def files(count: int) -> str:
    return f"{count:,} file" if count == 1 else f"{count:,} files"


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def send_line(report: ContextReport, variant: str) -> str:
    """``1.23s (tar 0.40s, upload 0.30s, engine: receive 0.35s + unpack 0.10s), 120 MB on the wire``."""
    timing = report.median(variant)
    if timing is None:
        return "not measured"
    parts = [f"tar {seconds(timing.tar_seconds)}", f"upload {seconds(timing.upload_seconds)}"]
    if timing.engine_load_seconds is not None:
        parts.append(f"engine: receive {seconds(timing.engine_load_seconds)}"
                     f" + unpack {seconds(timing.engine_unpack_seconds)}")
    return (f"{seconds(report.send_seconds(variant))} ({', '.join(parts)}), "
            f"{size(timing.tar_bytes)} on the wire")


def report_lines(report: ContextReport, top: int = 10) -> list[str]:
    ignore = plain(report.ignore_file) or "none"
    lines = [
        f"Build context {plain(report.context)}  (Dockerfile {plain(report.dockerfile)}, ignore file {ignore})",
        f"  sent: {files(report.sent_files)}, {size(report.sent_bytes)}",
    ]
    if report.sends:
        lines.append(f"  time to send: {send_line(report, AS_IS)}")
        lines.append(f"    median of {report.rounds} sends to {plain(report.engine) or 'the engine'}: from the first "
                     "file read until BuildKit holds the context unpacked")
    if report.ignore_file:
        lines.append(f"  {ignore} keeps out: {files(report.ignored_files)}, {size(report.ignored_bytes)}")
    if report.biggest_files:
        lines += ["", "Biggest files sent:"]
        lines += [f"  {size(item.bytes):>10}  {plain(item.path)}" for item in report.biggest_files[:top]]
    if report.biggest_folders:
        lines += ["", "Biggest folders sent:"]
        lines += [f"  {size(item.bytes):>10}  {plain(item.path)}/  ({files(item.files)})"
                  for item in report.biggest_folders[:top]]
    lines += [""]
    if not report.candidates:
        lines.append("Nothing to add to the ignore file: no version-control, dependency or build-output folder, "
                     "and every file can be read by the Dockerfile.")
    else:
        lines.append(f"Candidates to exclude ({files(report.candidate_files)}, {size(report.candidate_bytes)}, "
                     f"{share(report.candidate_bytes, report.sent_bytes)} of the bytes sent):")
        width = min(40, max(len(plain(c.pattern)) for c in report.candidates[:top]))
        for candidate in report.candidates[:top]:
            lines.append(f"  {plain(candidate.pattern):<{width}}  {size(candidate.bytes):>10}  "
                         f"{files(candidate.files):>12}  {candidate.kind}: {candidate.why}")
        rest = report.candidates[top:]
        if rest:
            lines.append(f"  ... and {len(rest)} more ({size(sum(c.bytes for c in rest))}); --top or --format json lists all")
        if WITHOUT in report.sends:
            saved = report.seconds_saved or 0.0
            lines += ["", f"Measured without the candidates: {send_line(report, WITHOUT)}",
                      f"  saved per build: {size(report.candidate_bytes)} and {seconds(saved)} "
                      f"({share(int(saved * 1000), int((report.send_seconds(AS_IS) or 0) * 1000))} of the send time)"]
        lines += ["", f"Add to {ignore if report.ignore_file else '.dockerignore'}:"]
        lines += [f"  {plain(candidate.pattern)}" for candidate in report.candidates]
    whole = report.whole_context_readers
    if whole:
        lines.append("")
        for reader in whole:
            how = "has a variable in a source, counted as" if reader.variable else "reads"
            lines.append(f"Line {reader.line} ({plain(reader.instruction)}, stage {plain(reader.stage)}) {how} "
                         "the whole context: every file sent can reach the image.")
        if report.candidates:
            lines.append("Excluding a candidate keeps it out of the image too: check the build does not need it.")
    return lines
