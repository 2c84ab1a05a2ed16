"""What a build records so that the next build can say why its steps ran: a *cache record*.

Two private (0600) files next to the recording ``X.jsonl``, written before the build is sent:

- ``X.cache.json``: the record — the Dockerfile (path and text), the target, the build args (a
  secret one as a salted, slow hash: a change is still seen, the value is not kept), the image ids
  of the base images, the engine's identity, and whether the cache was off; after the build the
  outcome and the explanation (per step: stage, line, cached or ran, duration, why) are added.
- ``X.context.json``: the context manifest (:mod:`msb_tui.cache.manifest`), apart because 100,000
  files take ~12 MB and the record is read for every search of a previous build.

The recording itself stays as it was (its last line is the footer other readers rely on).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from msb_tui.builds.masking import MASK, secret_names
from msb_tui.builds.recording import read_footer
from msb_tui.cache.manifest import ContextManifest, ManifestError
from msb_tui.paths import open_private, recordings_dir

FORMAT = "msb-tui-cache-record"
VERSION = 1
RECORD_SUFFIX = ".cache.json"
MANIFEST_SUFFIX = ".context.json"
_HASH_ROUNDS = 100_000  # PBKDF2-SHA256 rounds for a secret value: each guess at it costs ~0.1 s
MARKER = re.compile(r"\*\*\*\*\{([0-9a-f]+):([0-9a-f]+)\}")


def mask_value(value: str, salt: str) -> str:
    """A secret value as kept: ``****{salt:hash}`` (equal for equal values under the same salt)."""
    digest = hashlib.pbkdf2_hmac("sha256", value.encode("utf-8"), bytes.fromhex(salt), _HASH_ROUNDS).hex()
    return f"{MASK}{{{salt}:{digest[:32]}}}"


def shown(value: str | None) -> str | None:
    """A value for display: every masked marker reads ``****``."""
    return None if value is None else MARKER.sub(MASK, value)


@dataclass
class CacheRecord:
    """One build's inputs as far as BuildKit's cache depends on them (see the module docstring)."""

    dockerfile: str  # absolute path
    target: str | None  # --target as given (None: the last stage)
    target_stage: str | None  # the target stage's display name (what "same target" compares)
    engine: str  # the engine's identity: same identity, same build cache
    dockerfile_text: str
    build_args: dict[str, str] = field(default_factory=dict)  # secret values masked (mask_value)
    bases: dict[str, str] = field(default_factory=dict)  # stage display name -> image ref it starts from
    images: dict[str, str | None] = field(default_factory=dict)  # image ref -> image id on the engine
    no_cache: bool = False
    platform: str | None = None
    started: float = 0.0
    recording: str | None = None  # the recording's path
    outcome: str | None = None  # after the build: succeeded, failed, cancelled
    explanation: dict[str, Any] | None = None  # after the build: CacheExplanation.to_json()

    def same_build(self, other: CacheRecord) -> bool:
        """Same Dockerfile path and target on the same engine: their caches can be compared."""
        return ((self.dockerfile, self.target_stage, self.engine)
                == (other.dockerfile, other.target_stage, other.engine))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> CacheRecord | None:
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
            return None
        try:
            return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})
        except TypeError:
            return None

    def salt_of(self, name: str) -> str | None:
        found = MARKER.fullmatch(self.build_args.get(name) or "")
        return found.group(1) if found else None


def kept_args(build_args: Mapping[str, str], marked: Iterable[str] = (),
              previous: CacheRecord | None = None) -> dict[str, str]:
    """The build args as a record keeps them: secret values hashed with the previous record's salt
    for that arg (so equal values compare equal), else a new salt."""
    secret = secret_names(build_args, marked)
    kept = {}
    for name, value in build_args.items():
        if name in secret and value:
            salt = (previous.salt_of(name) if previous else None) or secrets.token_hex(8)
            value = mask_value(value, salt)
        kept[name] = value
    return kept


def image_ids(client, refs: Iterable[str]) -> dict[str, str | None]:
    """The id of each image on the engine (None when it is not there: BuildKit will pull it)."""
    ids: dict[str, str | None] = {}
    for ref in refs:
        if ref in ids or not ref or ref == "scratch":
            continue
        try:
            ids[ref] = client.inspect_image(ref).get("Id")
        except Exception:  # noqa: BLE001 - not there (NotFound), or a name the engine refuses
            ids[ref] = None
    return ids


def engine_identity(backend) -> str:
    """Which build cache a backend's builds use: the engine's ``docker info`` ID (its address when
    that is unknown), apart for the classic builder; a buildx builder by name."""
    name = getattr(backend, "name", "engine")
    if name == "buildx":
        return f"buildx:{getattr(backend, 'builder', None) or 'default'}@{backend.engine().host}"
    info = backend.engine()
    return f"{name}:{info.engine_id or info.host or 'unknown'}"


# -- files ---------------------------------------------------------------------------------------


def record_path(recording: Path) -> Path:
    return Path(recording).with_suffix(RECORD_SUFFIX)


def manifest_path(recording: Path) -> Path:
    return Path(recording).with_suffix(MANIFEST_SUFFIX)


def _write_private(path: Path, text: str) -> None:
    """Write a whole file, 0600, replacing the old one only once the new one is complete."""
    partial = path.with_name(path.name + ".part")
    with open_private(partial) as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def save(record: CacheRecord, manifest=None) -> None:
    """Write the record (and the manifest, when given) next to ``record.recording``."""
    if not record.recording:
        return
    recording = Path(record.recording)
    if manifest is not None:
        _write_private(manifest_path(recording), manifest.to_json())
    _write_private(record_path(recording), json.dumps(record.to_json(), ensure_ascii=False))


def load(path: Path) -> CacheRecord | None:
    """The record of a recording (``X.jsonl``) or the record file itself; None when absent or damaged."""
    path = Path(path)
    if not path.name.endswith(RECORD_SUFFIX):
        path = record_path(path)
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return CacheRecord.from_json(data)


def load_manifest(recording: str | Path | None):
    """The context manifest kept with a recording, or None."""
    if not recording:
        return None
    try:
        return ContextManifest.from_json(manifest_path(Path(recording)).read_bytes())
    except (OSError, ManifestError):
        return None


def _outcome(record: CacheRecord) -> str | None:
    """The build's outcome: from the record, else the recording's footer (a record written before
    the build is updated after it; a killed msb-tui leaves only the footer, or nothing)."""
    if record.outcome:
        return record.outcome
    return read_footer(record.recording).get("outcome") if record.recording else None


def find_previous(record: CacheRecord, folder: Path | None = None) -> CacheRecord | None:
    """The newest record of a build of the same Dockerfile and target on the same engine that
    started before ``record`` and succeeded (a failed build leaves later steps out of the cache)."""
    if folder is None:
        folder = recordings_dir()
    needle = json.dumps(record.dockerfile, ensure_ascii=False)  # cheap filter before parsing
    candidates = []
    for path in Path(folder).glob("*" + RECORD_SUFFIX):
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        if needle.encode("utf-8") not in raw:
            continue
        try:
            other = CacheRecord.from_json(json.loads(raw))
        except (ValueError, RecursionError):
            continue
        if other is None or not other.same_build(record) or other.started >= record.started:
            continue
        if record.recording and other.recording == record.recording:
            continue
        candidates.append(other)
    candidates.sort(key=lambda other: other.started, reverse=True)
    return next((other for other in candidates if _outcome(other) == "succeeded"), None)
