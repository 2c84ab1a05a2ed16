"""Lint: BuildKit's build checks (same rule names) plus multi-stage advice of our own.

Every rule is one linear pass over the stages or instructions. BuildKit rules keep BuildKit's
names and messages; ours are SdkImageInFinalStage, CacheBustingCopy, UnusedStage,
UnpinnedBaseImage and FromUnknownStage. Findings are sorted by line.
"""

from __future__ import annotations

import re
from functools import lru_cache

from msb_tui.analysis.args import PLATFORM_ARGS
from msb_tui.analysis.edges import stage_dependencies
from msb_tui.analysis.errors import Finding
from msb_tui.analysis.model import Model
from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.plan import Plan
from msb_tui.analysis.references import reference_error, split_reference
from msb_tui.analysis.stages import Stage

RESERVED_STAGE_NAMES = ("context", "scratch")

# BuildKit's SecretsUsedInArgOrEnv: a secret word as a whole "_"-separated part of the name ...
_SECRET_WORDS = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)"
)
_SECRET_ALLOWED = re.compile(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)")
# ... and, beyond BuildKit, the same words glued inside a name (GITHUBTOKEN, DBPASSWORD).
_SECRET_INSIDE = re.compile(r"(?i)(token|secret|password|passwd|api_?key|private_?key|credential)")

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


def _finding(rule: str, severity: str, line: int | None, message: str, fix: str = "") -> Finding:
    return Finding(rule, severity, line, message, fix)


@lru_cache(maxsize=4096)
def _is_secret_name(name: str) -> bool:
    if _SECRET_ALLOWED.search(name):
        return False
    return bool(_SECRET_WORDS.search(name) or _SECRET_INSIDE.search(name))


def _legacy_key_value(instruction: Instruction) -> bool:
    """``ENV key value`` rather than ``ENV key=value`` (the parser gives both as (key, value))."""
    if not instruction.value:
        return False
    key = instruction.value[0]
    original = instruction.original
    equals = original.find("=")
    if equals == -1:
        return True
    if original[equals - len(key) : equals] == key:
        return False
    parts = original.split(None, 2)  # quoted keys and other rare shapes: look at the first word
    first = parts[1] if len(parts) > 1 else ""
    return "=" not in first and not first.startswith(('"', "'"))


def _stage_rules(model: Model, findings: list[Finding]) -> None:
    seen_names: dict[str, int] = {}
    declared = set(model.global_args) | set(PLATFORM_ARGS) | {"TARGETSTAGE"}
    for stage in model.stages:
        line = stage.line_start
        args = stage.from_instruction.value
        if len(args) == 3:
            written = args[2]
            if written != written.lower():
                findings.append(_finding(
                    "StageNameCasing", "warning", line, f"Stage name '{written}' should be lowercase",
                    f"write 'AS {written.lower()}'",
                ))
            keyword = stage.from_instruction.keyword
            as_word = args[1]
            if (keyword == "FROM" and as_word == "AS") or (keyword == "from" and as_word == "as"):
                pass  # the usual spellings
            elif keyword in (keyword.lower(), keyword.upper()):
                expected = as_word.lower() if keyword == keyword.lower() else as_word.upper()
                if as_word != expected:
                    findings.append(_finding(
                        "FromAsCasing", "warning", line,
                        f"'{as_word}' and '{keyword}' keywords' casing do not match",
                        f"write '{keyword} ... {expected} {written}'",
                    ))
        if stage.name:
            if stage.name in seen_names:
                findings.append(_finding(
                    "DuplicateStageName", "warning", line,
                    f'Duplicate stage name "{stage.name}", stage names should be unique',
                    f"rename one; --from={stage.name} and --target {stage.name} mean the LAST one (line {line})",
                ))
            seen_names[stage.name] = stage.index
            if stage.name in RESERVED_STAGE_NAMES:
                findings.append(_finding(
                    "ReservedStageName", "warning", line,
                    f'Stage name should not use the same name as reserved stage "{stage.name}"',
                    "pick another name",
                ))
        unmatched = model.from_unmatched.get(stage.index)
        if unmatched:
            for name in sorted(unmatched - declared):
                findings.append(_finding(
                    "UndefinedArgInFrom", "warning", line, f"FROM argument '{name}' is not declared",
                    f"declare 'ARG {name}=<default>' before the first FROM",
                ))
        default_base = model.from_default_bases.get(stage.index) if "$" in stage.base_raw else None
        if default_base is not None and (
            default_base == "" or (default_base != "scratch" and reference_error(default_base))
        ):
            findings.append(_finding(
                "InvalidDefaultArgInFrom", "warning", line,
                f"Default value for ARG {stage.base_raw} results in empty or invalid base image name",
                "give the global ARG a default that names an image",
            ))
        if stage.platform_raw:
            raw = stage.platform_raw
            if raw in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
                findings.append(_finding(
                    "RedundantTargetPlatform", "warning", line,
                    f"Setting platform to predefined {raw} in FROM is redundant as this is the default behavior",
                    "drop --platform",
                ))
            elif "$" not in raw and not any(part and part in (stage.name or "") for part in raw.split("/")):
                findings.append(_finding(
                    "FromPlatformFlagConstDisallowed", "warning", line,
                    f'FROM --platform flag should not use constant value "{raw}"',
                    "use $BUILDPLATFORM or $TARGETPLATFORM",
                ))


