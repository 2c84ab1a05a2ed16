"""Lint: BuildKit's build checks (same rule names) plus multi-stage advice of our own.

BuildKit rules keep BuildKit's names and messages; our own multi-stage rules are in
``stage_advice.py``. Findings are sorted by line.
"""

from __future__ import annotations

import re

from msb_tui.analysis.args import ExpansionError
from msb_tui.analysis.errors import Finding
from msb_tui.analysis.model import Model
from msb_tui.analysis.parse import Instruction
from msb_tui.analysis.plan import Plan
from msb_tui.analysis.platforms import PLATFORM_ARGS
from msb_tui.analysis.references import reference_error
from msb_tui.analysis.stage_advice import multistage_findings
from msb_tui.analysis.stages import Stage, base_chain

RESERVED_STAGE_NAMES = ("context", "scratch")

# BuildKit's SecretsUsedInArgOrEnv: a secret word as a whole "_"-separated part of the name ...
_SECRET_WORDS = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)"
)
_SECRET_ALLOWED = re.compile(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)")
# ... and, beyond BuildKit, the same words glued inside a name (GITHUBTOKEN, DBPASSWORD).
_SECRET_INSIDE = re.compile(r"(?i)(token|secret|password|passwd|api_?key|private_?key|credential)")


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
                findings.append(Finding(
                    "StageNameCasing", "warning", line, f"Stage name '{written}' should be lowercase",
                    f"write 'AS {written.lower()}'",
                ))
            keyword = stage.from_instruction.keyword
            as_word = args[1]
            if keyword in (keyword.lower(), keyword.upper()):
                expected = as_word.lower() if keyword == keyword.lower() else as_word.upper()
                if as_word != expected:
                    findings.append(Finding(
                        "FromAsCasing", "warning", line,
                        f"'{as_word}' and '{keyword}' keywords' casing do not match",
                        f"write '{keyword} ... {expected} {written}'",
                    ))
        if stage.name:
            if stage.name in seen_names:
                findings.append(Finding(
                    "DuplicateStageName", "warning", line,
                    f'Duplicate stage name "{stage.name}", stage names should be unique',
                    f"rename one; --from={stage.name} and --target {stage.name} mean the LAST one (line {line})",
                ))
            seen_names[stage.name] = stage.index
            if stage.name in RESERVED_STAGE_NAMES:
                findings.append(Finding(
                    "ReservedStageName", "warning", line,
                    f'Stage name should not use the same name as reserved stage "{stage.name}"',
                    "pick another name",
                ))
        unmatched = model.from_unmatched.get(stage.index)
        if unmatched:
            for name in sorted(unmatched - declared):
                findings.append(Finding(
                    "UndefinedArgInFrom", "warning", line, f"FROM argument '{name}' is not declared",
                    f"declare 'ARG {name}=<default>' before the first FROM",
                ))
        default_base = _default_base(model, stage) if "$" in stage.base_raw else None
        if default_base is not None and (
            default_base == "" or (default_base != "scratch" and reference_error(default_base))
        ):
            findings.append(Finding(
                "InvalidDefaultArgInFrom", "warning", line,
                f"Default value for ARG {stage.base_raw} results in empty or invalid base image name",
                "give the global ARG a default that names an image",
            ))
        if stage.platform_raw:
            raw = stage.platform_raw
            if raw in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
                findings.append(Finding(
                    "RedundantTargetPlatform", "warning", line,
                    f"Setting platform to predefined {raw} in FROM is redundant as this is the default behavior",
                    "drop --platform",
                ))
            elif "$" not in raw and not any(part and part in (stage.name or "") for part in raw.split("/")):
                findings.append(Finding(
                    "FromPlatformFlagConstDisallowed", "warning", line,
                    f'FROM --platform flag should not use constant value "{raw}"',
                    "use $BUILDPLATFORM or $TARGETPLATFORM",
                ))


def _default_base(model: Model, stage: Stage) -> str:
    """The stage's FROM as the global ARG defaults alone make it (no --build-arg)."""
    try:
        return model.expand(stage.base_raw, model.default_env).result
    except ExpansionError:
        return stage.base.ref


