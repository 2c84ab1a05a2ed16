"""The engine's own steps: what BuildKit does around the Dockerfile's steps, sorted into sections.

Current BuildKit (Docker 23+) names them, measured on Docker 28.5.2:
- context: ``[internal] load remote build context`` and ``copy /context /`` (a tar sent to the
  Engine API), ``[internal] load build definition from Dockerfile``, ``[internal] load .dockerignore``
  and ``[internal] load build context`` (buildx);
- metadata: ``[internal] load metadata for docker.io/...``: a base image's config, for the stages
  FROM it; ``[auth] ...`` steps get registry tokens for it;
- export: ``exporting to image`` with sub-tasks (``exporting layers``, ``exporting manifest
  sha256:...``, ``exporting config``, ``exporting attestation manifest`` (provenance, SBOM: the
  containerd store or another builder), ``exporting manifest list``, ``naming to``, ``unpacking to``),
  and buildx's ``resolving provenance for metadata file``.
BuildKit 0.8 has only ``[internal] load ...`` steps and ``exporting to image``. None of these
belongs to a stage: they are the build's, and the export and its attestations are the final
image's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from msb_tui.builds.attribution import normal_ref
from msb_tui.builds.events import StatusUpdate
from msb_tui.builds.runs import StepRun


class Section(StrEnum):
    """Where an engine step belongs, in the order a build goes through them."""

    CONTEXT = "context"
    METADATA = "metadata"
    EXPORT = "export"
    OTHER = "engine"  # anything else outside the stages (a step of another build sharing ours)


_CONTEXT_NAMES = ("[internal] load remote build context", "copy /context /", "[internal] load build definition",
                  "[internal] load .dockerignore", "[internal] load build context")
_EXPORT_PREFIXES = ("exporting ", "naming to", "writing image", "sending tarball", "copying files", "unpacking to",
                    "pushing ", "resolving provenance", "preparing layers for inline cache", "importing cache")
PROVENANCE_STEP = "resolving provenance for metadata file"


def section_of(name: str) -> Section:
    """The section of an engine step, from its name."""
    lowered = name.lower()
    if lowered.startswith(_CONTEXT_NAMES):
        return Section.CONTEXT
    if lowered.startswith(("[internal] load metadata for ", "[auth] ")):
        return Section.METADATA
    if lowered.startswith(_EXPORT_PREFIXES):
        return Section.EXPORT
    return Section.OTHER


# An export's sub-tasks (VertexStatus ids), as the engine names them -> a short kind.
_PART_KINDS = (
    ("exporting attestation manifest", "attestation"),
    ("exporting manifest list", "index"),
    ("exporting manifest", "manifest"),
    ("exporting config", "config"),
    ("exporting layers", "layers"),
    ("naming to", "name"),
    ("unpacking to", "unpack"),
    ("writing image", "image"),
)


@dataclass(frozen=True)
class ExportPart:
    """One sub-task of an export: ``kind`` (attestation, manifest, config, layers, name, ...) and the
    engine's own words (untrusted)."""

    kind: str
    text: str
    started: float | None = None
    completed: float | None = None

    @property
    def attestation(self) -> bool:
        return self.kind == "attestation"


def part_of(status: StatusUpdate) -> ExportPart:
    text = status.id or status.name
    kind = next((k for prefix, k in _PART_KINDS if text.startswith(prefix)), "other")
    return ExportPart(kind, text, status.started, status.completed)


@dataclass(frozen=True)
class EngineStep:
    """An engine step with what it is for: ``stages`` a metadata load is for (the stages FROM that
    image), ``parts`` of an export, ``provenance`` for an attestation step."""

    step: StepRun
    section: Section
    label: str  # short text for a row (untrusted)
    stages: tuple[str, ...] = ()
    parts: tuple[ExportPart, ...] = ()

    @property
    def provenance(self) -> bool:
        """An attestation step: buildx resolving the provenance, or an export that wrote attestation manifests."""
        return self.step.name == PROVENANCE_STEP or any(part.attestation for part in self.parts)


def _label(step: StepRun, section: Section) -> str:
    name = step.name or step.digest
    if section == Section.METADATA:
        name = name.removeprefix("[internal] load metadata for ")
    return name.removeprefix("[internal] ")


def _stages_from(image: str, analysis, needed: set[str]) -> tuple[str, ...]:
    """The stages needed by this build whose FROM is ``image``."""
    if analysis is None:
        return ()
    ref = normal_ref(image)
    return tuple(stage.display_name for stage in analysis.stages
                 if stage.display_name in needed and stage.base.kind == "image"
                 and stage.base.ref and normal_ref(stage.base.ref) == ref)


def engine_steps(model) -> list[EngineStep]:
    """The model's engine steps, by section (context, metadata, export, other), each in the order the
    engine announced them."""
    needed = {stage.name for stage in model.stages if stage.needed}
    out: list[EngineStep] = []
    for step in model.internal:
        section = section_of(step.name)
        label = _label(step, section)
        stages: tuple[str, ...] = ()
        parts: tuple[ExportPart, ...] = ()
        if section == Section.METADATA and step.name.startswith("[internal] load metadata for "):
            stages = _stages_from(label, model.analysis, needed)
        elif section == Section.EXPORT:
            parts = tuple(part_of(status) for status in step.statuses.values())
        out.append(EngineStep(step, section, label, stages, parts))
    order = list(Section)
    return sorted(out, key=lambda e: order.index(e.section))  # stable: announced order within a section


def final_image(model) -> str:
    """The image the export made, for the rows tied to it: ``the final image (stage final,
    msb/go:1)`` with its names when tagged, else its short id."""
    target = model.analysis.target_name if model.analysis is not None else None
    names = []
    for step in model.internal:
        for status in step.statuses.values():
            text = status.id or ""
            if text.startswith("naming to ") and "moby-dangling@" not in text:
                names.append(text[len("naming to "):])
    image = ", ".join(dict.fromkeys(names)) or (model.image_id or "").removeprefix("sha256:")[:12]
    about = ", ".join(part for part in (f"stage {target}" if target else "", image) if part)
    return f"the final image ({about})" if about else "the final image"


_DIGEST = re.compile(r"(sha256:[0-9a-f]{12})[0-9a-f]{4,}")


def short_digests(text: str) -> str:
    """``sha256:`` digests cut to 12 hex digits (``sha256:94b43a03756b…``)."""
    return _DIGEST.sub(r"\1…", text)
