"""The plan's "these stages will run" must be exactly what BuildKit runs.

Each Dockerfile is built on the real engine with the project's Engine API backend; the stages BuildKit ran are
read from the build's own progress (every announced step name, mapped through
``Analysis.stage_for_step_name``) and compared with ``analysis.plan.needed``. Every stage has a
step of its own (a unique ``RUN echo <stage>-marker`` or COPY destination), because BuildKit merges
identical operations across stages and names the merged step after only one of them.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from msb_tui.analysis import analyze
from msb_tui.analysis.versions import engine_buildkit
from msb_tui.builds.events import BuildFailed, ImageBuilt, VertexUpdate
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.offline import offline_build_args

from engine_images import discard_untagged

pytestmark = pytest.mark.engine
REPO = Path(__file__).resolve().parents[2]
B = "ARG BASE_IMAGE=busybox:1.35\n"

# name -> Dockerfile text; each is built for every target listed in BUILDS.
TRICKY = {
    "numeric-from-uppercase": B + (
        "FROM ${BASE_IMAGE}\n"
        "RUN echo zero-marker > /zero\n"
        "FROM ${BASE_IMAGE} AS Builder\n"
        "RUN echo builder-marker > /builder\n"
        "FROM ${BASE_IMAGE} AS unused\n"
        "RUN echo unused-marker\n"
        "FROM scratch AS final\n"
        "COPY --from=0 /zero /zero\n"
        "COPY --from=BUILDER /builder /builder\n"
    ),
    "stage-picked-by-arg": B + (
        "ARG FLAVOR=alpha\n"
        "FROM ${BASE_IMAGE} AS variant-alpha\n"
        "RUN echo alpha-marker > /flavor\n"
        "FROM ${BASE_IMAGE} AS variant-beta\n"
        "RUN echo beta-marker > /flavor\n"
        "FROM variant-${FLAVOR} AS chosen\n"
        "RUN cat /flavor && echo chosen-marker\n"
    ),
    "mounts-and-aliases": B + (
        "FROM ${BASE_IMAGE} AS tools\n"
        "RUN echo tools-marker > /tool\n"
        "FROM ${BASE_IMAGE} AS lonely\n"
        "RUN echo lonely-marker\n"
        "FROM ${BASE_IMAGE} AS app\n"
        "RUN --mount=from=tools,target=/t cat /t/tool && echo app-marker > /app\n"
        "FROM app AS test\n"
        "RUN echo test-marker\n"
        "FROM scratch AS release\n"
        "COPY --from=app /app /app\n"
    ),
    "arg-expanded-bases": (
        "ARG BASE_IMAGE=busybox:1.35\n"
        "ARG SECOND=${BASE_IMAGE}\n"
        "FROM ${BASE_IMAGE} AS one\n"
        "RUN echo one-marker > /one\n"
        "FROM ${SECOND} AS two\n"
        "RUN echo two-marker > /two\n"
        "FROM scratch\n"
        "COPY --from=one /one /one\n"
        "COPY --from=1 /two /two\n"
    ),
    "single-stage": B + "FROM ${BASE_IMAGE}\nRUN echo single-marker\n",
    "single-stage-external-copy": B + (
        "FROM ${BASE_IMAGE}\n"
        "COPY --from=msb-demo/busybox:1.35 /bin/busybox /external-busybox\n"
        "RUN echo external-marker\n"
    ),
    "onbuild-triggers": B + (
        "FROM ${BASE_IMAGE} AS base\n"
        "RUN echo base-marker > /base\n"
        "ONBUILD RUN echo trigger-marker > /trigger\n"
        "FROM base AS child\n"
        "RUN cat /trigger && echo child-marker\n"
        "FROM base AS other\n"
        "RUN echo other-marker\n"
    ),
    "mount-kinds": B + (
        "FROM ${BASE_IMAGE} AS seed\n"
        "RUN mkdir /seed && echo seed-marker > /seed/x\n"
        "FROM ${BASE_IMAGE} AS bound\n"
        "RUN echo bound-marker > /b\n"
        "FROM ${BASE_IMAGE} AS ignored\n"
        "RUN echo ignored-marker\n"
        "FROM ${BASE_IMAGE} AS user\n"
        "RUN --mount=type=cache,from=seed,source=/seed,target=/cache,id=msb-test-corpus-cache cat /cache/x\n"
        "RUN --mount=type=bind,from=bound,source=/b,target=/mnt/b cat /mnt/b\n"
        "RUN --mount=type=tmpfs,target=/scratchpad echo tmpfs-marker\n"
    ),
    "platform-stage": B + (
        "FROM --platform=linux/amd64 ${BASE_IMAGE} AS plat\n"
        "RUN echo plat-marker > /plat\n"
        "FROM scratch AS out\n"
        "COPY --from=plat /plat /plat\n"
    ),
}

@dataclass(frozen=True)
class Build:
    source: str  # a TRICKY key or "demo:<name>"
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.build_args.items())
        return f"{self.source}@{self.target or 'default'}" + (f"[{args}]" if args else "")


def _buildkit(docker_api):
    """The BuildKit of the lane's engine: the plan is exact to it."""
    return engine_buildkit(docker_api.version()["Version"])


