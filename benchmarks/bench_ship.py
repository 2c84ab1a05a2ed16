"""Benchmark: the first look at a never-pushed SDK image (wire sizes + push plan) against ``docker
push`` of the same image to the same registry, in one run, per engine lane. Target (issue 16): the
plan takes at most 10% of the push's time.

The registry is the one set-up starts (Debian's docker-registry at 127.0.0.1:5000). Per lane:

1. (not timed) a never-pushed copy of the image: its layer tar with one marker file in front,
   imported as ``msb-bench-ship/sdk:<token>``. Same files, new diff id: neither the engine nor the
   registry knows its compressed digest, so the plan cannot look anything up and ``docker push``
   really compresses (overlay2) and uploads every byte instead of mounting a blob it pushed before.
2. ``plan``: what ``msb-tui ship IMAGE --to 127.0.0.1:5000/msb-bench-ship/<lane>-<token>`` does,
   with no remembered figures (an empty cache folder): wire sizes, then a HEAD per layer.
3. ``exact``: the wire sizes computed from the image export (every layer gzipped), no memory
   (``--no-exact`` skips it).
4. ``docker push`` of the copy to that fresh repository with the docker CLI; its output must say
   every layer was pushed, none mounted or already there.
5. the registry's blob sizes after the push vs the planned and the computed figures.

Then it removes only what it made: the copy and its tags, and the repository and the blobs it
pushed from the registry's storage (the copy's blobs are unique: nobody else links them).

    .venv/bin/python benchmarks/bench_ship.py [--lanes current,containerd] [--image IMAGE] [--no-exact] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from msb_tui.engine.lanes import parse_lanes  # noqa: E402
from msb_tui.registry.client import Reference  # noqa: E402
from msb_tui.registry.plan import push_plan  # noqa: E402
from msb_tui.registry.push import measure  # noqa: E402
from msb_tui.registry.server import ADDRESS, STORAGE, ping  # noqa: E402
from msb_tui.registry.wire import EXACT, wire_sizes  # noqa: E402

TARGET = 0.10
REPOSITORY = "msb-bench-ship"


def _timed(function):
    started = time.monotonic()
    value = function()
    return value, time.monotonic() - started


# --- a never-pushed copy of the image ---------------------------------------------------------------

def _layer_chunks(client, image: str, marker: bytes):
    """The image's only layer tar, uncompressed, with ``marker`` (a tar member) in front."""
    from msb_tui.image.export import READ_SIZE, ChunkReader
    from msb_tui.image.tarstream import REGULAR, iter_members
    import io

    diff_ids = client.inspect_image(image)["RootFS"]["Layers"]
    if len(diff_ids) != 1:
        raise SystemExit(f"{image} has {len(diff_ids)} layers; this benchmark copies single-layer images")
    yield marker
    reader = ChunkReader(client.get_image(image, chunk_size=READ_SIZE))
    try:
        for member in iter_members(io.BufferedReader(reader, buffer_size=READ_SIZE)):
            if member.type != REGULAR or member.size < 1 << 20:
                member.data.skip()
                continue
            head = member.data.read(READ_SIZE)
            inflate = zlib.decompressobj(31) if head[:2] == b"\x1f\x8b" else None  # containerd keeps it gzipped
            chunk = head
            while chunk:
                yield inflate.decompress(chunk) if inflate else chunk
                chunk = member.data.read(READ_SIZE)
            return
    finally:
        reader.close()


def fresh_copy(client, image: str, token: str) -> str:
    config = client.inspect_image(image)["Config"] or {}
    info = tarfile.TarInfo(f".msb-bench-ship-{token}")
    body = token.encode()
    info.size, info.mtime, info.mode = len(body), 0, 0o644
    marker = info.tobuf(tarfile.GNU_FORMAT) + body + b"\0" * (-len(body) % 512)
    changes = [f"ENV {item}" for item in config.get("Env") or []]
    changes += [f"{key.upper()} {json.dumps(config[name])}" for key, name in (("cmd", "Cmd"), ("entrypoint", "Entrypoint"))
                if config.get(name)]
    changes += [f"WORKDIR {config['WorkingDir']}"] if config.get("WorkingDir") else []
    client.import_image(src=_layer_chunks(client, image, marker), repository=f"{REPOSITORY}/sdk", tag=token,
                        changes=changes, stream_src=True)
    return f"{REPOSITORY}/sdk:{token}"


# --- cleaning up what we made --------------------------------------------------------------------------

def remove_from_registry(repository: str, digests: set[str]) -> None:
    """The repository folder, and each blob of ``digests`` that no other repository links."""
    root = STORAGE / "docker/registry/v2"
    shutil.rmtree(root / "repositories" / repository, ignore_errors=True)
    try:
        (root / "repositories" / repository).parent.rmdir()  # msb-bench-ship/, when no other run uses it
    except OSError:
        pass
    linked = {path.name for path in (root / "repositories").glob("**/sha256/*")}
    for digest in digests:
        hexdigest = digest.removeprefix("sha256:")
        if hexdigest and hexdigest not in linked:
            shutil.rmtree(root / "blobs/sha256" / hexdigest[:2] / hexdigest, ignore_errors=True)


def remove_image(client, image: str) -> None:
    try:
        image_id = client.inspect_image(image)["Id"]
        for tag in client.inspect_image(image_id).get("RepoTags") or []:
            client.remove_image(tag, noprune=False)
    except Exception as error:  # noqa: BLE001 - report, keep cleaning
        print(f"  (could not remove {image}: {error})")


