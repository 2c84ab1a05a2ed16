"""The layers of an image: its history entries, which of them own a layer, and their sizes.

The engine knows an image's history (``GET /images/{name}/history``, newest first) and its layer
diff ids (``inspect_image``: ``RootFS.Layers``, oldest first). A history entry is "empty" when its
instruction changed only metadata (ENV, LABEL, ARG, CMD, ...); the others own one layer each, in
order. The image config in an export says exactly which entries are empty (``empty_layer``);
without it the split is inferred from sizes and instruction kinds.

``created_by`` comes in several dialects (:mod:`msb_tui.image.attribution` ties entries to lines):
BuildKit (``RUN |1 TOKEN=x /bin/sh -c make # buildkit``, ``COPY /out/app /app # buildkit``,
``WORKDIR /src``) and the classic builder (``/bin/sh -c #(nop)  ENV A=b``,
``/bin/sh -c #(nop) COPY file:0af3... in /app``, ``|1 A=b /bin/sh -c make``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from msb_tui.image.platforms import image_json, platform_text

# Instructions that only change the image config (never a layer).
METADATA_CMDS = frozenset(
    {"ENV", "LABEL", "ARG", "CMD", "ENTRYPOINT", "EXPOSE", "USER", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER", "ONBUILD"}
)
KNOWN_CMDS = METADATA_CMDS | {"RUN", "COPY", "ADD", "WORKDIR", "FROM"}
_SHELL_PREFIX = re.compile(r"^(?:/bin/sh|/bin/bash|sh|bash|cmd|powershell)(?:\s+-\w+)*\s+-c\s+")
_NOP = re.compile(r"^(?:/bin/sh -c )?#\(nop\)\s*")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")


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
    text = text.removesuffix("# buildkit").rstrip()
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
    # Layers no sized entry accounts for go to the oldest "maybe" entries (base images come first).
    spare = max(0, layer_count - kinds.count("layer"))
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
    """History and layers of ``image`` from the engine; ``config`` (from an export) makes the
    empty entries exact; ``inspect``: the image's inspect, when the caller has it already.

    On the classic store the engine's sizes are content sizes. On the containerd store inspect's
    Size is the compressed size and history sizes are snapshot disk use: :func:`apply_archive_sizes`
    puts content and compressed sizes in once the layers were read."""
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
        engine_size=engine_size,
        platform=platform or platform_text(inspect.get("Os"), inspect.get("Architecture"),
                                           inspect.get("Variant")),
    )


def apply_archive_sizes(layers: ImageLayers, archive) -> None:
    """Content sizes from the layers' files and compressed sizes from the manifest, on the
    containerd store (the classic store's own sizes are content sizes already)."""
    if layers.store != "containerd":
        return
    layers.size = 0
    for entry in layers.entries:
        index = entry.layer_index
        if index is None or index >= len(archive.layers):
            continue
        entry.size = archive.layers[index].file_bytes
        layers.size += entry.size
        if archive.compressed and index < len(archive.blob_sizes):
            entry.compressed_size = archive.blob_sizes[index]
    layers.size_kind = "content"
    layers.compressed_size = archive.compressed_size
