"""What it costs to ship, on the real registry (Debian's docker-registry at 127.0.0.1:5000, started
by scripts/dev.sh) and each engine lane: wire sizes equal the registry's blob sizes after a push, and
the push plan of a rebuilt image lists exactly its changed layers."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from pathlib import Path

import pytest

from msb_tui.builds.model import BuildModel
from msb_tui.backends import open_backend
from msb_tui.builds.inputs import BuildInputs
from msb_tui.registry.client import Reference, RegistryClient
from msb_tui.registry.plan import MOUNT, PRESENT, UPLOAD, push_plan
from msb_tui.registry.push import push_image
from msb_tui.registry.server import ADDRESS, STORAGE, ping
from msb_tui.registry.engine_store import open_store
from msb_tui.registry.wire import COMPUTED, ESTIMATED, EXACT, KNOWN, MEASURED_ENGINE, MEASURED_REGISTRY, wire_sizes

pytestmark = pytest.mark.engine


@pytest.fixture(scope="session")
def registry():
    import os

    if not ping(ADDRESS):
        message = f"no registry at {ADDRESS}: run 'scripts/dev.sh setup' (or msb-tui registry up)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return ADDRESS


@pytest.fixture(autouse=True)
def _own_wire_memory(tmp_path, monkeypatch):
    """Each test starts with no remembered figures (the engine's RepoDigests still count)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _build(docker_api, context: Path, target: str | None, build_args: dict, tag: str) -> str:
    from msb_tui.analysis import analyze

    request = BuildInputs(context=context, target=target, build_args=build_args, tags=(tag,))
    model = BuildModel(analyze((context / "Dockerfile").read_text(), target=target, build_args=build_args))
    for event in open_backend("engine", client=docker_api, record=False).start(request):
        model.apply(event)
    assert model.status == "succeeded", model.error
    return tag


def _stored_size(digest: str) -> int:
    """The size of the blob file in the registry's own storage folder."""
    hex_digest = digest.removeprefix("sha256:")
    return (STORAGE / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data").stat().st_size


def _target(lane: str, name: str, tag: str = "v1") -> Reference:
    return Reference.parse(f"{ADDRESS}/msb-test-ship-{lane}/{name}:{tag}")


@pytest.mark.slow
def test_go_demo_push_reports_the_registrys_blob_sizes_and_plans_only_the_changed_layer(
        docker_api, engine_lane, offline_images, demos, registry, tmp_path):
    run = uuid.uuid4().hex[:8]
    final = _build(docker_api, demos / "go", "final", offline_images, f"msb-test-ship/go-final:{run}")
    sdk = _build(docker_api, demos / "go", "build", offline_images, f"msb-test-ship/go-build:{run}")
    try:
        for image, name in ((final, "go-final"), (sdk, "go-build")):
            # Gzipping the 640 MB build stage first would double the test's time: only the final's.
            before = wire_sizes(docker_api, image, mode=EXACT if name == "go-final" else KNOWN)
            target = _target(engine_lane.name, name, run)
            result = push_image(docker_api, image, target)
            measured = result.measured
            assert measured is not None and measured.complete
            for layer in measured.layers:
                assert layer.how == MEASURED_REGISTRY
                assert layer.wire_size == _stored_size(layer.digest)
            # Asked again (a new process would do the same): the registry's figures, no export.
            after = wire_sizes(docker_api, image, mode=KNOWN)
            assert [l.wire_size for l in after.layers] == [l.wire_size for l in measured.layers]
            print(f"{engine_lane.name} {name}: before push {before.wire_size} B ({before.sources}), "
                  f"registry {measured.wire_size} B, content {measured.content_size} B")
            if name == "go-final":  # the computed figure is close to what docker's gzip makes
                assert abs(before.wire_size - measured.wire_size) <= 0.1 * measured.wire_size

        # Rebuild the final image with one change in the server's source: one new layer.
        changed = tmp_path / "go"
        shutil.copytree(demos / "go", changed)
        main = changed / "cmd/server/main.go"
        main.write_text(main.read_text().replace('name = "world"', 'name = "shipped world"'))
        rebuilt = _build(docker_api, changed, "final", offline_images, f"msb-test-ship/go-final:{run}-2")
        old_ids = set(docker_api.inspect_image(final)["RootFS"]["Layers"])
        new_ids = docker_api.inspect_image(rebuilt)["RootFS"]["Layers"]
        plan = push_plan(wire_sizes(docker_api, rebuilt), _target(engine_lane.name, "go-final", run + "-2"))
        assert [p.layer.diff_id for p in plan.upload] == [d for d in new_ids if d not in old_ids]
        assert len(plan.upload) == 1
    finally:
        for tag in (final, sdk, f"msb-test-ship/go-final:{run}-2"):
            _remove_all_tags(docker_api, tag)


def test_plan_of_a_rebuilt_image_lists_exactly_the_changed_layer(docker_api, engine_lane, offline_images, registry, tmp_path):
    """Three COPY layers on busybox; the middle file changes: the plan uploads that layer alone."""
    run = uuid.uuid4().hex[:8]
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {offline_images['BASE_IMAGE'] if 'BASE_IMAGE' in offline_images else 'msb-demo/busybox:1.35'}\n"
                                        "COPY a.txt /a.txt\nCOPY b.txt /b.txt\nCOPY c.txt /c.txt\n")
    for name in "abc":
        (context / f"{name}.txt").write_text(name * 100_000 + run)
    first = _build(docker_api, context, None, {}, f"msb-test-ship/three:{run}")
    target = _target(engine_lane.name, "three", run)
    try:
        push_image(docker_api, first, target)
        (context / "b.txt").write_text("changed" * 50_000 + run)
        second = _build(docker_api, context, None, {}, f"msb-test-ship/three:{run}-2")
        old_ids = docker_api.inspect_image(first)["RootFS"]["Layers"]
        new_ids = docker_api.inspect_image(second)["RootFS"]["Layers"]
        changed = [d for d in new_ids if d not in old_ids]
        assert len(changed) == 1 and len(new_ids) == len(old_ids)
        plan = push_plan(wire_sizes(docker_api, second), Reference.parse(f"{ADDRESS}/msb-test-ship-{engine_lane.name}/three:{run}-2"))
        assert [p.layer.diff_id for p in plan.upload] == changed
        assert all(p.action == PRESENT for p in plan.layers if p.layer.diff_id != changed[0])
        # Another repository of the same registry: the unchanged layers are mounted, not uploaded.
        elsewhere = push_plan(plan.wire, Reference.parse(f"{ADDRESS}/msb-test-ship-{engine_lane.name}/three-copy:{run}"))
        assert [p.action for p in elsewhere.layers] == [UPLOAD if p.layer.diff_id in changed else MOUNT for p in elsewhere.layers]
        # The push then does what the plan said: the changed layer uploaded, the others skipped.
        result = push_image(docker_api, second, Reference.parse(f"{ADDRESS}/msb-test-ship-{engine_lane.name}/three:{run}-2"))
        assert len(result.uploaded) == 1, result.layers
    finally:
        for tag in (f"msb-test-ship/three:{run}", f"msb-test-ship/three:{run}-2"):
            _remove_all_tags(docker_api, tag)


def test_the_first_look_at_a_never_pushed_layer_is_exact_or_an_estimate_that_says_so(
        docker_api, engine_lane, registry, tmp_path, monkeypatch):
    """A 25 MB layer nobody pushed. The containerd store's manifest gives its blob size exactly; on
    overlay2 it is estimated from a sample of its files (this machine's engine) or computed from the
    export, within its margin plus zlib-vs-Go of what the push stores; after the push the registry's
    figure replaces it. An image built on top then finds the pushed layers in the engine's own
    records with nothing remembered, and its plan uploads only its new layer."""
    run = uuid.uuid4().hex[:8]
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM msb-demo/busybox:1.35\nRUN dd if=/dev/urandom of=/noise bs=1M count=4 "
                                        f"&& seq 1 3000000 > /numbers && echo {run} > /run-id\n")
    image = _build(docker_api, context, None, {}, f"msb-test-ship/first-look:{run}")
    target = _target(engine_lane.name, "first-look", run)
    store = open_store(docker_api)
    try:
        before = wire_sizes(docker_api, image)
        top = before.layers[-1]
        if store is not None and store.containerd:
            expected = MEASURED_ENGINE
        else:
            expected = ESTIMATED if store is not None else COMPUTED
        assert top.how == expected and top.content_size > 20_000_000
        if expected == ESTIMATED:
            assert 0 < top.sample < 0.5 and 0 < top.margin < 0.5 and before.estimated
        measured = push_image(docker_api, image, target).measured.layers[-1]
        print(f"{engine_lane.name}: first look {top.wire_size} B ({top.how}, sample {top.sample}, margin {top.margin}), "
              f"registry {measured.wire_size} B")
        if expected == MEASURED_ENGINE:
            assert top.wire_size == measured.wire_size and top.digest == measured.digest
        else:
            slack = (top.margin or 0) + 0.06  # Go's gzip makes a few per cent more than zlib at the same level
            assert abs(top.wire_size - measured.wire_size) <= slack * measured.wire_size
        after = wire_sizes(docker_api, image, mode=KNOWN).layers[-1]
        assert (after.how, after.wire_size) == (MEASURED_REGISTRY, measured.wire_size) and not after.estimated

        (context / "Dockerfile").write_text(f"FROM {image}\nRUN echo on top > /top\n")
        on_top = _build(docker_api, context, None, {}, f"msb-test-ship/first-look:{run}-2")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nothing-remembered"))
        known = wire_sizes(docker_api, on_top, mode=KNOWN, registry=ADDRESS)
        if store is not None:
            assert [layer.wire_size is not None for layer in known.layers] == [True] * (len(known.layers) - 1) + [
                bool(store.containerd)]  # the new layer is known only to the containerd store
            plan = push_plan(known, _target(engine_lane.name, "first-look", run + "-2"))
            assert [p.action for p in plan.layers] == [PRESENT] * (len(plan.layers) - 1) + [UPLOAD]
    finally:
        for tag in (image, f"msb-test-ship/first-look:{run}-2"):
            _remove_all_tags(docker_api, tag)


