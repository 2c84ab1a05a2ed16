"""Which Dockerfile line made each layer: history entries aligned with the target's instructions.

Entries are tied to the Dockerfile by aligning them, newest first, with the target stage's
instructions (and, through ``FROM <stage>`` chains, its parents'). What is left below the oldest
match came from the base image; when the base image is on the engine, its own history length says
exactly how many entries it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msb_tui.analysis import analyze
from msb_tui.analysis.parse import Instruction
from msb_tui.image.layers import BuildStep, HistoryCommand, ImageLayers, Source

_TOKEN = re.compile(r"[A-Za-z0-9_./:=${}@+-]+")


def load_stages(text: str, target: str | None = None, build_args: dict[str, str] | None = None):
    """``(stages, target_index)`` for a Dockerfile's text; target defaults to the last stage."""
    analysis = analyze(text, target=target, build_args=dict(build_args or {}))
    if not analysis.stages:
        raise ValueError("the Dockerfile has no FROM")
    if analysis.plan is not None:
        return analysis.stages, analysis.plan.target
    if target is None:
        return analysis.stages, len(analysis.stages) - 1
    stage = analysis.stage_named(target)
    if stage is None:
        raise ValueError(f"target stage {target!r} not found")
    return analysis.stages, stage.index


@dataclass(slots=True)
class ChainStep:
    """A Dockerfile instruction that may have produced a history entry, with its stage."""

    stage: str
    instruction: Instruction


def instruction_chain(stages, target_index: int) -> tuple[list[ChainStep], str | None]:
    """Instructions that built the target stage's image, oldest first, and the base image below.

    Follows ``FROM <stage>`` to the parent stage (always an earlier one); the chain ends at an image
    (its ref) or scratch (None).
    """
    chain: list[ChainStep] = []
    stage = stages[target_index]
    while True:
        chain[:0] = [ChainStep(stage.display_name, ins) for ins in stage.instructions
                     if ins.cmd != "FROM"]
        if stage.base.kind != "stage":
            return chain, None if stage.base.kind == "scratch" else stage.base.ref
        stage = stages[stage.base.stage_index]


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text))


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _instruction_text(ins: Instruction) -> str:
    value = ins.value
    if ins.cmd == "RUN":
        return " ".join(value)
    if ins.cmd == "ENV" and not ins.json and len(value) % 2 == 0:
        return " ".join(f"{name}={setting}" for name, setting in zip(value[::2], value[1::2]))
    return ins.original.split(None, 1)[1] if " " in ins.original.strip() else ""


def match_score(entry: HistoryCommand, ins: Instruction) -> float:
    """How well a history entry matches an instruction: 0 (no) to 1 (exactly)."""
    if not entry.cmd:
        return 0.0
    cmd = ins.cmd
    if entry.cmd != cmd and {entry.cmd, cmd} != {"COPY", "ADD"}:
        return 0.0
    base = 0.5 if entry.cmd == cmd else 0.3
    text = entry.text
    wanted = _instruction_text(ins)
    if cmd in ("COPY", "ADD"):
        if " in " in text and text.startswith(("file:", "dir:", "multi:")):
            text = text.rsplit(" in ", 1)[1].strip()  # classic: "file:<hash> in /dest"
            wanted = ins.value[-1] if ins.value else wanted
        else:
            wanted = " ".join(ins.value) or wanted
    if cmd == "ENV":
        # compare the names only: values may have been expanded
        text = " ".join(part.split("=", 1)[0] for part in text.split())
        wanted = " ".join(part.split("=", 1)[0] for part in wanted.split())
    return base + 0.5 * _similarity(text.strip(), wanted.strip())


_SKIP_ENTRY = 0.6  # cost of a history entry inside the Dockerfile's range that matches nothing
_SKIP_INSTRUCTION = 0.05  # an instruction with no entry (FROM, old BuildKit's ARG) is cheap