_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def _casing_rule(model: Model, findings: list[Finding]) -> None:
    """ConsistentInstructionCasing: keywords should all be upper or all lower case."""
    upper, lower = model.keyword_case  # counted by the model's scan
    total = len(model.meta_args) + sum(1 + len(stage.instructions) for stage in model.stages)
    if upper == total or lower == total:
        return
    instructions: list[Instruction] = list(model.meta_args)
    for stage in model.stages:
        instructions.append(stage.from_instruction)
        instructions.extend(stage.instructions)
    majority = "lower" if lower > upper else "upper"
    for instruction in instructions:
        keyword = instruction.keyword
        wanted = keyword.lower() if majority == "lower" else instruction.cmd
        if keyword != wanted:
            findings.append(_finding(
                "ConsistentInstructionCasing", "warning", instruction.line_start,
                f"Command '{keyword}' should match the case of the command majority ({majority}case)",
                f"write '{wanted}'",
            ))


def _instruction_rules(model: Model, findings: list[Finding]) -> None:
    _casing_rule(model, findings)
    for instruction in model.meta_args:
        _secret_rule(instruction, findings)
    once: dict[str, list[int]] = {}
    # model.linted: per stage, the instructions these rules read, in file order.
    for stage_index, instructions in enumerate(model.linted):
        if instructions:
            _stage_instruction_rules(model, stage_index, instructions, once, findings)
            _flush_once(once, findings)


