"""Leak check of a final image: build-time things that should have stayed in an earlier stage.

Two kinds of finding: files (compilers and SDKs, package-manager caches, ``.git`` directories,
source trees, credential files such as ``~/.ssh/id_*``, ``.aws/credentials``, ``.npmrc``,
``.docker/config.json``, ``.env``) found in the stacked final filesystem, and secrets (build args, ENV values, labels)
visible in the image config or history, where anyone who pulls the image can read them. Secret
values are masked in findings; the point is to say where they are, not to repeat them.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from msb_tui.image.filetree import FILE, Node, tree_bytes
from msb_tui.image.layers import LayerInfo


@dataclass(frozen=True, slots=True)
class Leak:
    category: str  # "toolchain", "cache", "vcs", "source", "credential", "secret"
    where: str  # a path in the image, or "history #N: ..." / "config Env" for secrets
    size: int
    why: str


# Directories reported whole (their size), never descended into: (patterns of the full path,
# category, why).
DIRECTORY_RULES: list[tuple[tuple[str, ...], str, str]] = [
    (("usr/lib/go", "usr/lib/go-*", "usr/local/go"), "toolchain", "Go toolchain (SDK) directory"),
    (("usr/share/go-*",), "toolchain", "Go toolchain sources and tools"),
    (("usr/lib/gcc", "usr/libexec/gcc"), "toolchain", "GCC compiler internals (cc1, libexec)"),
    (("usr/lib/jvm/*/lib/tools.jar",), "toolchain", "JDK tools (a JRE does not need them)"),
    (("usr/share/dotnet/sdk", "usr/lib/dotnet/sdk"), "toolchain",
     ".NET SDK (a runtime image does not need it)"),
    (("root/.rustup", "usr/local/rustup"), "toolchain", "Rust toolchain"),
    (("var/cache/apt",), "cache", "apt package cache"),
    (("var/lib/apt/lists",), "cache", "apt package lists"),
    (("var/cache/apk",), "cache", "apk package cache"),
    (("var/cache/yum",), "cache", "yum package cache"),
    (("var/cache/dnf",), "cache", "dnf package cache"),
    (("root/.cache", "home/*/.cache"), "cache", "user cache (pip, go-build, ...)"),
    (("root/.npm", "home/*/.npm"), "cache", "npm cache"),
    (("root/.m2", "home/*/.m2"), "cache", "Maven repository"),
    (("root/.gradle", "home/*/.gradle"), "cache", "Gradle cache"),
    (("root/.nuget",), "cache", "NuGet cache"),
    (("root/.cargo/registry", "usr/local/cargo/registry"), "cache", "Cargo registry cache"),
    (("go/pkg/mod", "root/go/pkg/mod"), "cache", "Go module cache"),
]

TOOLCHAIN_FILES = {
    "gcc": "C compiler",
    "g++": "C++ compiler",
    "cc1": "C compiler proper",
    "cc1plus": "C++ compiler proper",
    "clang": "C compiler",
    "go": "Go toolchain",
    "gofmt": "Go toolchain",
    "javac": "Java compiler (JDK)",
    "rustc": "Rust compiler",
    "cargo": "Rust build tool",
    "dotnet-sdk": ".NET SDK",
    "tsc": "TypeScript compiler",
}
# Files that hold credentials wherever they are (a home folder copied in, a context without
# .dockerignore): (the path's last parts, why). "*" stands for one name part.
CREDENTIAL_FILES: list[tuple[tuple[str, ...], str]] = [
    ((".ssh", "id_*"), "SSH private key"),
    ((".aws", "credentials"), "AWS credentials file"),
    ((".docker", "config.json"), "Docker registry credentials"),
    ((".kube", "config"), "Kubernetes credentials"),
    ((".npmrc",), "npm configuration (often holds an auth token)"),
    ((".pypirc",), "PyPI upload credentials"),
    ((".netrc",), "netrc login credentials"),
    ((".git-credentials",), "git stored credentials"),
    ((".env",), "environment file (usually holds secrets)"),
    ((".env.*",), "environment file (usually holds secrets)"),
]
_NOT_CREDENTIAL = (".pub", ".example", ".sample", ".template", ".dist")


def credential_reason(path: str) -> str | None:
    """Why the file at ``path`` (slash-separated) is a credential file, or None."""
    if path.endswith(_NOT_CREDENTIAL):
        return None
    parts = path.split("/")
    for tail, why in CREDENTIAL_FILES:
        if len(parts) >= len(tail) and all(fnmatch.fnmatchcase(p, t) for p, t in zip(parts[-len(tail):], tail)):
            return why
    return None


SOURCE_SUFFIXES = (".go", ".c", ".cc", ".cpp", ".rs", ".java", ".cs", ".ts", ".kt")
# Where source files are expected (headers, examples, bundled library sources).
SOURCE_OK = ("usr/include/", "usr/share/", "usr/lib/", "usr/local/lib/", "usr/src/", "opt/", "var/lib/")

SECRET_NAME = re.compile(
    r"(?i)(TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CLIENT_?SECRET|CREDENTIAL|AUTH|\bPAT\b|_PAT$)"
)
NOT_SECRET_NAME = re.compile(r"(?i)(SHA|CHECKSUM|HASH|VERSION|_URL$|_PATH$|_FILE$|_DIR$|AUTHOR)")
SECRET_VALUE = [
    (re.compile(r"AKIA[0-9A-Z]{16}"), "an AWS access key id"),
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"), "a GitHub token"),
    (re.compile(r"github_pat_[A-Za-z0-9_]{30,}"), "a GitHub token"),
    (re.compile(r"glpat-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"sk-[A-Za-z0-9_-]{20,}"), "an API secret key"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
]
_HIGH_ENTROPY_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def _path_matches(path: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(path, pattern) and pattern.count("/") == path.count("/")


def file_leaks(root: Node) -> list[Leak]:
    """Toolchains, caches, VCS folders and stray source files in a stacked filesystem."""
    found: list[Leak] = []
    sources: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    stack: list[tuple[str, Node]] = [("", root)]
    while stack:
        path, node = stack.pop()
        for name, child in node.children.items():
            child_path = f"{path}/{name}" if path else name
            if child.children is not None:
                if name == ".git":
                    rule = (".git", "vcs", "git repository (history, maybe credentials)")
                else:
                    rule = next((rule for rule in DIRECTORY_RULES
                                 if any(_path_matches(child_path, glob) for glob in rule[0])), None)
                if rule is not None:
                    size = tree_bytes(child)
                    if size or rule[1] != "cache":  # an empty cache folder is normal
                        found.append(Leak(rule[1], "/" + child_path, size, rule[2]))
                    continue
                stack.append((child_path, child))
                continue
            credential = credential_reason(child_path)
            if credential is not None:
                found.append(Leak("credential", "/" + child_path, child.size if child.kind == FILE else 0, credential))
            elif name in TOOLCHAIN_FILES and child.kind == FILE:
                found.append(Leak("toolchain", "/" + child_path, child.size, TOOLCHAIN_FILES[name]))
            elif name.endswith(SOURCE_SUFFIXES) and not child_path.startswith(SOURCE_OK):
                top = "/".join(child_path.split("/")[:2]) if "/" in child_path else child_path
                group = sources[top]
                group[0] += 1
                group[1] += child.size if child.kind == FILE else 0
    for top, (count, size) in sources.items():
        found.append(Leak("source", "/" + top, size, f"{count} source file{'s' if count != 1 else ''} (build input, not needed at run time)"))
    return found


def mask(value: str) -> str:
    """Enough of a secret to recognise it, not enough to use it."""
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:3]}…({len(value)} chars)"


def _entropy(text: str) -> float:
    return -sum(n / len(text) * math.log2(n / len(text)) for n in Counter(text).values())


def secret_reason(name: str, value: str) -> str | None:
    """Why ``name=value`` looks like a secret, or None."""
    if not value:
        return None
    for pattern, what in SECRET_VALUE:
        if pattern.search(value):
            return f"the value looks like {what}"
    if SECRET_NAME.search(name) and not NOT_SECRET_NAME.search(name):
        return f"the name {name} suggests a secret"
    for token in _HIGH_ENTROPY_TOKEN.findall(value):
        if _entropy(token) >= 4.5 and not NOT_SECRET_NAME.search(name) and not re.fullmatch(r"[0-9a-f]+", token):
            return "the value looks like a random key"
    return None


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for token in text.split():
        key, sep, value = token.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            pairs.append((key, value.strip("\"'")))
    return pairs


def secret_leaks(config: dict, entries: list[LayerInfo]) -> list[Leak]:
    """Build args, ENV values and labels that look like secrets, in the config or the history."""
    found: list[Leak] = []
    seen: set[tuple[str, str, str]] = set()

    def report(where: str, name: str, value: str, size: int, context: str) -> None:
        why = secret_reason(name, value)
        if why and (where, name, value) not in seen:
            seen.add((where, name, value))
            found.append(Leak("secret", where, size, f"{context} {name}={mask(value)}: {why}"))

    for item in config.get("Env") or []:
        name, _, value = item.partition("=")
        report("config Env", name, value, 0, "ENV")
    for name, value in (config.get("Labels") or {}).items():
        report("config Labels", name, str(value), 0, "LABEL")
    for entry in entries:
        command = entry.command
        where = f"history #{entry.index}: {command.cmd or '?'}"
        for name, value in command.build_args:
            report(where, name, value, entry.size, "build arg (visible in history)")
        if command.cmd in ("ARG", "ENV", "LABEL", "RUN"):  # RUN: inline assignments (TOKEN=x make)
            context = "RUN sets" if command.cmd == "RUN" else command.cmd
            for name, value in _pairs(command.text):
                report(where, name, value, entry.size, context)
        if command.cmd == "RUN":  # key-shaped values anywhere in the command
            for pattern, what in SECRET_VALUE:
                match = pattern.search(command.text)
                if match and (where, "", match.group(0)) not in seen:
                    seen.add((where, "", match.group(0)))
                    found.append(Leak("secret", where, entry.size, f"the RUN command holds {what}: {mask(match.group(0))}"))
    return found


def find_leaks(root: Node, config: dict, entries: list[LayerInfo]) -> list[Leak]:
    """All findings, largest first (secrets, which have no size, after the files)."""
    findings = file_leaks(root) + secret_leaks(config, entries)
    findings.sort(key=lambda leak: (leak.category == "secret", -leak.size, leak.where))
    return findings
