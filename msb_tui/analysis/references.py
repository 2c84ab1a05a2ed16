"""Docker image reference checks (``distribution/reference``): what BuildKit accepts after FROM."""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
REFERENCE = re.compile(rf"^(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")


def reference_error(ref: str) -> str | None:
    """Why Docker cannot parse ``ref`` as an image reference (BuildKit's wording), or None."""
    if _HEX64.match(ref):
        return f"invalid repository name ({ref}), cannot specify 64-byte hexadecimal strings"
    name, _, _ = ref.partition("@")
    remote = name
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        remote = rest
    remote = remote.rsplit(":", 1)[0] if ":" in remote else remote
    if remote.lower() != remote:
        shown = remote if slash else f"library/{remote}" if "/" not in remote else remote
        return f"invalid reference format: repository name ({shown}) must be lowercase"
    if not REFERENCE.match(ref):
        return "invalid reference format"
    return None


def split_reference(ref: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of a valid reference; tag/digest None when absent."""
    match = REFERENCE.match(ref)
    if not match:
        return ref, None, None
    return match.group("name"), match.group("tag"), match.group("digest")
