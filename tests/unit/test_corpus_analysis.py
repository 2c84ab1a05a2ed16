"""analyze() must judge every corpus Dockerfile exactly as current BuildKit does (pure, no engine).

A case BuildKit accepts must give no errors and a plan; a rejected one must give errors whose first
(``errors[0]``, what a real build reports) blames the line BuildKit blames, or no line when BuildKit's
error has none. Where a case records stages / base kinds / needed stages, those must match too.
"""

from __future__ import annotations


import pytest

from msb_tui.analysis import analyze

import cases as corpus  # tests/corpus/cases.py (on sys.path through conftest)

CASES = corpus.load_cases()

# Discrepancies between analyze() and BuildKit that are known and reported (name -> reason).
KNOWN_DISCREPANCIES: dict[str, str] = {}


def _analyze(case):
    return analyze(case.path, target=case.target, build_args=dict(case.build_args), platform=case.platform)


def _describe(analysis) -> str:
    errors = "; ".join(f"line {e.line}: {e.message} [{e.code}]" for e in analysis.errors) or "no errors"
    return f"{errors} | stages {[s.display_name for s in analysis.stages]}"


def _params():
    for name in CASES:
        marks = ()
        if name in KNOWN_DISCREPANCIES:
            marks = (pytest.mark.xfail(strict=True, reason=KNOWN_DISCREPANCIES[name]),)
        yield pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", list(_params()))
def test_analysis_verdict_matches_buildkit(name):
    case = CASES[name]
    analysis = _analyze(case)
    if case.verdict == "accept":
        assert analysis.errors == [], f"{name}: BuildKit accepts ({case.exercises}) but analyze() says {_describe(analysis)}"
        assert analysis.plan is not None, f"{name}: accepted but no plan"
    else:
        assert analysis.errors, f"{name}: BuildKit rejects ({case.exercises}) but analyze() found no error"
        first = analysis.errors[0]
        expected = None if case.no_line else case.line
        assert first.line == expected, f"{name}: BuildKit blames line {expected}; analyze() says {_describe(analysis)}"


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.stages or c.bases or c.needed])
def test_analysis_stages_match_buildkit(name):
    case = CASES[name]
    analysis = _analyze(case)
    if case.stages is not None:
        assert [s.display_name for s in analysis.stages] == list(case.stages)
    if case.bases is not None:
        assert [s.base.kind for s in analysis.stages] == list(case.bases)
    if case.needed is not None:
        assert analysis.plan is not None, _describe(analysis)
        want = {item if isinstance(item, int) else _index_of(analysis, item) for item in case.needed}
        assert analysis.plan.needed == want, (
            f"{name}: plan needs {sorted(analysis.plan.needed)}, BuildKit runs {sorted(want)} ({list(case.needed)})"
        )


def _index_of(analysis, display_name: str) -> int:
    matches = [s.index for s in analysis.stages if s.display_name == display_name]
    assert len(matches) == 1, f"display name {display_name!r} is ambiguous or missing: use an index in cases.toml"
    return matches[0]


def test_every_corpus_file_has_a_case():
    files = {p.name.removesuffix(".Dockerfile") for p in corpus.CORPUS_DIR.glob("*.Dockerfile")}
    assert files == set(CASES)


def test_corpus_is_broad():
    assert len(CASES) >= 40
    assert sum(c.verdict == "accept" for c in CASES.values()) >= 15
    assert sum(c.verdict == "reject" for c in CASES.values()) >= 15
    assert any(c.needs_buildkit for c in CASES.values())
    assert all(c.exercises for c in CASES.values())


def test_files_that_crash_an_engine_are_never_sent_to_it():
    """dockerd 20.10 panics on files with no FROM (read as BuildKit reads them, not with splitlines())
    and on RUN --mount=type=tmpfs,from=: such cases must be analysis-only or marked crashes_08."""
    from msb_tui.analysis.safety import engine_safety

    crashing = []
    for name, case in CASES.items():
        refused = engine_safety(case.source, (0, 8))
        if refused is not None and refused.crash:
            crashing.append(name)
            assert case.analysis_only or case.crashes_08, f"{name} crashes BuildKit 0.8 ({refused}): mark it"
    assert len(crashing) >= 8, crashing
