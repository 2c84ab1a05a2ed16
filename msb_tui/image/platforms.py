"""One platform of a multi-platform image (``--platform linux/arm64``), as the Engine API takes it.

The containerd image store keeps multi-platform images (an index of per-platform manifests plus
attestation manifests). Since API 1.48 (Docker 28), image inspect, history and export take a
``platform`` query parameter holding the OCI platform as JSON; older engines have one platform
per image and do not need it.
"""

from __future__ import annotations

import json

from docker.utils import version_lt

PLATFORM_API = "1.48"


def parse_platform(text: str) -> dict[str, str]:
    """``linux/arm64/v8`` -> ``{"os": "linux", "architecture": "arm64", "variant": "v8"}``."""
    parts = [part for part in text.strip().split("/") if part]
    if len(parts) < 2 or len(parts) > 3:
        raise ValueError(f"platform {text!r} is not os/arch[/variant] (e.g. linux/amd64, linux/arm64/v8)")
    platform = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        platform["variant"] = parts[2]
    return platform


def platform_text(os: str | None, architecture: str | None, variant: str | None) -> str | None:
    """``linux/arm64/v8`` from its parts; None when the OS or the architecture is not known."""
    if not os or not architecture or os == "unknown":
        return None
    return "/".join(str(part) for part in (os, architecture, variant) if part)


def platform_param(text: str) -> str:
    return json.dumps(parse_platform(text), separators=(",", ":"))


def require_platform_api(client) -> None:
    if version_lt(client.api_version, PLATFORM_API):
        raise ValueError(f"--platform needs Docker 28 or newer (API {PLATFORM_API}); "
                         f"this engine speaks API {client.api_version}")


def image_json(client, image: str, what: str, platform: str | None):
    """``GET /images/{image}/{what}`` (``json`` or ``history``), for ``platform`` when given."""
    if not platform:
        return client.inspect_image(image) if what == "json" else client.history(image)
    require_platform_api(client)
    response = client._get(client._url("/images/{0}/" + what, image), params={"platform": platform_param(platform)})
    return client._result(response, True)
