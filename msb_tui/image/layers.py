"""The layers of an image and the Dockerfile instruction behind each.

The engine knows an image's history (``GET /images/{name}/history``, newest first) and its layer
diff ids (``inspect_image``: ``RootFS.Layers``, oldest first). A history entry is "empty" when its
instruction changed only metadata (ENV, LABEL, ARG, CMD, ...); the others own one layer each, in
order. The image config in an export says exactly which entries are empty (``empty_layer``);
without it the split is inferred from sizes and instruction kinds.

Entries are tied to the Dockerfile by aligning them, newest first, with the target stage's
instructions (and, through ``FROM <stage>`` chains, its parents'). What is left below the
oldest match came from the base image. ``created_by`` comes in several dialects:
BuildKit (``RUN |1 TOKEN=x /bin/sh -c make # buildkit``, ``COPY /out/app /app # buildkit``,
``WORKDIR /src``) and the classic builder (``/bin/sh -c #(nop)  ENV A=b``,
``/bin/sh -c #(nop) COPY file:0af3... in /app``, ``|1 A=b /bin/sh -c make``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from msb_tui.analysis.stages import stage_for_ref

# Instructions that only change the image config (never a layer).
METADATA_CMDS = frozenset(
    {"ENV", "LABEL", "ARG", "CMD", "ENTRYPOINT", "EXPOSE", "USER", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER", "ONBUILD"}
)
KNOWN_CMDS = METADATA_CMDS | {"RUN", "COPY", "ADD", "WORKDIR", "FROM"}
_SHELL_PREFIX = re.compile(r"^(?:/bin/sh|/bin/bash|sh|bash|cmd|powershell)(?:\s+-\w+)*\s+-c\s+")
_NOP = re.compile(r"^(?:/bin/sh -c )?#\(nop\)\s*")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_TOKEN = re.compile(r"[A-Za-z0-9_./:=${}@+-]+")


@dataclass(frozen=True, slots=True)
class HistoryCommand:
    """What a ``created_by`` string says: the instruction, its text, and RUN's build args."""

    cmd: str  # "RUN", "COPY", ... or "" when unknown (imported images have no created_by)
    text: str  # the instruction's arguments as the engine recorded them
    build_args: tuple[tuple[str, str], ...] = ()
    buildkit: bool = False


def parse_created_by(created_by: str) -> HistoryCommand:
    """Normalise a history ``created_by`` string from BuildKit or the classic builder."""
    text = (created_by or "").strip()
    buildkit = text.endswith("# buildkit")
    if buildkit:
        text = text[: -len("# buildkit")].rstrip()
    nop = _NOP.match(text)
    if nop:
        rest = text[nop.end() :].strip()
        cmd, _, body = rest.partition(" ")
        return HistoryCommand(cmd.upper(), body.strip(), (), buildkit)
    cmd, _, body = text.partition(" ")
    if cmd.upper() in KNOWN_CMDS and cmd.isupper():
        if cmd != "RUN":
            return HistoryCommand(cmd, body.strip(), (), buildkit)
        text = body.strip()
    elif not (_BUILD_ARGS.match(text) or _SHELL_PREFIX.match(text)):
        return HistoryCommand("", text, (), buildkit)
    # a RUN: optional "|N k=v ..." build args, then the shell invocation
    args: list[tuple[str, str]] = []
    match = _BUILD_ARGS.match(text)
    if match:
        count = int(match.group(1))
        rest = text[match.end() :]
        for _ in range(count):
            token, _, rest = rest.partition(" ")
            key, _, value = token.partition("=")
            args.append((key, value))
        text = rest
    text = _SHELL_PREFIX.sub("", text, count=1)
    return HistoryCommand("RUN", text.strip(), tuple(args), buildkit)


@dataclass(slots=True)
class Source:
    """Where a layer came from: a Dockerfile instruction, or the base image."""

    kind: str  # "dockerfile", "base" or "unknown"
    stage: str | None = None  # display name of the stage ("build", "stage-0")
    line: int | None = None
    line_end: int | None = None
    instruction: str | None = None  # the instruction as written (untrusted text)
    base_image: str | None = None  # for kind "base": the image the stage started from

    @property
    def label(self) -> str:
        if self.kind == "dockerfile":
            return f"{self.stage} line {self.line}"
        if self.kind == "base":
            return f"base image: {self.base_image}" if self.base_image else "base image"
        return "?"


@dataclass(frozen=True, slots=True)
class BuildStep:
    """What the build said about the step behind a layer: cached or run, and how long it took."""

    name: str
    state: str
    cached: bool
    duration: float | None


@dataclass(slots=True)
class LayerInfo:
    """One history entry of an image (oldest is index 0) and the layer it produced, if any."""

    index: int
    created_by: str
    command: HistoryCommand
    empty: bool
    size: int = 0
    created: str | int | None = None
    layer_index: int | None = None  # position in the image's diff ids (None for empty entries)
    diff_id: str | None = None
    comment: str = ""
    source: Source = field(default_factory=lambda: Source("unknown"))
    build: BuildStep | None = None  # the build step that made it, when a BuildModel is at hand
    compressed_size: int | None = None  # the layer blob as the containerd store keeps it (gzip)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["source"]["label"] = self.source.label
        data["command"] = {"cmd": self.command.cmd, "text": self.command.text}
        return data