def _stage_instruction_rules(
    model: Model, stage_index: int, instructions: list[Instruction], once: dict[str, list[int]], findings: list[Finding]
) -> None:
    absolute_workdir: bool | None = None
    for instruction in instructions:
        cmd = instruction.cmd
        line = instruction.line_start
        if cmd == "ARG" or cmd == "ENV":
            _secret_rule(instruction, findings)
            if cmd == "ENV" and _legacy_key_value(instruction):
                findings.append(_legacy_finding(cmd, line))
        elif cmd == "LABEL":
            if _legacy_key_value(instruction):
                findings.append(_legacy_finding(cmd, line))
        elif cmd == "MAINTAINER":
            findings.append(_finding(
                "MaintainerDeprecated", "warning", line,
                "Maintainer instruction is deprecated in favor of using label",
                'use LABEL org.opencontainers.image.authors="..."',
            ))
        elif cmd == "WORKDIR":
            if instruction.value:
                path = instruction.value[0]
                if path.startswith(("/", "$")) or _WINDOWS_ABSOLUTE.match(path):
                    absolute_workdir = True
                else:
                    if absolute_workdir is None:
                        absolute_workdir = _inherits_workdir(model, model.stages[stage_index])
                    if not absolute_workdir:
                        findings.append(_finding(
                            "WorkdirRelativePath", "warning", line,
                            f'Relative workdir "{path}" can have unexpected results if the base image changes',
                            "use an absolute path",
                        ))
        elif cmd == "EXPOSE":
            for port in instruction.value:
                if ":" in port or port != port.lower():
                    _expose_rules(instruction, findings)
                    break
        else:  # CMD, ENTRYPOINT, HEALTHCHECK: only the last one of a stage counts
            once.setdefault(cmd, []).append(line)
            if cmd != "HEALTHCHECK" and not instruction.json:
                findings.append(_finding(
                    "JSONArgsRecommended", "warning", line,
                    f"JSON arguments recommended for {cmd} to prevent unintended behavior related to OS signals",
                    f'write {cmd} ["executable", "arg"]',
                ))


def _flush_once(once: dict[str, list[int]], findings: list[Finding]) -> None:
    for cmd, lines in once.items():
        for line in lines[:-1]:
            findings.append(_finding(
                "MultipleInstructionsDisallowed", "warning", line,
                f"Multiple {cmd} instructions should not be used in the same stage because only the "
                "last one will be used",
                f"keep only the last {cmd}",
            ))
    once.clear()


def _legacy_finding(cmd: str, line: int) -> Finding:
    return _finding(
        "LegacyKeyValueFormat", "warning", line,
        f'"{cmd} key=value" should be used instead of legacy "{cmd} key value" format',
        f"write '{cmd} name=value'",
    )


def _expose_rules(instruction: Instruction, findings: list[Finding]) -> None:
    line = instruction.line_start
    for port in instruction.value:
        if port.isdigit():
            continue
        container = port.rsplit(":", 1)[-1]
        proto = container.partition("/")[2]
        if proto != proto.lower():
            findings.append(_finding(
                "ExposeProtoCasing", "warning", line,
                f"Defined protocol '{port}' in EXPOSE instruction should be lowercase",
                f"write '{port.lower()}'",
            ))
        if ":" in port:
            findings.append(_finding(
                "ExposeInvalidFormat", "warning", line,
                f"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'",
                "publish host ports at run time (docker run -p)",
            ))


def _inherits_workdir(model: Model, stage: Stage) -> bool:
    seen = set()
    current = stage
    while current.base.kind == "stage" and current.base.stage_index not in seen:
        seen.add(current.base.stage_index)
        current = model.stages[current.base.stage_index]
        for instruction in current.instructions:
            if instruction.cmd == "WORKDIR" and instruction.value and instruction.value[0].startswith(("/", "$")):
                return True
    return False


def _secret_rule(instruction: Instruction, findings: list[Finding]) -> None:
    if instruction.cmd == "ARG":
        keys = [word.partition("=")[0] for word in instruction.value]
    else:
        keys = instruction.value[0::2]  # ENV values come as name, value pairs
    for key in keys:
        if key and _is_secret_name(key):
            findings.append(_finding(
                "SecretsUsedInArgOrEnv", "warning", instruction.line_start,
                f'Do not use ARG or ENV instructions for sensitive data ({instruction.cmd} "{key}")',
                "pass it with RUN --mount=type=secret,id=... (docker build --secret)",
            ))


