"""Lint rules of our own about multi-stage builds (``lint.py`` keeps BuildKit's build checks):
SdkImageInFinalStage, UnusedStage and StageSelectedByArg, UnpinnedBaseImage, CacheBustingCopy,
FromUnknownStage, UnusedBuildArg (docker's "not consumed" warning) and MaxDepthExceeded.
"""

from __future__ import annotations

import re

from msb_tui.analysis.errors import Finding
from msb_tui.analysis.model import Model
from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.plan import Plan
from msb_tui.analysis.platforms import PLATFORM_ARGS
from msb_tui.analysis.references import reference_error, split_reference
from msb_tui.analysis.stages import Stage, base_chain

# Base images that hold a build toolchain: fine to build in, heavy and exposed to ship.
# (pattern on the repository's last path component or full path, tags that make it a runtime image)
SDK_IMAGES: list[tuple[re.Pattern[str], re.Pattern[str] | None, str]] = [
    (re.compile(r"(^|/)golang$"), None, "Go SDK"),
    (re.compile(r"(^|/)rust$"), None, "Rust toolchain"),
    (re.compile(r"(^|/)maven$"), None, "Maven + JDK"),
    (re.compile(r"(^|/)gradle$"), None, "Gradle + JDK"),
    (re.compile(r"(^|/)gcc$"), None, "GCC toolchain"),
    (re.compile(r"(^|/)buildpack-deps$"), None, "build dependencies"),
    (re.compile(r"(^|/)dotnet/sdk$"), None, ".NET SDK"),
    (re.compile(r"(^|/)(openjdk|eclipse-temurin|amazoncorretto)$"), re.compile(r"jre"), "JDK"),
    (re.compile(r"(^|/)node$"), re.compile(r"slim|alpine|distroless"), "Node.js with build tools"),
    (re.compile(r"(^|/)python$"), re.compile(r"slim|alpine"), "Python with compilers"),
    (re.compile(r"(^|/)ruby$"), re.compile(r"slim|alpine"), "Ruby with compilers"),
]

_DEPENDENCY_INSTALL = re.compile(
    r"\b(npm\s+(ci|install|i)\b|yarn(\s+install)?\b|pnpm\s+(install|i)\b|pip3?\s+(install|wheel|download)\b|poetry\s+install\b|"
    r"pipenv\s+install\b|uv\s+(sync|pip\s+install)\b|go\s+mod\s+download\b|bundle(\s+install)?\b|"
    r"composer\s+install\b|cargo\s+(fetch|build)\b|mvn\b.*\b(dependency:|install|package)|"
    r"gradle\w*\b.*\b(dependencies|build)\b|dotnet\s+restore\b|apt-get\s+install\b|apk\s+add\b)"
)


# pip installing (or making a wheel of) the project itself (``pip install .``, ``pip wheel --no-deps .``):
# it needs the sources, so it belongs after the copy of the whole context.
_PIP_PROJECT = re.compile(r"\bpip3?\s+(?:install|wheel)\b[^&;|]*\s(?:-e\s+)?\.(?:\[[^\]]*\])?(?=\s|$)")
_PIP_REQUIREMENTS = re.compile(r"\s(?:-r|--requirement)[\s=]")


def installs_dependencies(instruction: Instruction) -> bool:
    """A RUN that installs or downloads dependencies (``npm ci``, ``go mod download``, ``pip install -r``):
    the step CacheBustingCopy wants above the copy of the whole context."""
    if instruction.cmd != "RUN":
        return False
    command = " ".join(instruction.value)
    if not _DEPENDENCY_INSTALL.search(command):
        return False
    return not (_PIP_PROJECT.search(command) and not _PIP_REQUIREMENTS.search(command))



def root_image(model: Model, stage: Stage) -> str | None:
    """The image a stage ultimately starts from (following FROM <stage>), None for scratch."""
    root = base_chain(model.stages, stage)[-1]
    return root.base.ref if root.base.kind == "image" else None


def sdk_kind(ref: str) -> str | None:
    """What toolchain an image reference holds, per ``SDK_IMAGES``; None for runtime images."""
    name, tag, _digest = split_reference(ref)
    for pattern, runtime_tags, label in SDK_IMAGES:
        if pattern.search(name):
            if runtime_tags is not None and tag and runtime_tags.search(tag):
                return None
            return label
    return None


