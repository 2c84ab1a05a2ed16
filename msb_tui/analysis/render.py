"""Render an ``Analysis`` as text (a terminal table), JSON (a stable contract, docs/plan-json.md),
Graphviz DOT or Mermaid. Dockerfile text is untrusted: control characters never reach the output."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from msb_tui.analysis import Analysis
from msb_tui.analysis.versions import describe

SCHEMA_VERSION = 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """Untrusted text with control characters (ESC included) replaced: safe for any terminal."""
    return _CONTROL.sub(lambda m: " " if m.group() in "\t\n\r" else "?", str(text))


def to_dict(analysis: Analysis) -> dict[str, Any]:
    """The JSON document (schema_version 1); see docs/plan-json.md."""
    plan = analysis.plan
    stages = []
    for stage in analysis.stages:
        stages.append({
            "index": stage.index,
            "name": stage.name,
            "display_name": stage.display_name,
            "base": {"kind": stage.base.kind, "ref": stage.base.ref, "stage": stage.base.stage_index},
            "base_raw": stage.base_raw,
            "platform": stage.platform,
            "needed": bool(plan and stage.index in plan.needed),
            "skip_reason": plan.skip_reasons.get(stage.index) if plan else None,
            "wave": plan.wave_of(stage.index) if plan else None,
            "line_start": stage.line_start,
            "line_end": stage.line_end,
            "instructions": len(stage.instructions),
            "steps": stage.step_total,
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "source": str(analysis.source_path) if analysis.source_path else None,
        "ok": analysis.ok,
        "buildkit": "{}.{}".format(*analysis.buildkit),
        "certain": analysis.certain,
        "notes": list(analysis.notes),
        "target": analysis.target_name,
        "target_index": plan.target if plan else None,
        "stages": stages,
        "edges": [
            {"from": edge.source, "to": edge.target, "kind": edge.kind, "line": edge.line}
            for edge in analysis.edges
        ],
        "externals": list(analysis.externals),
        "waves": [list(wave) for wave in plan.waves] if plan else [],
        "critical_path": list(plan.critical_path) if plan else [],
        "critical_cost": plan.critical_cost if plan else None,
        "critical_basis": plan.critical_basis if plan else None,
        "global_args": {
            name: {"default": arg.default, "value": arg.value, "line": arg.line, "overridden": arg.overridden}
            for name, arg in analysis.global_args.items()
        },
        "errors": [asdict(error) for error in analysis.errors],
        "lint": [asdict(finding) for finding in analysis.lint],
    }


def to_json(analysis: Analysis) -> str:
    return json.dumps(to_dict(analysis), indent=2, ensure_ascii=False)


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def to_text(analysis: Analysis) -> str:
    """A readable report: stages (run/skip + reason, wave, base), waves, critical path, errors, lint."""
    lines: list[str] = []
    plan = analysis.plan
    names = [stage.display_name for stage in analysis.stages]
    if analysis.stages:
        target = f"target: {analysis.target_name}" if plan else "target: (none)"
        lines.append(clean(f"{len(analysis.stages)} stages, {target} (planned for "
                           f"{describe(analysis.buildkit)})"))
        rows = [["#", "stage", "plan", "wave", "lines", "base", "why skipped"]]
        for stage in analysis.stages:
            wave = plan.wave_of(stage.index) if plan else None
            runs = plan is not None and stage.index in plan.needed
            rows.append([
                str(stage.index),
                clean(stage.display_name),
                ("run" if runs else "skip") if plan else "?",
                "" if wave is None else str(wave + 1),  # counted from 1, as the app shows them
                f"{stage.line_start}-{stage.line_end}",
                clean(f"stage {stage.base.ref}" if stage.base.kind == "stage" else stage.base.ref),
                clean(plan.skip_reasons.get(stage.index, "")) if plan else "",
            ])
        lines.extend(_table(rows))
    if plan:
        lines.append("")
        lines.append("waves (stages in one wave can run side by side):")
        for number, wave in enumerate(plan.waves, start=1):
            lines.append(clean(f"  {number}: " + ", ".join(names[i] for i in wave)))
        unit = "s" if plan.critical_basis == "durations" else " steps"
        lines.append(clean(
            "critical path: " + " -> ".join(names[i] for i in plan.critical_path) + f" ({plan.critical_cost:g}{unit})"
        ))
    if analysis.errors:
        lines.append("")
        lines.append("errors (BuildKit stops at the first):")
        for error in analysis.errors:
            where = f"line {error.line}" if error.line is not None else "file"
            since = f" [BuildKit >= {error.since}]" if error.since else ""
            lines.append(clean(f"  {where}: {error.message} ({error.code}){since}"))
    if analysis.notes:
        lines.append("")
        lines.extend(clean(f"note: {note}") for note in analysis.notes)
    if analysis.lint:
        lines.append("")
        lines.append("lint:")
        for finding in analysis.lint:
            where = f"line {finding.line}" if finding.line is not None else "file"
            lines.append(clean(f"  {where}: {finding.severity} {finding.rule}: {finding.message}"))
            if finding.fix:
                lines.append(clean(f"      fix: {finding.fix}"))
    return "\n".join(lines)


def _node_ids(analysis: Analysis):
    """Stable node ids: ``s<index>`` for stages, ``x<n>`` for external images (order of appearance)."""
    externals = {ref: f"x{number}" for number, ref in enumerate(analysis.externals)}

    def node_id(source: int | str) -> str:
        return f"s{source}" if isinstance(source, int) else externals[source]

    return node_id


def _dot_label(text: str) -> str:
    return clean(text).replace("\\", "\\\\").replace('"', '\\"')


def to_dot(analysis: Analysis) -> str:
    plan = analysis.plan
    _node_id = _node_ids(analysis)
    lines = ["digraph stages {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    for stage in analysis.stages:
        needed = plan is None or stage.index in plan.needed
        style = "" if needed else ", style=dashed, fontcolor=gray50, color=gray50"
        bold = ", penwidth=2" if plan and stage.index == plan.target else ""
        lines.append(f'  {_node_id(stage.index)} [label="{_dot_label(stage.display_name)}"{style}{bold}];')
    for ref in analysis.externals:
        lines.append(f'  {_node_id(ref)} [label="{_dot_label(ref)}", shape=ellipse];')
    styles = {"base": "solid", "copy": "bold", "mount": "dotted"}
    for edge in analysis.edges:
        lines.append(
            f'  {_node_id(edge.source)} -> {_node_id(edge.target)} [style={styles[edge.kind]}, label="{edge.kind}"];'
        )
    lines.append("}")
    return "\n".join(lines)


def _mermaid_label(text: str) -> str:
    return clean(text).replace('"', "#quot;")


def to_mermaid(analysis: Analysis) -> str:
    plan = analysis.plan
    _node_id = _node_ids(analysis)
    lines = ["flowchart LR"]
    for stage in analysis.stages:
        lines.append(f'  {_node_id(stage.index)}["{_mermaid_label(stage.display_name)}"]')
    for ref in analysis.externals:
        lines.append(f'  {_node_id(ref)}(["{_mermaid_label(ref)}"])')
    arrows = {"base": "-->", "copy": "==>", "mount": "-.->"}
    for edge in analysis.edges:
        lines.append(f"  {_node_id(edge.source)} {arrows[edge.kind]}|{edge.kind}| {_node_id(edge.target)}")
    if plan:
        skipped = [_node_id(stage.index) for stage in analysis.stages if stage.index not in plan.needed]
        lines.append("  classDef skipped stroke-dasharray: 5 5,color:#888;")
        if skipped:
            lines.append(f"  class {','.join(skipped)} skipped;")
    return "\n".join(lines)


RENDERERS = {"text": to_text, "json": to_json, "dot": to_dot, "mermaid": to_mermaid}