def test_an_interrupted_push_leaves_no_tag_and_the_next_push_completes(docker_api, engine_lane, offline_images, registry, tmp_path):
    run = uuid.uuid4().hex[:8]
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM msb-demo/busybox:1.35\nCOPY noise.bin /noise.bin\n")
    import os

    (context / "noise.bin").write_bytes(os.urandom(60_000_000))  # incompressible: the upload takes a while
    image = _build(docker_api, context, None, {}, f"msb-test-ship/noise:{run}")
    target = _target(engine_lane.name, "noise", run)
    client = RegistryClient(target)
    seen = []
    try:
        from msb_tui.registry.push import PushCancelled

        def stop() -> bool:
            return any(p.status == "Pushing" and 0 < p.current < p.total for p in seen)

        with pytest.raises(PushCancelled):
            push_image(docker_api, image, target, on_progress=seen.append, should_stop=stop)
        from msb_tui.registry.client import NotFound

        import time

        time.sleep(1)
        with pytest.raises(NotFound):
            client.manifest(target.tag)
        result = push_image(docker_api, image, target)
        assert result.digest and result.measured.complete
        assert client.manifest(target.tag)[2] == result.digest
    finally:
        _remove_all_tags(docker_api, image)


def _remove_all_tags(client, tag: str) -> None:
    try:
        image_id = client.inspect_image(tag)["Id"]
        for name in client.inspect_image(image_id).get("RepoTags") or []:
            if "msb-test-ship" in name:
                client.remove_image(name)
    except Exception:  # noqa: BLE001 - already gone
        pass