def align(entries: list[HistoryCommand], chain: list[ChainStep],
          base_count: int | None = None) -> dict[int, int]:
    """Map entry index -> chain index (both oldest first), aligning from the newest down.

    Entries older than the oldest match belong to the base image; with ``base_count`` known
    (the base image's own history length) exactly that many oldest entries are left out.
    """
    n, m = len(entries), len(chain)
    newest = list(reversed(entries))
    steps = list(reversed(chain))
    limit = n - base_count if base_count is not None and 0 <= base_count <= n else n
    neg = float("-inf")
    score = [[neg] * (m + 1) for _ in range(limit + 1)]
    move = [[0] * (m + 1) for _ in range(limit + 1)]
    score[0][0] = 0.0
    for i in range(limit + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            best, how = neg, 0
            if i and j and score[i - 1][j - 1] > neg:
                s = match_score(newest[i - 1], steps[j - 1].instruction)
                if s > 0 and score[i - 1][j - 1] + s > best:
                    best, how = score[i - 1][j - 1] + s, 1
            if i and score[i - 1][j] - _SKIP_ENTRY > best:
                best, how = score[i - 1][j] - _SKIP_ENTRY, 2
            if j and score[i][j - 1] - _SKIP_INSTRUCTION > best:
                best, how = score[i][j - 1] - _SKIP_INSTRUCTION, 3
            score[i][j], move[i][j] = best, how
    end = limit
    if base_count is None:
        end = max(range(limit + 1), key=lambda i: (score[i][m], -i))
    mapping: dict[int, int] = {}
    i, j = end, m
    while i or j:
        how = move[i][j]
        if how == 1:
            mapping[n - i] = m - j
            i, j = i - 1, j - 1
        elif how == 2:
            i -= 1
        else:
            j -= 1
    return mapping


def attribute(layers: ImageLayers, stages, target_index: int,
              base_count: int | None = None) -> None:
    """Set each entry's ``source`` from the Dockerfile stages (an analysis' ``stages``)."""
    chain, base_image = instruction_chain(stages, target_index)
    commands = [entry.command for entry in layers.entries]
    mapping = align(commands, chain, base_count)
    if base_count is not None:
        oldest_match = base_count
    else:
        oldest_match = min(mapping) if mapping else len(layers.entries)
    for index, entry in enumerate(layers.entries):
        if index in mapping:
            step = chain[mapping[index]]
            ins = step.instruction
            entry.source = Source("dockerfile", step.stage, ins.line_start, ins.line_end,
                                  ins.original)
        elif index < oldest_match:
            entry.source = Source("base", base_image=base_image or "(unknown)")
        else:
            entry.source = Source("unknown")


def link_build_steps(layers: ImageLayers, model) -> None:
    """Attach each attributed entry's build step from a ``BuildModel`` (same stage and line);
    entries from the base image have no step."""
    by_place = {(step.stage, step.line_start): step for step in model.steps.values()
                if step.stage is not None and step.line_start is not None}
    for entry in layers.entries:
        step = by_place.get((entry.source.stage, entry.source.line))
        if entry.source.kind == "dockerfile" and step is not None:
            entry.build = BuildStep(step.name, step.state, bool(step.cached), step.duration)


def _base_history_length(client, image_ref: str | None) -> int | None:
    """How many history entries the base image has, when it is present locally."""
    if image_ref is None:
        return 0
    try:
        return len(client.history(image_ref))
    except Exception:  # noqa: BLE001 - absent locally (or unreachable): fall back to alignment
        return None


def attribute_from_dockerfile(client, layers: ImageLayers, text: str, target: str | None,
                              build_args: dict | None) -> None:
    """Tie ``layers`` to the Dockerfile's lines (exact base split when the base image is local)."""
    stages, target_index = load_stages(text, target, build_args)
    _chain, base_image = instruction_chain(stages, target_index)
    base_count = _base_history_length(client, base_image)
    if base_count is not None and base_count > len(layers.entries):
        base_count = None
    attribute(layers, stages, target_index, base_count)