def root_image(model: Model, stage: Stage) -> str | None:
    """The image a stage ultimately starts from (following FROM <stage>), None for scratch."""
    seen = set()
    current = stage
    while current.base.kind == "stage" and current.base.stage_index not in seen:
        seen.add(current.base.stage_index)
        current = model.stages[current.base.stage_index]
    return current.base.ref if current.base.kind == "image" else None


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
            findings.append(_finding(
                "SdkImageInFinalStage", "warning", final.line_start,
                f"The final stage `{final.display_name}` is based on {image} ({kind}): the toolchain ships "
                "in the image",
                "build in an SDK stage, then COPY --from=<it> the result into a slim runtime or scratch stage",
            ))
    needs = stage_dependencies(model)
    depended_on = {dep for deps in needs for dep in deps}
    last = len(model.stages) - 1
    selectors = dynamic_froms(model)
    for stage in model.stages:
        picked_by = _picked_by(model, stage, selectors) if stage.index != last else None
        if picked_by is not None:
            if stage.index not in depended_on:
                findings.append(_finding("StageSelectedByArg", "info", stage.line_start, picked_by,
                                         "keep it: another build argument or platform uses it"))
        elif stage.index != last and stage.index not in depended_on:
            findings.append(_finding(
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
                findings.append(_finding(
                    "UnpinnedBaseImage", "warning", stage.line_start,
                    f"Base image {stage.base.ref} {what}: builds change when it moves",
                    "pin a version tag (or a digest)",
                ))
        copy_all_line = model.context_copies.get(stage.index)  # first `COPY . <dest>` of the stage
        if copy_all_line is not None:
            for instruction in stage.instructions:
                if instruction.line_start > copy_all_line and installs_dependencies(instruction):
                    findings.append(_finding(
                        "CacheBustingCopy", "warning", copy_all_line,
                        f"COPY of the whole context (line {copy_all_line}) comes before installing dependencies "
                        f"(line {instruction.line_start}): any source change re-runs the install",
                        "copy only the dependency manifests (package.json, go.mod, requirements.txt, ...), "
                        "install, then copy the rest",
                    ))
                    break


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
    if not model.external_sources:
        return
    names = sorted({stage.name for stage in model.stages if stage.name})
    for source, kind, line in model.external_sources:
        flag = "--from=" if kind == "copy" else "--mount=...,from="
        close = [name for name in names if _edit_distance(source.lower(), name) <= 2]
        if close:
            findings.append(_finding(
                "FromUnknownStage", "error", line,
                f"{flag}{source} names no stage, so BuildKit will try to pull an image called "
                f"'{source}' (did you mean `{close[0]}`?)",
                f"write {flag}{close[0]}",
            ))
        elif "/" not in source and ":" not in source and "@" not in source:
            findings.append(_finding(
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
    if not build_args:
        return
    declared = set(model.global_args)
    stages = model.stages if plan is None else [model.stages[index] for index in plan.needed]
    for stage in stages:
        declared.update(stage.args)
    unused = sorted(name for name in build_args
                    if name not in declared and name not in _ALWAYS_CONSUMED and not name.startswith("BUILDKIT_"))
    if unused:
        findings.append(_finding(
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
                    findings.append(_finding(
                        "MaxDepthExceeded", "warning", instruction.line_start,
                        f"this step stacks layer {count}: on the overlay2 image store BuildKit fails with 'max depth "
                        f"exceeded' past {MAX_LAYERS} layers (the containerd image store builds it)",
                        "merge steps (one RUN, one COPY of a folder) or start a stage FROM scratch and COPY --from",
                    ))
                    return
        depth[index] = count


def run_lint(model: Model, plan: Plan | None, build_args: dict[str, str] | None = None) -> list[Finding]:
    """All findings for the model, sorted by line (file-level findings first)."""
    findings: list[Finding] = []
    if not model.stages:
        return findings
    _stage_rules(model, findings)
    _instruction_rules(model, findings)
    _multistage_rules(model, plan, findings)
    _unknown_source_rules(model, findings)
    _unused_build_args(model, plan, build_args or {}, findings)
    _depth_rule(model, plan, findings)
    findings.sort(key=lambda finding: (finding.line or 0))
    return findings
