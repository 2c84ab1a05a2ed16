"""The ship core without an engine: references, bandwidths, pairing manifests with diff ids, plans,
estimates, and the registry client's answers to auth challenges, absent servers and multi-platform
indexes (a small HTTP server in a thread stands in for the registry's HTTP API)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from msb_tui.registry.client import (PlatformNeeded, Reference, RegistryAuthError, RegistryClient,
                                     RegistryUnreachable)
from msb_tui.registry.plan import PRESENT, UPLOAD, parse_bandwidth, pull_estimate, push_plan
from msb_tui.registry.wire import COMPUTED, MEASURED_REGISTRY, WireLayer, WireReport, registry_figures

D = ["sha256:" + c * 64 for c in "abcd"]
B = ["sha256:" + c * 64 for c in "1234"]


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:5000/team/app:v2", ("127.0.0.1:5000", "team/app", "v2")),
    ("alpine", ("docker.io", "library/alpine", "latest")),
    ("ghcr.io/o/r", ("ghcr.io", "o/r", "latest")),
    ("localhost:5000/x:1.0-rc", ("localhost:5000", "x", "1.0-rc")),
])
def test_references_split_as_docker_splits_them(text, expected):
    ref = Reference.parse(text)
    assert (ref.registry, ref.repository, ref.tag) == expected


@pytest.mark.parametrize("text", ["", "UPPER/case", "a:b:c:d", "x:tag with space", "-bad/x", "a//b"])
def test_bad_references_are_refused(text):
    with pytest.raises(ValueError):
        Reference.parse(text)


@pytest.mark.parametrize("text, per_second", [("100Mbit", 12.5e6), ("1Gbit/s", 125e6), ("12.5MB", 12.5e6), ("800kbit", 1e5)])
def test_bandwidths(text, per_second):
    assert parse_bandwidth(text) == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["fast", "0Mbit", "-3MB"])
def test_bad_bandwidths(text):
    with pytest.raises(ValueError):
        parse_bandwidth(text)


def test_a_manifest_pairs_with_diff_ids_in_order_or_not_at_all():
    manifest = {"layers": [{"digest": B[0], "size": 10}, {"digest": B[1], "size": 20}]}
    figures = registry_figures(manifest, D[:2], "127.0.0.1:5000/team/app")
    assert figures[D[1]] == {"wire_size": 20, "digest": B[1], "how": MEASURED_REGISTRY, "source": "127.0.0.1:5000/team/app"}
    assert registry_figures(manifest, D[:3]) == {}


def _report(*layers: WireLayer) -> WireReport:
    return WireReport("app:2", "sha256:" + "e" * 64, list(layers))


class FakeRegistry:
    def __init__(self, blobs: dict[str, int]):
        self.blobs = blobs

    def ping(self):
        pass

    def blob_size(self, digest):
        return self.blobs.get(digest)


def test_the_plan_uploads_what_the_registry_lacks_and_what_has_no_known_digest():
    report = _report(WireLayer(D[0], 1000, wire_size=400, digest=B[0], how=MEASURED_REGISTRY),
                     WireLayer(D[1], 500, wire_size=200, digest=B[1], how=MEASURED_REGISTRY),
                     WireLayer(D[2], 300, wire_size=100, how=COMPUTED),
                     WireLayer(D[0], 1000, wire_size=400, digest=B[0], how=MEASURED_REGISTRY))
    plan = push_plan(report, Reference.parse("127.0.0.1:5000/app:2"), FakeRegistry({B[0]: 400}))
    assert [p.action for p in plan.layers] == [PRESENT, UPLOAD, UPLOAD]  # the repeated layer once
    assert plan.upload_bytes == 300 and plan.present_bytes == 400 and not plan.config_present


def test_pull_estimates_cold_and_since_a_previous_tag():
    report = _report(WireLayer(D[0], 1000, wire_size=50_000_000), WireLayer(D[1], 10, wire_size=2_500_000))
    estimate = pull_estimate(report, parse_bandwidth("100Mbit"), previous_diff_ids=[D[0]], previous="app:1")
    assert estimate.cold_seconds == pytest.approx(4.2)
    assert estimate.delta_bytes == 2_500_000 and estimate.delta_seconds == pytest.approx(0.2)


# --- the client against a stand-in registry -----------------------------------------------------------

SECRET = "s3cret-Passw0rd"
INDEX = {"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"digest": "sha256:" + "1" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
    {"digest": "sha256:" + "2" * 64, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
    {"digest": "sha256:" + "3" * 64, "platform": {"os": "unknown", "architecture": "unknown"}}]}


class _Handler(BaseHTTPRequestHandler):
    mode = "open"  # open, basic, bearer

    def log_message(self, *args):
        pass

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if self.mode == "basic":
            return header == "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode()
        if self.mode == "bearer":
            return header == "Bearer tok"
        return True

    def do_GET(self):
        if self.path.startswith("/token"):
            ok = self.headers.get("Authorization") == "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode()
            return self._send(200 if ok else 401, {"token": "tok"} if ok else {})
        if not self._authorized():
            challenge = ('Basic realm="r"' if self.mode == "basic"
                         else f'Bearer realm="http://{self.headers["Host"]}/token",service="reg"')
            return self._send(401, {"errors": []}, {"WWW-Authenticate": challenge})
        if self.path.endswith("/manifests/multi"):
            return self._send(200, INDEX, {"Content-Type": INDEX["mediaType"]})
        if "/manifests/sha256:" in self.path:
            return self._send(200, {"mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": [], "arch": self.path[-1]})
        return self._send(200, {})

    def _send(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def standin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    _Handler.mode = "open"


def _client(server, auth=None):
    return RegistryClient(Reference.parse(f"127.0.0.1:{server.server_port}/team/app:multi"), auth=auth or {})


@pytest.mark.parametrize("mode", ["basic", "bearer"])
def test_401_without_credentials_says_so_and_credentials_get_in(standin, mode):
    _Handler.mode = mode
    with pytest.raises(RegistryAuthError, match="401") as caught:
        _client(standin).ping()
    assert "docker login" in str(caught.value)
    client = _client(standin, {"username": "me", "password": SECRET})
    client.ping()
    with pytest.raises(RegistryAuthError) as wrong:
        _client(standin, {"username": "me", "password": "nope"}).ping()
    assert SECRET not in str(wrong.value) + repr(client) and "nope" not in str(wrong.value)


def test_an_unreachable_registry_is_named():
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RegistryUnreachable, match="unreachable"):
        RegistryClient(Reference.parse(f"127.0.0.1:{port}/x:1"), auth={}, timeout=2).ping()


def test_a_multi_platform_image_asks_for_a_platform_or_takes_the_one_given(standin):
    client = _client(standin)
    with pytest.raises(PlatformNeeded) as caught:
        client.image_manifest()
    assert caught.value.platforms == ["linux/amd64", "linux/arm64/v8"]  # attestations are not platforms
    manifest, platform = client.image_manifest(platform="linux/arm64/v8")
    assert platform == "linux/arm64/v8" and manifest["arch"] == "2"
    with pytest.raises(PlatformNeeded, match="no windows/amd64"):
        client.image_manifest(platform="windows/amd64")


def test_the_ci_gate_on_push_size():
    from msb_tui.commands.ci import push_size_check

    report = _report(WireLayer(D[0], 1000, wire_size=400_000, how=MEASURED_REGISTRY), WireLayer(D[1], 10, wire_size=100_000, how=COMPUTED))
    assert push_size_check(report, 500_000).status == "PASS"
    failed = push_size_check(report, 499_999)
    assert failed.status == "FAIL" and "500.0 kB > 500.0 kB" in failed.detail and "computed (gzip -6)" in failed.detail
    unknown = _report(WireLayer(D[0], 1000))
    assert push_size_check(unknown, 10**9).status == "FAIL"  # an unknown size never passes a limit
