"""What the engine itself knows about an image's layers, read from its storage on this machine.

The Engine API has no call for a layer's compressed digest, so a first look at an image would have
to export it. An engine running on this machine keeps the answers on disk:

- classic store (overlay2): ``<data root>/image/<driver>/distribution/v2metadata-by-diffid/`` lists,
  per diff id, the compressed digests docker pushed or pulled and the repository each went to or
  came from. ``docker push`` reads it to skip or mount a layer; a HEAD on that repository gives the
  blob's size. The layer's files are in a folder (``GraphDriver.Data``: overlay2's ``UpperDir`` and
  ``LowerDir``), which a sampled estimate reads (:mod:`msb_tui.registry.estimate`).
- containerd store: the image's manifest is a blob in containerd's content store, read with
  ``ctr content get`` on the engine's containerd socket (``docker info`` names it). It lists each
  layer's compressed digest and size: exactly what a push sends.

Used only when the engine's data root on this machine holds an ``engine-id`` equal to the
engine's ID (Docker 23+), or, for older engines that write none, when the engine answers on a unix
socket and its data root exists here. Anything else (a remote engine, no permission) finds
nothing, and the caller falls back to the export.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from msb_tui.engine.info import image_store_of
from msb_tui.registry.client import LIST_TYPES

CTR_TIMEOUT = 10


@dataclass(frozen=True, slots=True)
class EngineStore:
    root: Path  # the engine's data root, on this machine
    driver: str  # overlay2, ... (the classic store) or the containerd snapshotter's name
    containerd: tuple[str, str] | None = None  # (socket, namespace) of the containerd image store

    def pushed_digests(self, diff_id: str) -> list[tuple[str, str]]:
        """(compressed digest, repository) pairs docker recorded for a layer it pushed or pulled."""
        path = self.root / "image" / self.driver / "distribution" / "v2metadata-by-diffid" / diff_id.replace(":", "/", 1)
        try:
            entries = json.loads(path.read_text())
        except (OSError, ValueError):
            return []
        return [(entry["Digest"], entry["SourceRepository"]) for entry in entries if isinstance(entry, dict)
                and isinstance(entry.get("Digest"), str) and isinstance(entry.get("SourceRepository"), str)]

    def manifest(self, inspect: dict) -> dict | None:
        """The image manifest from containerd's content store (an index resolved to the image's own
        platform); None when it cannot be read."""
        descriptor = inspect.get("Descriptor") or {}
        if self.containerd is None or not descriptor.get("digest"):
            return None
        blob = self._content(descriptor["digest"])
        is_index = isinstance(blob, dict) and blob.get("mediaType") in (*LIST_TYPES, None)
        if is_index and "manifests" in blob:
            wanted = (inspect.get("Os"), inspect.get("Architecture"))
            for item in blob.get("manifests") or []:
                platform = item.get("platform") or {}
                if (platform.get("os"), platform.get("architecture")) == wanted:
                    blob = self._content(item.get("digest", ""))
                    break
            else:
                return None
        return blob if isinstance(blob, dict) and isinstance(blob.get("layers"), list) else None

    def _content(self, digest: str) -> dict | None:
        ctr = shutil.which("ctr")
        if ctr is None or not digest.startswith("sha256:"):
            return None
        socket, namespace = self.containerd
        try:
            done = subprocess.run([ctr, "--address", socket, "--namespace", namespace, "content", "get", digest],
                                  capture_output=True, timeout=CTR_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or "sha256:" + hashlib.sha256(done.stdout).hexdigest() != digest:
            return None  # not this engine's containerd, or not the blob asked for
        try:
            return json.loads(done.stdout)
        except ValueError:
            return None

    def layer_dirs(self, inspect: dict) -> list[Path] | None:
        """Each layer's folder of files, bottom first (overlay2 only), or None."""
        driver = inspect.get("GraphDriver") or {}
        data = driver.get("Data") or {}
        if driver.get("Name") != "overlay2" or not data.get("UpperDir"):
            return None
        lower = [part for part in (data.get("LowerDir") or "").split(":") if part]
        folders = [Path(part) for part in reversed(lower)] + [Path(data["UpperDir"])]
        diff_ids = (inspect.get("RootFS") or {}).get("Layers") or []
        if len(folders) != len(diff_ids) or not all(folder.is_relative_to(self.root) and folder.is_dir() for folder in folders):
            return None
        return folders


def open_store(client, info: dict | None = None) -> EngineStore | None:
    """The engine's storage when it is on this machine and readable, else None."""
    try:
        info = info if info is not None else client.info()
    except Exception:  # noqa: BLE001 - no answer: nothing to read
        return None
    root = Path(info.get("DockerRootDir") or "/nonexistent")
    try:
        if (root / "engine-id").read_text().strip() != info.get("ID"):
            return None
    except FileNotFoundError:  # Docker before 23: its own unix socket and data root, or nothing
        if not (str(getattr(client, "base_url", "")).startswith("http+docker://localhost") and (root / "image").is_dir()):
            return None
    except OSError:
        return None
    containerd = None
    if image_store_of(info)[0] == "containerd":
        address = (info.get("Containerd") or {}).get("Address")
        namespace = ((info.get("Containerd") or {}).get("Namespaces") or {}).get("Containers") or "moby"
        if address and Path(address).exists():
            containerd = (address, namespace)
    return EngineStore(root=root, driver=info.get("Driver") or "", containerd=containerd)