BUILDS = [
    Build("numeric-from-uppercase"),
    Build("numeric-from-uppercase", "BUILDER"),
    Build("numeric-from-uppercase", "unused"),
    Build("stage-picked-by-arg"),
    Build("stage-picked-by-arg", build_args={"FLAVOR": "beta"}),
    Build("stage-picked-by-arg", "variant-alpha"),
    Build("mounts-and-aliases"),
    Build("mounts-and-aliases", "test"),
    Build("mounts-and-aliases", "tools"),
    Build("mounts-and-aliases", "app"),
    Build("arg-expanded-bases"),
    Build("arg-expanded-bases", build_args={"SECOND": "msb-demo/busybox:1.35"}),
    Build("single-stage"),
    Build("single-stage-external-copy"),
    Build("onbuild-triggers", "child"),
    Build("onbuild-triggers", "other"),
    Build("onbuild-triggers", "base"),
    Build("mount-kinds"),
    Build("platform-stage"),
    Build("platform-stage", "plat"),
    Build("demo:seed-example"),
    Build("demo:seed-example", "test"),
    Build("demo:seed-example", "build"),
    Build("demo:seed-example", "base"),
    Build("demo:parallel"),
    Build("demo:parallel", "backend"),
    Build("demo:parallel", "docs"),
    Build("demo:go"),
    Build("demo:go", "build"),
    Build("demo:go", "test"),
]


@dataclass
class Observed:
    ok: bool
    error: str | None
    names: dict[str, str]  # digest -> step name
    cached: dict[str, bool]  # digest -> completed from cache
    events: list = field(default_factory=list)  # every engine event, in order


def run_build(client, context: Path, dockerfile: Path | None, target, build_args) -> Observed:
    names, cached, ok, error, image, events = {}, {}, False, None, None, []
    request = BuildInputs(context=context, dockerfile=dockerfile, target=target, build_args=build_args)
    for event in open_backend("engine", client=client, record=False).start(request):
        events.append(event)
        if isinstance(event, VertexUpdate):
            names[event.digest] = event.name
            if event.completed is not None:
                cached[event.digest] = event.cached
        elif isinstance(event, ImageBuilt):
            ok = True
            image = event.image_id
        elif isinstance(event, BuildFailed):
            ok, error = False, event.message
    discard_untagged(client, image)
    return Observed(ok, error, names, cached, events)


def _repeated_instructions(analysis) -> set[str]:
    """Instruction texts found in more than one stage: BuildKit may merge those steps."""
    seen, repeated = set(), set()
    for stage in analysis.stages:
        texts = {instruction.original.strip() for instruction in stage.instructions}
        repeated |= seen & texts
        seen |= texts
    return repeated


def _without_onbuild(text: str) -> str:
    return text[len("ONBUILD "):].lstrip() if text.upper().startswith("ONBUILD ") else text


def _same_step(text: str, instruction) -> bool:
    """Does a step name's text ("RUN echo x") show this instruction (whitespace and keyword case aside)?

    An ONBUILD trigger's step is "RUN ..." on BuildKit 0.8 and "ONBUILD RUN ..." on current BuildKit."""
    original, text = _without_onbuild(instruction.original.strip()), _without_onbuild(text)
    ours, theirs = original.split(None, 1), text.split(None, 1)
    return ours[0].upper() == theirs[0].upper() and " ".join(ours[1:]).split() == " ".join(theirs[1:]).split()