@dataclass(slots=True)
class ImageLayers:
    """An image's history entries (oldest first) tied to its layers."""

    image_id: str
    tags: list[str]
    size: int  # content: bytes of the files the layers hold (see size_kind)
    entries: list[LayerInfo]
    diff_ids: list[str]
    exact_empty: bool  # empty entries known from the config, not inferred
    config: dict = field(default_factory=dict)
    store: str = "classic"  # the engine's image store: "classic" (graph driver) or "containerd"
    # What ``size`` and each entry's ``size`` measure: "content" (file bytes: what the classic store
    # reports, and what the layer contents give on the containerd store) or "disk" (the containerd
    # store's snapshot disk use, block-rounded: its history sizes, used only when the layers were
    # not read).
    size_kind: str = "content"
    compressed_size: int | None = None  # manifest + config + compressed layers (containerd store)
    engine_size: int = 0  # ``docker image inspect`` Size as the engine reported it
    platform: str | None = None

    @property
    def layers(self) -> list[LayerInfo]:
        """The entries that own a layer, bottom first."""
        return [entry for entry in self.entries if not entry.empty]


def _infer_empty(history_oldest_first: list[dict], layer_count: int) -> list[bool]:
    """Which API history entries are empty, when the config's ``empty_layer`` flags are unknown."""
    kinds = []
    for item in history_oldest_first:
        command = parse_created_by(item.get("CreatedBy", ""))
        if item.get("Size", 0) > 0:
            kinds.append("layer")
        elif command.cmd in METADATA_CMDS:
            kinds.append("empty")
        else:
            kinds.append("maybe")  # a RUN/COPY/WORKDIR that added 0 bytes, or an unknown entry
    definite = kinds.count("layer")
    maybe = kinds.count("maybe")
    if definite + maybe == layer_count:
        return [kind == "empty" for kind in kinds]
    if definite == layer_count:
        return [kind != "layer" for kind in kinds]
    # Ambiguous: give the remaining layers to the oldest "maybe" entries (base images come first).
    spare = max(0, layer_count - definite)
    result = []
    for kind in kinds:
        if kind == "maybe" and spare:
            spare -= 1
            result.append(False)
        else:
            result.append(kind != "layer")
    return result


def read_layers(client, image: str, config: dict | None = None, platform: str | None = None,
                inspect: dict | None = None) -> ImageLayers:
    """History and layers of ``image`` from the engine; ``config`` (from an export) makes empties exact;
    ``inspect``: the image's inspect, when the caller has it already.

    On the classic store the engine's sizes are content sizes. On the containerd store inspect's
    Size is the compressed size and history sizes are snapshot disk use: :func:`apply_archive_sizes`
    puts content and compressed sizes in once the layers were read."""
    from msb_tui.image.platforms import image_json

    inspect = inspect if inspect is not None else image_json(client, image, "json", platform)
    history = list(reversed(image_json(client, image, "history", platform)))  # oldest first
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    config_history = (config or {}).get("history") or []
    exact = bool(config_history) and len(config_history) == len(history)
    if exact:
        empties = [bool(item.get("empty_layer")) for item in config_history]
    else:
        empties = _infer_empty(history, len(diff_ids))
    entries = []
    layer_index = 0
    for index, (item, empty) in enumerate(zip(history, empties)):
        created_by = item.get("CreatedBy") or ""
        entry = LayerInfo(
            index=index,
            created_by=created_by,
            command=parse_created_by(created_by),
            empty=empty,
            size=int(item.get("Size") or 0),
            created=item.get("Created"),
            comment=item.get("Comment") or "",
        )
        if not empty and layer_index < len(diff_ids):
            entry.layer_index = layer_index
            entry.diff_id = diff_ids[layer_index]
            layer_index += 1
        entries.append(entry)
    # Only the containerd store describes an image by its manifest (a "Descriptor").
    containerd = bool(inspect.get("Descriptor"))
    engine_size = int(inspect.get("Size") or 0)
    return ImageLayers(
        image_id=inspect.get("Id", ""),
        tags=list(inspect.get("RepoTags") or []),
        size=sum(entry.size for entry in entries) if containerd else engine_size,
        entries=entries,
        diff_ids=diff_ids,
        exact_empty=exact,
        config=inspect.get("Config") or {},
        store="containerd" if containerd else "classic",
        size_kind="disk" if containerd else "content",
        compressed_size=None,
        engine_size=engine_size,
        platform=platform or _platform_of(inspect),
    )


def _platform_of(inspect: dict) -> str | None:
    if not inspect.get("Os") or not inspect.get("Architecture"):
        return None
    return "/".join(str(p) for p in (inspect["Os"], inspect["Architecture"], inspect.get("Variant")) if p)