def _multistage_rules(model: Model, plan: Plan | None, findings: list[Finding]) -> None:
    final = model.stages[plan.target] if plan else model.stages[-1]
    image = root_image(model, final)
    if image:
        kind = sdk_kind(image)
        if kind:
            findings.append(Finding(
                "SdkImageInFinalStage", "warning", final.line_start,
                f"The final stage `{final.display_name}` is based on {image} ({kind}): the toolchain ships "
                "in the image",
                "build in an SDK stage, then COPY --from=<it> the result into a slim runtime or scratch stage",
            ))
    depended_on = {dep for deps in model.needs for dep in deps}
    last = len(model.stages) - 1
    selectors = dynamic_froms(model)
    for stage in model.stages:
        picked_by = _picked_by(model, stage, selectors) if stage.index != last else None
        if picked_by is not None:
            if stage.index not in depended_on:
                findings.append(Finding("StageSelectedByArg", "info", stage.line_start, picked_by,
                                         "keep it: another build argument or platform uses it"))
        elif stage.index != last and stage.index not in depended_on:
            findings.append(Finding(
                "UnusedStage", "info", stage.line_start,
                f"Stage `{stage.display_name}` is needed by no other stage: it only runs with "
                f"--target {stage.name or stage.display_name}",
                "fine for test/debug targets; otherwise remove it" if stage.name
                else "name it (FROM ... AS name) so it can be a --target, or remove it",
            ))
        if stage.base.kind == "image" and stage.base.ref and not reference_error(stage.base.ref):
            _name, tag, digest = split_reference(stage.base.ref)
            if not digest and (tag is None or tag == "latest"):
                what = "has no tag" if tag is None else "uses the tag 'latest'"
                findings.append(Finding(
                    "UnpinnedBaseImage", "warning", stage.line_start,
                    f"Base image {stage.base.ref} {what}: builds change when it moves",
                    "pin a version tag (or a digest)",
                ))
        copy_all_line = _context_copy_line(stage)
        if copy_all_line is not None:
            for instruction in stage.instructions:
                if instruction.line_start > copy_all_line and installs_dependencies(instruction):
                    findings.append(Finding(
                        "CacheBustingCopy", "warning", copy_all_line,
                        f"COPY of the whole context (line {copy_all_line}) comes before installing dependencies "
                        f"(line {instruction.line_start}): any source change re-runs the install",
                        "copy only the dependency manifests (package.json, go.mod, requirements.txt, ...), "
                        "install, then copy the rest",
                    ))
                    break


def _context_copy_line(stage: Stage) -> int | None:
    """The line of the stage's first copy of the whole context (``COPY . <dest>``), or None."""
    for instruction in stage.instructions:
        sources = instruction.value[:-1]
        if instruction.cmd in ("COPY", "ADD") and ("." in sources or "./" in sources) and not any(
            flag.startswith("--from=") for flag in instruction.flags
        ):
            return instruction.line_start
    return None


def _edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Levenshtein distance, giving up (returning limit + 1) once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def _unknown_source_rules(model: Model, findings: list[Finding]) -> None:
    """COPY --from / RUN --mount from= naming no stage: BuildKit then pulls an image of that name.

    Intended when it looks like an image (``nginx:1.25``, ``ghcr.io/x/y``); a likely typo when it is
    close to a stage name (error) or a bare word with no tag or registry (warning)."""
    names = sorted({stage.name for stage in model.stages if stage.name})
    for source, kind, line in model.external_sources:
        flag = "--from=" if kind == "copy" else "--mount=...,from="
        close = [name for name in names if _edit_distance(source.lower(), name) <= 2]
        if close:
            findings.append(Finding(
                "FromUnknownStage", "error", line,
                f"{flag}{source} names no stage, so BuildKit will try to pull an image called "
                f"'{source}' (did you mean `{close[0]}`?)",
                f"write {flag}{close[0]}",
            ))
        elif "/" not in source and ":" not in source and "@" not in source:
            findings.append(Finding(
                "FromUnknownStage", "warning", line,
                f"{flag}{source} names no stage, so BuildKit will try to pull an image called '{source}'",
                "name an existing stage, or give the image a tag",
            ))


def dynamic_froms(model: Model) -> list[tuple[Stage, re.Pattern[str], list[str]]]:
    """(stage, pattern of the stage names its FROM can expand to, variables used) for every FROM
    whose base holds a variable (``FROM alpine-${TARGETARCH}``)."""
    found = []
    for stage in model.stages:
        raw = stage.base_raw
        if "$" not in raw:
            continue
        parts = re.split(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*", raw)
        names = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)", raw)
        pattern = re.compile("^" + ".*".join(re.escape(part.lower()) for part in parts) + "$")
        found.append((stage, pattern, [a or b for a, b in names]))
    return found