_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def _casing_rule(model: Model, findings: list[Finding]) -> None:
    """ConsistentInstructionCasing: keywords should all be upper or all lower case."""
    instructions: list[Instruction] = list(model.meta_args)
    for stage in model.stages:
        instructions.append(stage.from_instruction)
        instructions.extend(stage.instructions)
    lower = sum(1 for instruction in instructions if instruction.keyword.islower())
    upper = sum(1 for instruction in instructions if instruction.keyword == instruction.cmd)
    if len(instructions) in (upper, lower):
        return
    majority = "lower" if lower > upper else "upper"
    for instruction in instructions:
        keyword = instruction.keyword
        wanted = keyword.lower() if majority == "lower" else instruction.cmd
        if keyword != wanted:
            findings.append(Finding(
                "ConsistentInstructionCasing", "warning", instruction.line_start,
                f"Command '{keyword}' should match the case of the command majority ({majority}case)",
                f"write '{wanted}'",
            ))


def _instruction_rules(model: Model, findings: list[Finding]) -> None:
    _casing_rule(model, findings)
    for instruction in model.meta_args:
        _secret_rule(instruction, findings)
    for stage in model.stages:
        _stage_instruction_rules(model, stage, findings)


def _stage_instruction_rules(model: Model, stage: Stage, findings: list[Finding]) -> None:
    absolute_workdir: bool | None = None
    once: dict[str, list[int]] = {}  # CMD, ENTRYPOINT, HEALTHCHECK: only the last of a stage counts
    for instruction in stage.instructions:
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
            findings.append(Finding(
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
                        absolute_workdir = _inherits_workdir(model, stage)
                    if not absolute_workdir:
                        findings.append(Finding(
                            "WorkdirRelativePath", "warning", line,
                            f'Relative workdir "{path}" can have unexpected results if the base image changes',
                            "use an absolute path",
                        ))
        elif cmd == "EXPOSE":
            _expose_rules(instruction, findings)
        elif cmd in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            once.setdefault(cmd, []).append(line)
            if cmd != "HEALTHCHECK" and not instruction.json:
                findings.append(Finding(
                    "JSONArgsRecommended", "warning", line,
                    f"JSON arguments recommended for {cmd} to prevent unintended behavior related to OS signals",
                    f'write {cmd} ["executable", "arg"]',
                ))
    for cmd, lines in once.items():
        for line in lines[:-1]:
            findings.append(Finding(
                "MultipleInstructionsDisallowed", "warning", line,
                f"Multiple {cmd} instructions should not be used in the same stage because only the "
                "last one will be used",
                f"keep only the last {cmd}",
            ))


def _legacy_finding(cmd: str, line: int) -> Finding:
    return Finding(
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
            findings.append(Finding(
                "ExposeProtoCasing", "warning", line,
                f"Defined protocol '{port}' in EXPOSE instruction should be lowercase",
                f"write '{port.lower()}'",
            ))
        if ":" in port:
            findings.append(Finding(
                "ExposeInvalidFormat", "warning", line,
                f"EXPOSE instruction should not define an IP address or host-port mapping, found '{port}'",
                "publish host ports at run time (docker run -p)",
            ))


def _inherits_workdir(model: Model, stage: Stage) -> bool:
    """A stage this one is built FROM sets an absolute WORKDIR."""
    return any(
        instruction.cmd == "WORKDIR" and instruction.value
        and instruction.value[0].startswith(("/", "$"))
        for base in base_chain(model.stages, stage)[1:]
        for instruction in base.instructions
    )


def _secret_rule(instruction: Instruction, findings: list[Finding]) -> None:
    if instruction.cmd == "ARG":
        keys = [word.partition("=")[0] for word in instruction.value]
    else:
        keys = instruction.value[0::2]  # ENV values come as name, value pairs
    for key in keys:
        if key and _is_secret_name(key):
            findings.append(Finding(
                "SecretsUsedInArgOrEnv", "warning", instruction.line_start,
                f'Do not use ARG or ENV instructions for sensitive data ({instruction.cmd} "{key}")',
                "pass it with RUN --mount=type=secret,id=... (docker build --secret)",
            ))


def run_lint(model: Model, plan: Plan | None, build_args: dict[str, str]) -> list[Finding]:
    """All findings for a model with stages, sorted by line (file-level findings first)."""
    findings: list[Finding] = []
    _stage_rules(model, findings)
    _instruction_rules(model, findings)
    findings.extend(multistage_findings(model, plan, build_args))
    findings.sort(key=lambda finding: (finding.line or 0))
    return findings
