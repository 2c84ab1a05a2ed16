"""The offline demo images and the build args that select them.

No registry is reachable on these machines, so ``msb-tui demo-images`` seeds local images and
the demo Dockerfiles take their base images through build args (``ARG SDK_IMAGE=golang:1.22``):
online they build with official images, offline with these.
"""

from __future__ import annotations

BUSYBOX_IMAGE = "msb-demo/busybox:1.35"
GO_SDK_IMAGE = "msb-demo/golang:1.19-bookworm"

# Build args understood by the demo Dockerfiles.
OFFLINE_BUILD_ARGS: dict[str, str] = {
    "BASE_IMAGE": BUSYBOX_IMAGE,
    "SDK_IMAGE": GO_SDK_IMAGE,
}


def offline_build_args(dockerfile_text: str) -> dict[str, str]:
    """The offline build args a Dockerfile declares (only those it has an ``ARG`` for)."""
    declared = {
        line.split()[1].split("=", 1)[0]
        for line in dockerfile_text.splitlines()
        if line.strip().upper().startswith("ARG ") and len(line.split()) > 1
    }
    return {name: value for name, value in OFFLINE_BUILD_ARGS.items() if name in declared}