def _picked_by(model: Model, stage: Stage, selectors) -> str | None:
    """How a stage can be chosen by a FROM with a variable, or None when no such FROM can name it."""
    if not stage.name:
        return None
    for user, pattern, variables in selectors:
        if user.index <= stage.index or not pattern.match(stage.name):
            continue
        how = []
        for variable in variables:
            if variable in PLATFORM_ARGS:
                how.append(f"the platform ({variable}, --platform)")
            else:
                arg = model.global_args.get(variable)
                depends = arg is not None and arg.default is not None and any(
                    name in arg.default for name in PLATFORM_ARGS)
                how.append(f"--build-arg {variable}=..." + (" or the platform (its default uses it)" if depends else ""))
        value = _variable_value(user.base_raw, stage.name) if len(variables) == 1 else None
        chosen = f" ({variables[0]}={value})" if value is not None else ""
        return (f"Stage `{stage.name}` is chosen by `FROM {user.base_raw}` (line {user.line_start}) when its "
                f"name comes out of {', '.join(how) or 'a build argument'}{chosen}; this build picks "
                f"`{user.base.ref}`")
    return None


def _variable_value(raw: str, name: str) -> str | None:
    """The value of the one variable in ``raw`` (``alpine-${TARGETARCH}``) that yields ``name``."""
    match = re.fullmatch(r"(.*?)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)", raw)
    if not match:
        return None
    prefix, suffix = match.group(1).lower(), match.group(4).lower()
    if name.startswith(prefix) and name.endswith(suffix) and len(name) >= len(prefix) + len(suffix):
        return name[len(prefix):len(name) - len(suffix)]
    return None


# Build args every build accepts without an ARG (docker's built-in proxies, BuildKit's own switches).
_ALWAYS_CONSUMED = frozenset({
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
    "ALL_PROXY", "all_proxy", "SOURCE_DATE_EPOCH", *PLATFORM_ARGS,
})


def _unused_build_args(model: Model, plan: Plan | None, build_args: dict[str, str], findings: list[Finding]) -> None:
    """Like docker: "[Warning] One or more build-args [FOO] were not consumed" (no ARG declares them
    in the global scope or in a stage that runs)."""
    declared = set(model.global_args)
    stages = model.stages if plan is None else [model.stages[index] for index in plan.needed]
    for stage in stages:
        declared.update(stage.args)
    unused = sorted(name for name in build_args
                    if name not in declared and name not in _ALWAYS_CONSUMED and not name.startswith("BUILDKIT_"))
    if unused:
        findings.append(Finding(
            "UnusedBuildArg", "warning", None,
            f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed",
            "declare them with ARG in a stage that runs, or drop the --build-arg",
        ))


MAX_LAYERS = 129  # measured on the overlay2 store of 20.10 and 28.5.2: 129 COPY layers build, 130 fail


def _depth_rule(model: Model, plan: Plan | None, findings: list[Finding]) -> None:
    """MaxDepthExceeded: more than 129 stacked layers (RUN/COPY/ADD from the stage's root; an image
    base adds its own, so this is a lower bound) fail on the overlay2 image store with "max depth
    exceeded"; the containerd image store builds them (measured at 200)."""
    if plan is None:
        return
    depth: dict[int, int] = {}
    for index in sorted(plan.needed):
        stage = model.stages[index]
        count = depth.get(stage.base.stage_index, 0) if stage.base.kind == "stage" else 0
        for instruction in stage.instructions:
            if instruction.cmd in ("RUN", "COPY", "ADD"):
                count += 1
                if count == MAX_LAYERS + 1:
                    findings.append(Finding(
                        "MaxDepthExceeded", "warning", instruction.line_start,
                        f"this step stacks layer {count}: on the overlay2 image store BuildKit fails with 'max depth "
                        f"exceeded' past {MAX_LAYERS} layers (the containerd image store builds it)",
                        "merge steps (one RUN, one COPY of a folder) or start a stage FROM scratch and COPY --from",
                    ))
                    return
        depth[index] = count


def multistage_findings(model: Model, plan: Plan | None, build_args: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    _multistage_rules(model, plan, findings)
    _unknown_source_rules(model, findings)
    _unused_build_args(model, plan, build_args, findings)
    _depth_rule(model, plan, findings)
    return findings