def stages_run(analysis, observed: Observed, wrong_steps: list | None = None) -> tuple[set[int], list[str]]:
    """Stage indexes with at least one step of their own in the solve, and step names nothing claims.

    Only steps unique to one stage count. BuildKit's solver shares identical operations between
    stages and names the merged step after one of them (the parallel demo's shared ``WORKDIR /work``
    is ``[docs 2/3]``), and between builds running close together (seen in full suite runs while
    other builds ran: a target-``backend`` build announcing a stage it does not need, and a
    ``FROM`` named ``[unused 1/2]`` in a file without such a stage). So FROM steps and repeated
    instructions prove nothing about which stage ran.
    """
    repeated = _repeated_instructions(analysis)
    ran, orphans = set(), []
    for name in observed.names.values():
        if not name.startswith("[") or name.startswith("[internal]"):
            continue  # exporting to image, context transfer, metadata loads
        text = name.split("] ", 1)[-1]
        if text.startswith("FROM "):
            continue  # base image steps: shared, and may carry another build's stage name and numbering
        stage = analysis.stage_for_step_name(name)
        hit = analysis.step_for_name(name)
        if stage is None or hit is None:
            orphans.append(name)
            continue
        assert hit[0] is stage, f"{name}: stage_for_step_name and step_for_name disagree"
        instruction = hit[1]
        if instruction is None:
            if wrong_steps is not None:
                wrong_steps.append(f"{name!r} -> no instruction")
            continue
        if instruction.original.strip() in repeated:
            continue
        if wrong_steps is not None and not _same_step(text, instruction):
            wrong_steps.append(f"{name!r} -> line {instruction.line_start}: {instruction.original!r}")
        ran.add(stage.index)
    return ran, orphans


def _prepare(build: Build, tmp_path: Path, offline_images: dict[str, str]):
    if build.source.startswith("demo:"):
        context = REPO / "demo_dockerfiles" / build.source.removeprefix("demo:")
        dockerfile = context / "Dockerfile"
        if not dockerfile.is_file():
            pytest.skip(f"{dockerfile} is not there yet")
        text = dockerfile.read_text()
    else:
        context = tmp_path / build.source
        context.mkdir()
        text = TRICKY[build.source]
        (context / "Dockerfile").write_text(text)
        dockerfile = context / "Dockerfile"
    args = {name: offline_images[name] for name in offline_build_args(text)}
    args.update(build.build_args)
    return context, dockerfile, args


def _names(analysis, indexes) -> list[str]:
    return sorted(analysis.stages[i].display_name for i in indexes)


# Known analysis discrepancies in step_for_name (build id -> reason), strict: they turn red once fixed.
STEP_DISCREPANCIES: dict[str, str] = {}


def _params(discrepancies: dict[str, str]):
    for build in BUILDS:
        marks = []
        if build.source == "demo:go":  # compiles and runs go vet/test: ~40 s on a cold cache, under a second warm
            marks.append(pytest.mark.slow)
        if build.id in discrepancies:
            marks.append(pytest.mark.xfail(strict=True, reason=discrepancies[build.id]))
        yield pytest.param(build, id=build.id, marks=marks)


_BUILT: dict[str, tuple] = {}


@pytest.fixture
def built(docker_api, offline_images, tmp_path_factory):
    """Analyse and build once per Build; the three tests below read the same engine run."""

    def get(build: Build):
        if build.id not in _BUILT:
            context, dockerfile, args = _prepare(build, tmp_path_factory.mktemp("plan"), offline_images)
            analysis = analyze(dockerfile, target=build.target, build_args=args,
                               buildkit=_buildkit(docker_api))
            assert analysis.errors == [], analysis.errors
            assert analysis.plan is not None
            _BUILT[build.id] = (analysis, run_build(docker_api, context, dockerfile, build.target, args))
        analysis, observed = _BUILT[build.id]
        assert observed.ok, observed.error
        return analysis, observed

    return get


@pytest.mark.parametrize("build", list(_params({})))
def test_plan_needs_exactly_the_stages_buildkit_runs(build, built):
    analysis, observed = built(build)
    ran, orphans = stages_run(analysis, observed)
    assert orphans == [], f"step names no stage claims: {orphans}"
    assert ran == analysis.plan.needed, (
        f"plan needs {_names(analysis, analysis.plan.needed)}, BuildKit ran {_names(analysis, ran)}: "
        f"{sorted(observed.names.values())}"
    )
    skipped = set(range(len(analysis.stages))) - analysis.plan.needed
    assert skipped <= set(analysis.plan.skip_reasons), "every skipped stage says why"


