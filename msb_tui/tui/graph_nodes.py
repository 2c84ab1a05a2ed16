"""The stage graph of an analysis: a box per stage and external image, an arrow per FROM,
COPY --from and RUN --mount from=, annotated with the plan (waves, skipped stages, the target)
and live states; ``graph_layout`` places and draws them.
"""

from __future__ import annotations

from msb_tui.builds.runs import State
from msb_tui.tui.graph_layout import EDGE_COPY, EDGE_FROM, EDGE_MOUNT, GraphEdge, GraphNode

STATE_TEXT = {
    State.PLANNED: "· planned",
    State.RUNNING: "● running",
    State.CACHED: "✓ cached",
    State.DONE: "✓ done",
    State.FAILED: "✗ failed",
    State.SKIPPED: "– skipped",
    State.CANCELLED: "■ cancelled",
    State.INTERRUPTED: "↯ interrupted",
}


def image_key(ref: str) -> str:
    return f"image:{ref}"


def stage_keys(stages) -> dict[int, str]:
    """A unique node key per stage: its display name (as BuildKit and live states name it); an
    earlier stage sharing its name with a later one (which ``--from=name`` means) gets ``name#index``."""
    last: dict[str, int] = {}
    for stage in stages:
        last[stage.display_name] = stage.index
    return {
        stage.index: stage.display_name if last[stage.display_name] == stage.index else f"{stage.display_name}#{stage.index}"
        for stage in stages
    }


def short_ref(ref: str) -> str:
    """An image reference without registry and namespace: ``docker.io/library/golang:1.22`` -> ``golang:1.22``."""
    return ref.rsplit("/", 1)[-1] or ref


_EDGE_KINDS = {"base": EDGE_FROM, "from": EDGE_FROM, "copy": EDGE_COPY, "mount": EDGE_MOUNT}


def edges_from_analysis(analysis) -> list[GraphEdge]:
    """FROM, COPY --from and RUN --mount from= edges between stages and external images (from the
    analysis' ``Edge(source: stage index | image ref, target: index, kind)``), without repeats."""
    keys = stage_keys(analysis.stages)
    edges: dict[tuple[str, str, str], GraphEdge] = {}
    for edge in analysis.edges:
        if isinstance(edge.source, int):
            source = keys.get(edge.source)
        else:
            source = image_key(edge.source) if edge.source and edge.source.lower() != "scratch" else None
        target = keys.get(edge.target)
        if source is not None and target is not None and source != target:
            kind = _EDGE_KINDS.get(edge.kind, EDGE_FROM)
            edges.setdefault((source, target, kind), GraphEdge(source, target, kind))
    return list(edges.values())


def nodes_from_analysis(analysis, states: dict[str, str] | None = None,
                        edges: list[GraphEdge] | None = None) -> list[GraphNode]:
    """A box per stage (plus one per external image), annotated with the plan and live states."""
    states = states or {}
    plan = analysis.plan
    waves = {index: number for number, wave in enumerate(plan.waves) for index in wave} if plan else {}
    needed = set(plan.needed) if plan else None
    target = plan.target if plan else None
    nodes: list[GraphNode] = []
    images: dict[str, int] = {}
    edges = edges_from_analysis(analysis) if edges is None else edges
    for edge in edges:
        if edge.source.startswith("image:") and edge.source not in images:
            images[edge.source] = len(images)
    for key, order in images.items():
        ref = key[len("image:") :]
        users = [e.target for e in edges if e.source == key]
        nodes.append(GraphNode(key, ref, "image", ("image", f"used by {len(users)}"), order=-1000 + order))
    keys = stage_keys(analysis.stages)
    for stage in analysis.stages:
        key = keys[stage.index]
        base = stage.base
        if base.kind == "scratch":
            first = "FROM scratch"
        elif base.kind == "stage":
            first = f"FROM {analysis.stages[base.stage_index].display_name}"
        else:
            first = f"FROM {short_ref(base.ref)}"
        is_needed = needed is None or stage.index in needed
        state = states.get(key)
        if state:
            second = STATE_TEXT.get(state, state)
        elif not is_needed:
            # The edges show the base; the box says that and why the stage is skipped.
            users = [e.target for e in edges if e.source == key]
            first, second = "skipped", (f"only for {users[0]}" if users else "not needed")
        elif stage.index in waves:
            steps = stage.step_total
            second = f"{steps} step{'' if steps == 1 else 's'}"
        else:
            second = ""
        nodes.append(
            GraphNode(
                key=key,
                title=stage.display_name if key == stage.display_name else f"{stage.display_name} (#{stage.index})",
                kind="stage",
                lines=(first, second),
                order=stage.index,
                wave=waves.get(stage.index),
                needed=is_needed,
                target=target == stage.index,
            )
        )
    return nodes
