"""Which files of the build context a Dockerfile can read, for the context report.

The steps and their context sources come from ``cache.steps.StepWalker`` (the same walk the cache
explanation uses: variables expanded as BuildKit sees them, ``COPY``/``ADD`` without ``--from`` and
not remote, ``RUN --mount=type=bind`` without ``from=``, ``ONBUILD`` triggers in the stages that
inherit them); ``steps.covers`` decides which paths a source copies. A source still
holding a variable counts as reaching the whole context (msb-tui does not guess it).
"""

from __future__ import annotations

from dataclasses import dataclass

from msb_tui.analysis import Analysis
from msb_tui.cache.steps import StepWalker, clean_source, covers

WHOLE = ""  # a source that reaches the whole context


@dataclass(frozen=True)
class ContextReader:
    """One step that reads the context, with its sources (``WHOLE`` for all of it)."""

    stage: str
    line: int
    instruction: str  # as written (untrusted: display it as plain text)
    sources: tuple[str, ...]
    variable: bool = False  # a source kept a variable, so it counts as the whole context

    @property
    def whole(self) -> bool:
        return WHOLE in self.sources

    def reaches(self, path: str) -> bool:
        # COPY --exclude is not applied: a file wrongly taken as reachable is only a candidate
        # missed, a file wrongly taken as unreachable would be advice that breaks the build.
        return any(covers(source, path) for source in self.sources)


def context_readers(analysis: Analysis, build_args: dict[str, str] | None = None) -> list[ContextReader]:
    """Every step of every stage (not only the target's) that reads the context."""
    walker = StepWalker(analysis, dict(build_args or {}), None)
    readers = []
    for stage in analysis.stages:
        for facts in walker.stage(stage)[0]:
            if not facts.sources:
                continue  # no context source (COPY --from, a URL, a heredoc)
            variable = any("$" in source for source in facts.sources)
            sources = tuple(WHOLE if "$" in source else clean_source(source) for source in facts.sources)
            readers.append(ContextReader(facts.stage, facts.line or 0, facts.instruction.strip(), sources, variable))
    return readers