def apply_archive_sizes(layers: ImageLayers, archive) -> None:
    """Content sizes from the layers' files and compressed sizes from the manifest, on the
    containerd store (the classic store's own sizes are content sizes already)."""
    if layers.store != "containerd":
        return
    for entry in layers.entries:
        index = entry.layer_index
        if index is None or index >= len(archive.layers):
            continue
        entry.size = archive.layers[index].file_bytes
        if archive.compressed and index < len(archive.blob_sizes):
            entry.compressed_size = archive.blob_sizes[index]
    layers.size = sum(archive.layers[entry.layer_index].file_bytes for entry in layers.entries
                      if entry.layer_index is not None and entry.layer_index < len(archive.layers))
    layers.size_kind = "content"
    layers.compressed_size = archive.compressed_size


# --- tying history entries to Dockerfile instructions -------------------------------------------------


@dataclass(slots=True)
class ChainStep:
    """A Dockerfile instruction that may have produced a history entry, with its stage."""

    stage: str
    instruction: object  # analysis Instruction: cmd, original, line_start, line_end, value, json, flags


def instruction_chain(stages, target_index: int) -> tuple[list[ChainStep], str | None]:
    """Instructions that built the target stage's image, oldest first, and the base image at the bottom.

    Follows ``FROM <stage>`` to the parent stage; the chain ends at an image (its ref) or scratch (None).
    """
    chain: list[ChainStep] = []
    stage = stages[target_index]
    seen = set()
    base_image = None
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        steps = [ChainStep(stage.display_name, ins) for ins in stage.instructions if ins.cmd != "FROM"]
        chain = steps + chain
        base = stage.base
        if base.kind == "stage":
            parent_index = getattr(base, "stage_index", None)
            if parent_index is not None and 0 <= parent_index < len(stages):
                parent = stages[parent_index]
            else:
                parent = stage_for_ref(stages[: stage.index], base.ref)
            if parent is None:
                base_image = base.ref
            stage = parent
        else:
            base_image = None if base.kind == "scratch" else base.ref
            stage = None
    return chain, base_image


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text))


def _similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _instruction_text(ins) -> str:
    value = list(getattr(ins, "value", ()) or ())
    if ins.cmd == "RUN":
        return " ".join(value)
    if ins.cmd == "ENV" and not getattr(ins, "json", False) and len(value) % 2 == 0:
        return " ".join(f"{value[i]}={value[i + 1]}" for i in range(0, len(value), 2))
    text = ins.original.split(None, 1)[1] if " " in ins.original.strip() else ""
    return text


def match_score(entry: HistoryCommand, ins) -> float:
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
        if " in " in text and (text.startswith("file:") or text.startswith("dir:") or text.startswith("multi:")):
            text = text.rsplit(" in ", 1)[1].strip()  # classic: "file:<hash> in /dest"
            value = list(getattr(ins, "value", ()) or ())
            wanted = value[-1] if value else wanted
        else:
            wanted = " ".join(getattr(ins, "value", ()) or ()) or wanted
    if cmd == "ENV":
        # compare the names only: values may have been expanded
        text = " ".join(part.split("=", 1)[0] for part in text.split())
        wanted = " ".join(part.split("=", 1)[0] for part in wanted.split())
    return base + 0.5 * _similarity(text.strip(), wanted.strip())


_SKIP_ENTRY = 0.6  # cost of a history entry inside the Dockerfile's range that matches nothing
_SKIP_INSTRUCTION = 0.05  # an instruction with no entry (FROM, old BuildKit's ARG) is cheap


def align(entries: list[HistoryCommand], chain: list[ChainStep], base_count: int | None = None) -> dict[int, int]:
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
    end = limit if base_count is not None else max(range(limit + 1), key=lambda i: (score[i][m], -i))
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


def attribute(layers: ImageLayers, stages, target_index: int, base_count: int | None = None) -> None:
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
            entry.source = Source(
                "dockerfile", step.stage, ins.line_start, getattr(ins, "line_end", ins.line_start), ins.original
            )
        elif index < oldest_match:
            entry.source = Source("base", base_image=base_image or "(unknown)")
        else:
            entry.source = Source("unknown")


def link_build_steps(layers: ImageLayers, model) -> int:
    """Attach each attributed entry's build step from a ``BuildModel`` (same stage and line).

    Returns how many entries got one. Steps are matched on the analysis-derived ``stage`` and
    ``line_start`` the model gives them; entries from the base image have no step.
    """
    by_place = {}
    for step in getattr(model, "steps", {}).values():
        if step.stage is not None and step.line_start is not None:
            by_place[(step.stage, step.line_start)] = step
    linked = 0
    for entry in layers.entries:
        source = entry.source
        if source.kind != "dockerfile":
            continue
        step = by_place.get((source.stage, source.line))
        if step is None:
            continue
        entry.build = BuildStep(step.name, step.state, bool(step.cached), step.duration)
        linked += 1
    return linked
