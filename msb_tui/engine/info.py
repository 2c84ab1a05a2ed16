"""What msb-tui knows of an engine: version, API version, BuildKit version, image store, address.

Builds, history entries and recordings carry it (``EngineInfo.to_record()``), the app's header
shows ``summary()``, and ``msb-tui engine status`` prints ``describe()``.

- The image store decides what sizes mean: the classic store (overlay2 graph driver) reports
  content sizes; the containerd store (``docker info`` driver-type ``io.containerd.snapshotter.v1``)
  keeps compressed blobs, so ``docker image inspect`` Size is the packed size.
- The engine does not report its BuildKit version over the Engine API (``docker buildx inspect``
  asks BuildKit over gRPC and gets ``v0.0.0+unknown`` from Debian's builds and a guess
  ``v0.8+unknown`` from 20.10), so it is taken from the Docker release, which pins one BuildKit
  minor version: Docker 20.10 ships BuildKit 0.8, 28.5 ships 0.25 (the table the plan uses,
  ``msb_tui.analysis.versions``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter.v1"


@dataclass(frozen=True)
class EngineInfo:
    """One engine as msb-tui saw it. Empty strings mean "not known" (old recordings, errors)."""

    version: str = ""  # "28.5.2+dfsg4"
    api_version: str = ""  # "1.51"
    os: str = ""
    arch: str = ""
    buildkit: bool = False  # can it run BuildKit builds (POST /build?version=2)?
    buildkit_version: str = ""  # "0.25": the BuildKit minor version of this Docker release
    image_store: str = ""  # "containerd" or "classic"
    storage_driver: str = ""  # "overlay2", "overlayfs", ...
    host: str = ""  # the address it answered at
    engine_id: str = ""  # ``docker info`` ID: which engine's build cache a build used

    def to_record(self) -> dict[str, Any]:
        """The JSON form kept in recordings and history."""
        return {key: value for key, value in asdict(self).items() if value not in ("", None)}

    @classmethod
    def from_record(cls, data: Any) -> EngineInfo:
        """Read ``to_record()``'s output back, and the older ``{"version", "api_version", "os"}`` form."""
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known and isinstance(value, (str, bool))}
        info = cls(**values)
        if info.version and not info.buildkit_version:
            info = cls(**{**values, "buildkit_version": buildkit_of(info.version)})
        return info

    @property
    def containerd_store(self) -> bool:
        return self.image_store == "containerd"

    def summary(self) -> str:
        """A short line for a header: ``Docker 28.5.2 · BuildKit 0.25 · containerd store``."""
        if not self.version:
            return "engine unknown"
        parts = [f"Docker {self.version}"]
        if self.buildkit_version:
            parts.append(f"BuildKit {self.buildkit_version}")
        if self.image_store:
            parts.append(f"{self.image_store} store")
        return " · ".join(parts)

    def headline(self, recorded: bool = False) -> str:
        """Where a build runs (``on Docker 28.5.2 · BuildKit 0.25 · classic store at unix://...``) or
        ran (``recorded on ...``), from what is known; the API version when nothing else is."""
        what = self.summary() if self.version else " · ".join(
            part for part in (f"BuildKit {self.buildkit_version}" if self.buildkit_version else "",
                              f"API {self.api_version}" if self.api_version else "") if part)
        if not what:
            what = "an engine"
        where = f" at {self.host}" if self.host else ""
        return f"{'recorded on' if recorded else 'on'} {what}{where}"

    def describe(self) -> list[tuple[str, str]]:
        """Label/value lines for ``msb-tui engine status``."""
        store = {
            "containerd": "containerd (sizes: compressed blobs in inspect; content sizes from the layers)",
            "classic": "classic graph driver (sizes: uncompressed content)",
        }.get(self.image_store, self.image_store or "unknown")
        return [
            ("address", self.host or "unknown"),
            ("engine", f"Docker {self.version or 'unknown'} ({self.os}/{self.arch})" if self.os else f"Docker {self.version or 'unknown'}"),
            ("API version", self.api_version or "unknown"),
            ("BuildKit", (f"{self.buildkit_version} (the version Docker {_minor(self.version)} ships)"
                          if self.buildkit_version else "unknown") if self.buildkit else "not available (classic builder only)"),
            ("image store", store + (f", driver {self.storage_driver}" if self.storage_driver else "")),
        ]


def _minor(version: str) -> str:
    """``28.5`` of ``28.5.2+dfsg4``."""
    match = re.match(r"v?(\d+\.\d+)", version or "")
    return match.group(1) if match else version


def buildkit_of(docker_version: str) -> str:
    """The BuildKit minor version a Docker release ships ("0.25"; "" when unknown), from the table
    the plan uses too (``msb_tui.analysis.versions.ENGINE_BUILDKIT``)."""
    from msb_tui.analysis.versions import engine_buildkit

    found = engine_buildkit(docker_version)
    return f"{found[0]}.{found[1]}" if found else ""


def image_store_of(info: dict) -> tuple[str, str]:
    """(image store, storage driver) from ``GET /info``."""
    driver = str(info.get("Driver") or "")
    status = dict(pair for pair in (info.get("DriverStatus") or []) if isinstance(pair, (list, tuple)) and len(pair) == 2)
    if status.get("driver-type") == CONTAINERD_SNAPSHOTTER:
        return "containerd", driver
    return ("classic" if driver else ""), driver


def _api_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def from_engine(version: dict, info: dict | None = None, host: str = "") -> EngineInfo:
    """An ``EngineInfo`` from ``GET /version`` and (for the image store) ``GET /info``."""
    os_name = str(version.get("Os", "")).lower()
    api_version = str(version.get("ApiVersion", ""))
    store, driver = image_store_of(info or {})
    engine_version = str(version.get("Version", ""))
    return EngineInfo(
        version=engine_version,
        api_version=api_version,
        os=os_name,
        arch=str(version.get("Arch", "")),
        # POST /build?version=2 exists from API 1.39 (Docker 18.09); BuildKit builds are Linux-only.
        buildkit=os_name == "linux" and _api_tuple(api_version) >= (1, 39),
        buildkit_version=buildkit_of(engine_version),
        image_store=store,
        storage_driver=driver,
        host=host,
        engine_id=str((info or {}).get("ID") or ""),
    )


def gather(client, host: str | None = None) -> EngineInfo:
    """Ask a ``docker.APIClient`` (two requests: version and info)."""
    version = client.version(api_version=False)
    try:
        info = client.info()
    except Exception:  # noqa: BLE001 - the version alone still says a lot
        info = {}
    return from_engine(version, info, host if host is not None else _address(client))


def _address(client) -> str:
    base = str(getattr(client, "base_url", "") or "")
    if base.startswith("http+docker://"):  # docker-py's spelling of a unix socket
        adapter = getattr(client, "_custom_adapter", None)
        socket_path = getattr(adapter, "socket_path", None)
        return f"unix://{socket_path}" if socket_path else base
    return base