# --- one lane ------------------------------------------------------------------------------------------

def bench_lane(lane, image: str, exact: bool) -> dict:
    import docker

    client = docker.APIClient(base_url=lane.host, timeout=900)
    token = uuid.uuid4().hex[:10]
    copy, copy_seconds = _timed(lambda: fresh_copy(client, image, token))
    os.sync()  # the import's 600 MB written out before anything is timed, for the plan and the push alike
    name = f"{REPOSITORY}/{lane.name}-{token}"
    target = Reference.parse(f"{ADDRESS}/{name}:1")
    digests: set[str] = set()
    cache = Path(tempfile.mkdtemp(prefix="msb-bench-ship-"))
    saved = os.environ.get("XDG_CACHE_HOME")
    try:
        os.environ["XDG_CACHE_HOME"] = str(cache / "plan")  # nothing remembered
        plan, plan_seconds = _timed(lambda: push_plan(wire_sizes(client, copy, registry=ADDRESS), target))
        computed, exact_seconds = None, None
        if exact:
            os.environ["XDG_CACHE_HOME"] = str(cache / "exact")
            computed, exact_seconds = _timed(lambda: wire_sizes(client, copy, mode=EXACT, registry=ADDRESS))
        os.environ["XDG_CACHE_HOME"] = str(cache / "after")
        client.tag(copy, f"{ADDRESS}/{name}", "1")
        env = {**os.environ, "DOCKER_HOST": lane.host}
        pushed, push_seconds = _timed(lambda: subprocess.run(
            [shutil.which("docker") or "docker", "push", str(target)], env=env, capture_output=True, text=True))
        if pushed.returncode != 0:
            raise SystemExit(f"docker push failed on {lane.name}: {pushed.stderr[-500:]}")
        lines = pushed.stdout.splitlines()
        uploaded = sum(line.endswith(": Pushed") for line in lines)
        reused = sum(("Mounted from" in line) or line.endswith("Layer already exists") for line in lines)
        measured = measure(client, copy, target)
        digests |= {layer.digest for layer in measured.layers if layer.digest}
        from msb_tui.registry.client import RegistryClient

        manifest, _ = RegistryClient(target).image_manifest("1", None)
        digests |= {manifest["config"]["digest"], *(line.split("digest: ")[1].split()[0] for line in lines if "digest: " in line)}
        return {"lane": lane.name, "image": copy, "copy_seconds": copy_seconds, "plan": plan, "plan_seconds": plan_seconds,
                "computed": computed, "exact_seconds": exact_seconds, "push_seconds": push_seconds,
                "uploaded": uploaded, "reused": reused, "measured": measured}
    finally:
        os.environ.pop("XDG_CACHE_HOME") if saved is None else os.environ.update(XDG_CACHE_HOME=saved)
        shutil.rmtree(cache, ignore_errors=True)
        remove_image(client, copy)
        remove_from_registry(name, digests)


def _mb(value) -> str:
    return f"{value / 1e6:.1f} MB"


def report(r: dict) -> bool:
    plan, measured, push = r["plan"], r["measured"], r["push_seconds"]
    share = r["plan_seconds"] / push
    print(f"[{r['lane']}] {r['image']} (a never-pushed copy, made in {r['copy_seconds']:.1f} s): "
          f"content {_mb(measured.content_size)}, in the registry after the push {_mb(measured.wire_size)}")
    print(f"  docker push (fresh repository)   {push:7.2f} s  layers pushed {r['uploaded']}, mounted/already there {r['reused']}")
    print(f"  plan, first look                 {r['plan_seconds']:7.2f} s  = {share:.1%} of the push (target <= {TARGET:.0%})"
          f"  {'MET' if share <= TARGET else 'NOT MET'}")
    planned = plan.wire
    sources = ", ".join(planned.sources) or "none"
    error = (planned.wire_size - measured.wire_size) / measured.wire_size if measured.wire_size else 0
    print(f"    planned upload {_mb(plan.upload_bytes)} in {len(plan.upload)} layer(s); wire {_mb(planned.wire_size)} from "
          f"{sources}: {error:+.1%} vs the registry")
    if r["computed"] is not None:
        computed = r["computed"]
        error = (computed.wire_size - measured.wire_size) / measured.wire_size if measured.wire_size else 0
        print(f"  exact: export + gzip -6          {r['exact_seconds']:7.2f} s  = {r['exact_seconds'] / push:.1%} of the push; "
              f"{_mb(computed.wire_size)} from {', '.join(computed.sources) or 'none'}: {error:+.1%} vs the registry")
    return share <= TARGET


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", default="current,containerd")
    parser.add_argument("--image", default="msb-demo/golang:1.19-bookworm")
    parser.add_argument("--no-exact", action="store_true", help="skip timing the exact (export + gzip) sizes")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per lane, each with a new copy and repository")
    args = parser.parse_args()
    if not ping(ADDRESS):
        raise SystemExit(f"no registry at {ADDRESS}: run scripts/dev.sh setup")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} cores; registry {ADDRESS}")
    met = []
    for lane in parse_lanes(args.lanes):
        shares = []
        for _ in range(args.rounds):
            result = bench_lane(lane, args.image, not args.no_exact)
            met.append(report(result))
            shares.append(result["plan_seconds"] / result["push_seconds"])
        if args.rounds > 1:
            print(f"[{lane.name}] plan / push over {args.rounds} rounds: " + ", ".join(f"{share:.1%}" for share in shares)
                  + f"; median {statistics.median(shares):.1%}")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())