# --- the command, on bad input and faults ------------------------------------------------------------

def _ship(*args: str, env: dict | None = None):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "msb_tui", "ship", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_ship_command_faults(docker_api, engine_lane, offline_images, registry):
    image = offline_images["BASE_IMAGE"]
    unreachable = _ship(image, "--to", "127.0.0.1:1/x:1")
    assert unreachable.returncode == 5 and "unreachable" in unreachable.stderr
    missing = _ship("msb-test-ship/no-such-image:1")
    assert missing.returncode == 2 and "no such image" in missing.stderr
    # An image that exists only locally: the plan uploads every layer; nothing to measure a pull of.
    only_local = _ship(image, "--to", f"{ADDRESS}/msb-test-ship-{engine_lane.name}/never-pushed-{uuid.uuid4().hex[:6]}:1")
    assert only_local.returncode == 0, only_local.stderr
    assert "would upload" in only_local.stdout and "pull estimate at 100 Mbit/s" in only_local.stdout
    not_there = _ship(image, "--to", f"{ADDRESS}/msb-test-ship-{engine_lane.name}/never-pushed:1", "--measure-pull")
    assert not_there.returncode == 5 and "is not in the registry" in not_there.stderr
    bad = _ship(image, "--bandwidth", "fast")
    assert bad.returncode == 2 and "not a bandwidth" in bad.stderr