@pytest.mark.parametrize("build", list(_params(STEP_DISCREPANCIES)))
def test_step_names_point_at_their_instructions(build, built):
    """step_for_name must give the instruction each step shows: the TUI jumps to its line."""
    analysis, observed = built(build)
    wrong_steps: list[str] = []
    stages_run(analysis, observed, wrong_steps)
    assert wrong_steps == [], "step_for_name maps steps to the wrong instruction: " + "; ".join(wrong_steps)


_STEP_HEAD = re.compile(r"^\[(?P<head>[^\]]*?)\s*(?P<n>\d+)/(?P<m>\d+)\] (?P<text>.*)$", re.S)


def foreign_names(analysis, observed: Observed) -> list[str]:
    """Step names this Dockerfile cannot have produced: they come from another build sharing the vertex.

    A nameless ``[1/2]`` step in a file with several stages, an unknown stage name, a ``FROM`` step
    named after a stage that does not start from an image, or any step named after a stage the plan
    does not need (test_plan_needs_exactly_the_stages_buildkit_runs proves from unique steps that
    such a stage did not run, so its name on a shared vertex came from another build).
    """
    needed = analysis.plan.needed if analysis.plan else set()
    names = {stage.display_name: stage for stage in analysis.stages}
    foreign = []
    for name in observed.names.values():
        match = _STEP_HEAD.match(name)
        if match is None or name.startswith("[internal]"):
            continue
        words = [w for w in match.group("head").split() if "/" not in w]  # drop a platform prefix
        stage = names.get(words[-1]) if words else None
        if not words:
            if len(analysis.stages) > 1:
                foreign.append(name)
        elif stage is None:
            foreign.append(name)
        elif stage.index not in needed or (match.group("text").startswith("FROM ") and stage.base.kind != "image"):
            foreign.append(name)
    return foreign


@pytest.mark.parametrize("build", list(_params({})))
def test_build_model_sees_the_plan_it_was_given(build, built):
    """The whole pipeline: BuildModel(analysis) fed this build's events ends "succeeded" and, unless
    another build's step names leaked in, reports no plan mismatch, one run per Dockerfile stage and
    exactly the plan's skipped stages "skipped". Streams with leaked names replay deterministically
    in tests/unit/test_corpus_model_replay.py."""
    from msb_tui.builds.model import BuildModel

    analysis, observed = built(build)
    model = BuildModel(analysis)
    for event in observed.events:
        model.apply(event)
    assert model.status == "succeeded", model.error
    if foreign_names(analysis, observed):
        return  # replayed deterministically in tests/unit/test_corpus_model_replay.py instead
    assert model.plan_mismatch == [], sorted(observed.names.values())
    assert [run.name for run in model.stages] == [stage.display_name for stage in analysis.stages]
    skipped = {run.name for run in model.stages if run.state == "skipped"}
    planned_skips = {analysis.stages[i].display_name for i in set(range(len(analysis.stages))) - analysis.plan.needed}
    assert skipped == planned_skips


@pytest.fixture(scope="module")
def concurrent_builds(docker_api, offline_images, tmp_path_factory):
    """Our two-stage build runs while a single-stage build of the same base image is running.

    BuildKit shares the identical FROM vertex and keeps the running build's name for it, so our
    build announces ``[1/2] FROM ...``: a nameless step in a file with two stages (seen every time).
    """
    base = offline_images["BASE_IMAGE"]
    token = uuid.uuid4().hex[:12]  # never cached: the holder really runs while ours builds
    holder = tmp_path_factory.mktemp("holder")
    (holder / "Dockerfile").write_text(f"FROM {base}\nRUN sleep 3 && echo holder-{token}\n")
    ours = tmp_path_factory.mktemp("ours")
    (ours / "Dockerfile").write_text(
        f"FROM {base} AS first\nRUN echo first-{token}\nFROM {base} AS second\nRUN echo second-{token}\n"
    )
    started = threading.Event()

    def hold():
        image = None
        for event in open_backend("engine", client=docker_api, record=False).start(BuildInputs(context=holder)):
            if isinstance(event, VertexUpdate) and event.started is not None and "holder-" in event.name:
                started.set()
            elif isinstance(event, ImageBuilt):
                image = event.image_id
        started.set()
        discard_untagged(docker_api, image)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert started.wait(60), "the holder build never started its RUN step"
    observed = run_build(docker_api, ours, ours / "Dockerfile", None, {})
    thread.join(60)
    analysis = analyze(ours / "Dockerfile", buildkit=_buildkit(docker_api))
    assert observed.ok, observed.error
    if not foreign_names(analysis, observed):
        pytest.skip("the engine did not share the FROM vertex this time: " + repr(sorted(observed.names.values())))
    return analysis, observed


