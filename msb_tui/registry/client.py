"""A small client for the registry HTTP API v2: manifests, blob HEADs and GETs, token auth.

Credentials come from the user's docker config exactly as the docker CLI finds them (the
``docker`` package's ``auth`` helpers: ``auths`` entries, ``credsStore`` and ``credHelpers``).
They only ever go into request headers: no message, repr or log line of this module holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import requests

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
LIST_TYPES = MANIFEST_TYPES[:2]
DOCKER_HUB = "docker.io"
_HOST = r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::\d+)?|localhost(?::\d+)?|[a-zA-Z0-9-]+:\d+)"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"  # docker's path component
_NAME = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*")


class RegistryError(Exception):
    """The registry could not answer what we asked; the message is safe to print."""


class RegistryUnreachable(RegistryError):
    pass


class RegistryAuthError(RegistryError):
    pass


class NotFound(RegistryError):
    pass


class PlatformNeeded(RegistryError):
    def __init__(self, message: str, platforms: list[str]):
        super().__init__(message)
        self.platforms = platforms


@dataclass(frozen=True)
class Reference:
    """``registry/repository:tag`` split the way docker splits it."""

    registry: str  # "docker.io" for Docker Hub
    repository: str  # "library/alpine" on Docker Hub
    tag: str = "latest"

    @classmethod
    def parse(cls, text: str) -> "Reference":
        from docker.auth import resolve_repository_name
        from docker.utils import parse_repository_tag

        name, tag = parse_repository_tag(text.strip())
        if not _NAME.fullmatch(name or "") or tag and not re.fullmatch(r"\w[\w.-]{0,127}", tag):
            raise ValueError(f"not an image reference: {text!r}")
        registry, remote = resolve_repository_name(name)
        if registry in ("index.docker.io", DOCKER_HUB) and "/" not in remote:
            remote = f"library/{remote}"
        return cls(DOCKER_HUB if registry == "index.docker.io" else registry, remote, tag or "latest")

    @property
    def api_host(self) -> str:
        return "registry-1.docker.io" if self.registry == DOCKER_HUB else self.registry

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in ("localhost", "[::1]") or name.startswith("127.")


class RegistryClient:
    """One registry and one repository; ``scheme`` is http for loopback (as docker treats it)."""

    def __init__(self, ref: Reference, timeout: float = 10, auth: dict | None = None):
        self.ref = ref
        self.timeout = timeout
        self.base = f"{'http' if _is_loopback(ref.api_host) else 'https'}://{ref.api_host}/v2"
        self._session = requests.Session()
        self._auth = auth if auth is not None else docker_auth(ref.registry)
        self._scope = f"repository:{ref.repository}:pull"

    def __repr__(self) -> str:  # never the credentials
        return f"RegistryClient({self.ref})"

    # --- requests with the auth dance ------------------------------------------------------
    def request(self, method: str, path: str, *, stream: bool = False, **headers) -> requests.Response:
        url = f"{self.base}/{self.ref.repository}/{path}" if path else f"{self.base}/"
        response = self._send(method, url, stream, headers)
        if response.status_code == 401:
            self._authenticate(response.headers.get("WWW-Authenticate", ""))
            response = self._send(method, url, stream, headers)
        if response.status_code == 401:
            who = "with the credentials from your docker config" if self._auth else "without credentials (none in your docker config)"
            raise RegistryAuthError(f"{self.ref.registry} refused access to {self.ref.repository} {who} (401); "
                                    f"run 'docker login {self.ref.registry}'")
        if response.status_code == 403:
            raise RegistryAuthError(f"{self.ref.registry} forbids access to {self.ref.repository} (403)")
        return response

    def _send(self, method, url, stream, headers) -> requests.Response:
        try:
            return self._session.request(method, url, headers=headers, timeout=self.timeout, stream=stream,
                                         allow_redirects=True)
        except requests.ConnectionError as error:
            raise RegistryUnreachable(f"registry {self.ref.registry} is unreachable ({type(error).__name__}: "
                                      f"no answer at {self.base})") from None
        except requests.Timeout:
            raise RegistryUnreachable(f"registry {self.ref.registry} did not answer within {self.timeout:.0f} s") from None

    def _authenticate(self, challenge: str) -> None:
        scheme, _, rest = challenge.partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        basic = (self._auth.get("username", ""), self._auth.get("password", "")) if self._auth.get("username") else None
        if scheme.lower() == "basic":
            if basic:
                self._session.auth = basic
            return
        if scheme.lower() != "bearer" or "realm" not in params:
            return
        query = {"service": params.get("service", ""), "scope": params.get("scope") or self._scope}
        if self._auth.get("identitytoken"):
            query.update(grant_type="refresh_token", refresh_token=self._auth["identitytoken"])
        try:
            answer = requests.get(params["realm"], params=query, auth=basic, timeout=self.timeout)
        except requests.RequestException:
            raise RegistryUnreachable(f"the token service of {self.ref.registry} is unreachable") from None
        if answer.status_code != 200:
            return  # the retried request fails with 401 and says so
        body = answer.json()
        token = body.get("token") or body.get("access_token")
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    # --- what the tools need ---------------------------------------------------------------
    def ping(self) -> None:
        """Raise when the registry does not answer or refuses us."""
        self.request("GET", "")

    def manifest(self, reference: str | None = None) -> tuple[dict, str, str]:
        """(manifest, media type, digest) of a tag or digest; :class:`NotFound` when absent."""
        response = self.request("GET", f"manifests/{reference or self.ref.tag}", Accept=", ".join(MANIFEST_TYPES))
        if response.status_code == 404:
            raise NotFound(f"{self.ref.registry}/{self.ref.repository}:{reference or self.ref.tag} is not in the registry")
        _raise_for(response, "manifest")
        body = response.json()
        media = body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        return body, media, response.headers.get("Docker-Content-Digest", "")

    def image_manifest(self, reference: str | None = None, platform: str | None = None) -> tuple[dict, str]:
        """(image manifest, platform) of a tag: an index is resolved to one platform, ``platform``
        (``os/arch[/variant]``) when given, else the only one, else :class:`PlatformNeeded`."""
        body, media, _ = self.manifest(reference)
        if media not in LIST_TYPES and "manifests" not in body:
            return body, platform or ""
        choices = {}
        for entry in body.get("manifests") or []:
            p = entry.get("platform") or {}
            if p.get("os") == "unknown":  # BuildKit's attestation manifests
                continue
            name = "/".join(part for part in (p.get("os"), p.get("architecture"), p.get("variant")) if part)
            choices[name] = entry["digest"]
        picked = platform if platform in choices else None
        if picked is None and platform is None and len(choices) == 1:
            picked = next(iter(choices))
        if picked is None:
            raise PlatformNeeded(f"{self.ref} is a multi-platform image ({', '.join(sorted(choices))}); "
                                 + (f"it has no {platform}; " if platform else "") + "pick one with --platform",
                                 sorted(choices))
        manifest, _, _ = self.manifest(choices[picked])
        return manifest, picked

    def blob_size(self, digest: str) -> int | None:
        """The size the registry stores for ``digest`` in this repository, None when it has none."""
        response = self.request("HEAD", f"blobs/{digest}")
        if response.status_code == 404:
            return None
        _raise_for(response, "blob")
        return int(response.headers.get("Content-Length", 0))

    def blob_json(self, digest: str) -> dict:
        response = self.request("GET", f"blobs/{digest}")
        _raise_for(response, "blob")
        return response.json()

    def download(self, digest: str, chunk: int = 1 << 20) -> int:
        """Fetch a blob and throw it away; the bytes received."""
        response = self.request("GET", f"blobs/{digest}", stream=True)
        _raise_for(response, "blob")
        return sum(len(part) for part in response.iter_content(chunk))


def _raise_for(response: requests.Response, what: str) -> None:
    if response.status_code >= 400:
        raise RegistryError(f"registry answered {response.status_code} for a {what} request")


def docker_auth(registry: str) -> dict:
    """The credentials the docker CLI would use for ``registry`` ({} when none)."""
    from docker import auth

    try:
        config = auth.load_config()
        return auth.resolve_authconfig(config, None if registry == DOCKER_HUB else registry) or {}
    except Exception:  # noqa: BLE001 - a broken config or helper means "no credentials", as for docker pull
        return {}
