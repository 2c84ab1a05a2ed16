"""ONBUILD triggers of external base images: what the plan cannot see in the Dockerfile.

An image built with ``ONBUILD COPY --from=<stage>`` (or ``ONBUILD RUN --mount=from=<stage>``) makes
current BuildKit run that stage of the Dockerfile that builds FROM the image. The Dockerfile alone
does not show this, so a plan with skipped stages is only certain once the triggers of every needed
external base image are known (the caller inspects them on the engine: ``Config.OnBuild``).
"""

from __future__ import annotations

from collections.abc import Mapping

from msb_tui.analysis.plan import Plan

_READS_FROM = ("--from", "from=")


def image_trigger_notes(model, plan: Plan, image_triggers: Mapping[str, list[str] | None] | None) -> list[str]:
    """Why the plan may be wrong because of base images: empty when it is certain.

    ``image_triggers``: {image ref: its ONBUILD triggers, or None when the image could not be
    inspected}. Nothing to say when every stage already runs (triggers cannot add one)."""
    if len(plan.needed) == len(model.stages):
        return []
    known = image_triggers or {}
    unseen: list[str] = []
    notes: list[str] = []
    for index in sorted(plan.needed):
        stage = model.stages[index]
        if stage.base.kind != "image":
            continue
        ref = stage.base.ref
        triggers = known.get(ref)
        if ref not in known or triggers is None:
            if ref not in unseen:
                unseen.append(ref)
            continue
        readers = [trigger for trigger in triggers if any(word in trigger for word in _READS_FROM)]
        if readers:
            notes.append(
                f"base image {ref} (stage `{stage.display_name}`) has ONBUILD triggers that read from other "
                f"stages or images ({'; '.join(readers)}): BuildKit may run stages this plan skips"
            )
    if unseen:
        notes.append(
            "not certain: the ONBUILD triggers of " + ", ".join(unseen) + " were not inspected; a trigger "
            "such as ONBUILD COPY --from=<stage> would make BuildKit run a stage this plan skips"
        )
    return notes