@pytest.fixture(scope="module")
def locked_registry(tmp_path_factory):
    """A second docker-registry that wants a password (htpasswd, bcrypt), on a port of its own."""
    import warnings

    with warnings.catch_warnings():  # deprecated in 3.11, present through 3.12: bcrypt is what htpasswd needs
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    import socket
    import subprocess
    import time

    from msb_tui.registry.server import BINARY

    if not shutil.which(BINARY):
        pytest.skip("no docker-registry (scripts/dev.sh setup installs it)")
    folder = tmp_path_factory.mktemp("locked")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (folder / "htpasswd").write_text(f"shipper:{crypt.crypt('Ship-Pass-42', crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    (folder / "config.yml").write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {folder / 'store'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n    realm: msb-test\n    path: {folder / 'htpasswd'}\n")
    process = subprocess.Popen([BINARY, "serve", str(folder / "config.yml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not ping(f"127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.1)
        yield f"127.0.0.1:{port}", folder
    finally:
        process.terminate()
        process.wait(10)


def test_a_401_without_credentials_and_a_plan_with_the_docker_configs(docker_api, engine_lane, offline_images, locked_registry, tmp_path):
    address, _ = locked_registry
    image = offline_images["BASE_IMAGE"]
    empty = tmp_path / "no-creds"
    empty.mkdir()
    refused = _ship(image, "--to", f"{address}/app:1", env={"DOCKER_CONFIG": str(empty)})
    assert refused.returncode == 5 and "401" in refused.stderr and "docker login" in refused.stderr
    creds = tmp_path / "creds"
    creds.mkdir()
    token = base64.b64encode(b"shipper:Ship-Pass-42").decode()
    (creds / "config.json").write_text(json.dumps({"auths": {address: {"auth": token}}}))
    planned = _ship(image, "--to", f"{address}/app:1", "--json", env={"DOCKER_CONFIG": str(creds)})
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["plan"]["upload_layers"] >= 1
    for output in (refused.stdout + refused.stderr, planned.stdout + planned.stderr):
        assert "Ship-Pass-42" not in output and token not in output


def test_a_multi_platform_image_in_the_registry_is_picked_or_asked_for(docker_api, engine_lane, offline_images, registry):
    """An OCI index with the engine's platform and one more: the engine's is picked; --platform
    picks another; an index without the engine's platform asks which one (exit 5, the list)."""
    import requests

    from msb_tui.registry.push import engine_platform

    run = uuid.uuid4().hex[:8]
    image = offline_images["BASE_IMAGE"]
    target = _target(engine_lane.name, "multi", run)
    try:
        result = push_image(docker_api, image, target)
        client = RegistryClient(target)
        manifest, media, digest = client.manifest(target.tag)
        size = len(client.request("GET", f"manifests/{digest}").content)
        here = engine_platform(docker_api)
        os_name, arch = here.split("/")[:2]

        def put_index(tag: str, platforms: list[tuple[str, str]]) -> None:
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [{"mediaType": media, "digest": digest, "size": size,
                                    "platform": {"os": o, "architecture": a}} for o, a in platforms]}
            answer = requests.put(f"http://{ADDRESS}/v2/{target.repository}/manifests/{tag}", data=json.dumps(index),
                                  headers={"Content-Type": index["mediaType"]}, timeout=10)
            assert answer.status_code == 201, answer.text

        put_index(f"{run}-both", [(os_name, arch), ("linux", "s390x")])
        put_index(f"{run}-other", [("linux", "s390x"), ("linux", "ppc64le")])
        both = f"{ADDRESS}/{target.repository}:{run}-both"
        picked = _ship(image, "--to", both, "--measure-pull")
        assert picked.returncode == 0, picked.stderr
        assert f"{result.measured.wire_size / 1e6:.1f} MB in 1 blob(s)" in picked.stdout
        chosen = _ship(image, "--to", both, "--measure-pull", "--platform", "linux/s390x")
        assert chosen.returncode == 0, chosen.stderr
        asked = _ship(image, "--to", f"{ADDRESS}/{target.repository}:{run}-other", "--measure-pull")
        assert asked.returncode == 5 and "multi-platform" in asked.stderr
        assert "linux/ppc64le, linux/s390x" in asked.stderr and "--platform" in asked.stderr
    finally:
        _remove_all_tags(docker_api, f"{target.registry}/{target.repository}:{target.tag}")