def test_foreign_step_names_do_not_fool_the_plan_check(concurrent_builds):
    """The engine fact behind tests/corpus/engine_events/foreign-nameless-from.json, and our attribution
    surviving it."""
    analysis, observed = concurrent_builds
    assert any(name.startswith("[1/2] FROM ") for name in foreign_names(analysis, observed))
    ran, orphans = stages_run(analysis, observed)
    assert orphans == [] and ran == analysis.plan.needed


def test_foreign_step_names_do_not_fool_the_build_model(concurrent_builds):
    from msb_tui.builds.model import BuildModel

    analysis, observed = concurrent_builds
    model = BuildModel(analysis)
    for event in observed.events:
        model.apply(event)
    assert model.status == "succeeded"
    assert [run.name for run in model.stages] == [stage.display_name for stage in analysis.stages]
    assert model.plan_mismatch == []


def test_cached_steps_still_announce_their_stages(docker_api, offline_images, tmp_path):
    """A fully cached rebuild still lists every step (as cached), so attribution works on warm builds."""
    build = Build("mounts-and-aliases", "test")
    context, dockerfile, args = _prepare(build, tmp_path, offline_images)
    analysis = analyze(dockerfile, target=build.target, build_args=args,
                       buildkit=_buildkit(docker_api))
    first = run_build(docker_api, context, dockerfile, build.target, args)
    second = run_build(docker_api, context, dockerfile, build.target, args)
    assert first.ok and second.ok, (first.error, second.error)

    ran, _ = stages_run(analysis, second)
    assert ran == analysis.plan.needed
    steps = {d: n for d, n in second.names.items() if n.startswith("[") and not n.startswith("[internal]")}
    own = {d: n for d, n in steps.items() if " FROM " not in n}  # FROM (image) steps never say cached
    assert own and all(second.cached.get(d) for d in own), f"a warm rebuild reports every step as cached: {own}"


def test_forward_index_on_buildkit_08_uses_the_later_stage_base(docker_api, offline_images, tmp_path):
    """COPY --from=<later stage>: an error since BuildKit 0.13, which analyze() reports (with ``since``);
    BuildKit 0.8 instead copies from that stage's base image without running the stage's own steps."""
    text = (
        B
        + "FROM scratch AS final\n"
        + "COPY --from=1 /bin/busybox /copied-busybox\n"
        + "FROM ${BASE_IMAGE} AS later\n"
        + "RUN echo later-marker > /later\n"
    )
    context = tmp_path / "forward"
    context.mkdir()
    (context / "Dockerfile").write_text(text)
    args = {"BASE_IMAGE": offline_images["BASE_IMAGE"]}
    analysis = analyze(context / "Dockerfile", target="final", build_args=args)
    assert [e.line for e in analysis.errors][:1] == [3], analysis.errors
    assert analysis.errors[0].since == "0.13"

    version = docker_api.version().get("Version", "")
    if not version.startswith("20.10"):
        pytest.skip(f"BuildKit 0.8 behaviour; engine {version} is newer")
    observed = run_build(docker_api, context, context / "Dockerfile", "final", args)
    assert observed.ok, observed.error
    names = list(observed.names.values())
    assert not any("later-marker" in n for n in names), names  # the later stage's own step never ran
    assert any("COPY --from=1" in n for n in names), names
    planned = analyze(context / "Dockerfile", target="final", build_args=args,
                      buildkit=_buildkit(docker_api))
    assert planned.ok and planned.plan.needed == {0}, planned.errors  # the plan for 0.8 says the same
