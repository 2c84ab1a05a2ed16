"""Leak check, image comparison, CI limits and size parsing, on synthetic layers."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from test_image_archives import layer_tar, legacy_archive

from msb_tui.cli import main
from msb_tui.commands import CommandFailed
from msb_tui.commands import ci as ci_command
from msb_tui.image.compare import ImageComparison, compare_reports
from msb_tui.image.export import read_image_archive
from msb_tui.image.filetree import stack_layers
from msb_tui.image.layers import LayerInfo, parse_created_by
from msb_tui.image.leaks import file_leaks, find_leaks, mask, secret_leaks, secret_reason
from msb_tui.image.render import parse_fraction, parse_size
from msb_tui.image.waste import compute_waste


def _report(name: str, layers: list[bytes], size: int | None = None):
    archive = read_image_archive(io.BytesIO(legacy_archive(layers)))
    stacked = stack_layers(archive.layers)
    waste = compute_waste(archive.layers, stacked)
    image_layers = SimpleNamespace(size=size if size is not None else waste.final_bytes, entries=[], config={},
                                   size_kind="content", compressed_size=None)
    return SimpleNamespace(name=name, archive=archive, stacked=stacked, waste=waste, layers=image_layers, leaks=[])


SDK = layer_tar(
    [
        ("usr/lib/go-1.19/bin/go", b"G" * 4000),
        ("usr/lib/go-1.19/src/fmt/print.go", b"p" * 1000),
        ("usr/bin/gcc", b"c" * 700),
        ("var/cache/apt/archives/x.deb", b"d" * 300),
        ("var/cache/apt/archives/partial", None),
        ("var/lib/apt/lists", None),
        ("root/.cache/go-build/aa", b"b" * 200),
        ("src/app/main.go", b"m" * 50),
        ("src/app/util.go", b"u" * 30),
        ("src/app/.git/HEAD", b"ref: main\n"),
        ("usr/include/stdio.h", b"h" * 10),
        ("usr/share/doc/example.c", b"e" * 10),
        ("out/server", b"S" * 450),
    ]
)
FINAL = layer_tar([("server", b"S" * 450)])


def test_file_leaks_in_an_sdk_image():
    report = _report("sdk", [SDK])
    found = {(leak.category, leak.where, leak.size) for leak in file_leaks(report.stacked.root)}
    assert found == {
        ("toolchain", "/usr/lib/go-1.19", 5000),
        ("toolchain", "/usr/bin/gcc", 700),
        ("cache", "/var/cache/apt", 300),
        ("cache", "/root/.cache", 200),
        ("vcs", "/src/app/.git", 10),
        ("source", "/src/app", 80),
    }  # empty /var/lib/apt/lists is fine; headers and docs are not source leaks


def test_credential_files_are_leaks():
    layer = layer_tar(
        [
            ("root/.ssh/id_ed25519", b"k" * 400),
            ("root/.ssh/id_ed25519.pub", b"p" * 90),
            ("home/app/.ssh/id_rsa", b"r" * 1700),
            ("root/.aws/credentials", b"a" * 116),
            ("app/.npmrc", b"n" * 60),
            ("root/.docker/config.json", b"d" * 80),
            ("app/.env", b"e" * 40),
            ("app/.env.production", b"e" * 41),
            ("app/.env.example", b"x" * 42),
            ("app/credentials", b"c" * 10),  # not under .aws: a name alone proves nothing
        ]
    )
    found = {(leak.category, leak.where, leak.size) for leak in file_leaks(_report("creds", [layer]).stacked.root)}
    assert found == {
        ("credential", "/root/.ssh/id_ed25519", 400),
        ("credential", "/home/app/.ssh/id_rsa", 1700),
        ("credential", "/root/.aws/credentials", 116),
        ("credential", "/app/.npmrc", 60),
        ("credential", "/root/.docker/config.json", 80),
        ("credential", "/app/.env", 40),
        ("credential", "/app/.env.production", 41),
    }


def test_final_image_has_no_file_leaks():
    assert file_leaks(_report("final", [FINAL]).stacked.root) == []


@pytest.mark.parametrize(
    "name, value, leaks",
    [
        ("GITHUB_TOKEN", "abc", True),
        ("DB_PASSWORD", "hunter2", True),
        ("API_KEY", "x1", True),
        ("NPM_AUTH_TOKEN", "", False),  # empty: nothing leaked
        ("GOLANG_SHA256", "5a3c" * 16, False),  # a checksum, not a secret
        ("PATH", "/usr/local/sbin:/usr/local/bin", False),
        ("CONFIG", "AKIAIOSFODNN7EXAMPLE", True),
        ("SOMETHING", "-----BEGIN RSA PRIVATE KEY-----", True),
        ("SEED", "q8Zr7Xk2Lm9Np4Vt6Bw1Cy3Dz5Fa0GhJ", True),  # high entropy
        ("GREETING", "hello world", False),
    ],
)
def test_secret_reasons(name, value, leaks):
    assert (secret_reason(name, value) is not None) is leaks


def test_secret_leaks_in_config_and_history_are_masked():
    entries = [
        LayerInfo(0, "ARG TOKEN=abc123", parse_created_by("ARG TOKEN=abc123"), True),
        LayerInfo(1, "RUN |1 TOKEN=abc123 /bin/sh -c make # buildkit", parse_created_by("RUN |1 TOKEN=abc123 /bin/sh -c make # buildkit"), False, size=7),
        LayerInfo(2, "ENV MODE=prod", parse_created_by("ENV MODE=prod"), True),
    ]
    leaks = secret_leaks({"Env": ["PATH=/bin", "DB_PASSWORD=hunter2"], "Labels": {"maintainer": "me"}}, entries)
    assert [(leak.where, leak.size) for leak in leaks] == [("config Env", 0), ("history #0: ARG", 0), ("history #1: RUN", 7)]
    assert all("abc123" not in leak.why and "hunter2" not in leak.why for leak in leaks)
    assert mask("abc123") == "abc…(6 chars)"
    everything = find_leaks(_report("sdk", [SDK]).stacked.root, {"Env": ["DB_PASSWORD=x1"]}, [])
    assert everything[0].where == "/usr/lib/go-1.19" and everything[-1].category == "secret"


def test_compare_sdk_stage_with_final_image():
    shared = layer_tar([("etc/passwd", b"root\n")])
    sdk = _report("sdk", [shared, SDK], size=750_000_000)
    final = _report("final", [shared, FINAL], size=4_500_000)
    comparison = compare_reports(sdk, final)
    assert comparison.summary() == "750.0 MB → 4.5 MB, 167x smaller"
    assert comparison.shared_layers == [sdk.archive.diff_ids[0]]
    assert (comparison.layers_a, comparison.layers_b) == (2, 2)
    assert comparison.files[0].path == "/usr/lib/go-1.19/bin/go" and comparison.files[0].delta == -4000
    assert comparison.counts() == {"added": 1, "removed": 11, "changed": 0}
    assert [f.path for f in comparison.files if f.change == "added"] == ["/server"]


def test_compare_yesterday_and_today():
    yesterday = _report("app:1", [layer_tar([("app", b"a" * 100), ("conf", b"c" * 10), ("same", b"s")])])
    today = _report("app:2", [layer_tar([("app", b"a" * 120), ("conf", b"d" * 10), ("same", b"t")])])
    comparison = compare_reports(yesterday, today)
    assert [(f.path, f.change, f.delta) for f in comparison.files] == [("/app", "changed", 20)]
    assert comparison.same_size_other_layer == 2
    assert comparison.summary().endswith("(+20 Bytes, +18.0%)")
    assert ImageComparison("a", "b", 10, 10, 1, 1, []).summary().endswith("same size")


def test_ci_limits_pass_fail_skip():
    report = _report("x", [layer_tar([("f", b"1" * 1000)]), layer_tar([("f", b"2" * 10)])])
    report.layers.size = 2_000_000
    checks = ci_command.evaluate(report, max_size=parse_size("1MB"), min_efficiency=0.9, max_wasted=None, fail_on_leaks=True)
    assert [(c.name, c.status) for c in checks] == [
        ("max-size", "FAIL"),
        ("min-efficiency", "FAIL"),  # 1000 of 1010 bytes wasted
        ("max-wasted", "SKIP"),
        ("leaks", "PASS"),
    ]
    checks = ci_command.evaluate(report, max_size=parse_size("2MB"), min_efficiency=None, max_wasted=1000, fail_on_leaks=False)
    assert [c.status for c in checks] == ["PASS", "SKIP", "PASS", "SKIP"]


def test_ci_without_engine_exits_3(capsys):
    argv = ["ci", "some/image", "--host", "unix:///nonexistent/docker.sock", "--max-size", "10MB"]
    assert main(argv) == 3
    assert "no Docker engine answered" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, value", [("10MB", 10_000_000), ("512KiB", 524_288), ("1.5G", 1_500_000_000), ("42", 42), ("5 mb", 5_000_000)]
)
def test_parse_size(text, value):
    assert parse_size(text) == value


def test_parse_bad_sizes_and_fractions():
    with pytest.raises(ValueError):
        parse_size("ten megs")
    assert parse_fraction("90%") == pytest.approx(0.9)
    assert parse_fraction("0.95") == 0.95
    with pytest.raises(ValueError):
        parse_fraction("1.5")


def test_percent_never_rounds_up_to_100():
    from msb_tui.image.render import percent

    assert percent(0.999997) == ">99.99%"
    assert percent(1.0) == "100.00%"
    assert percent(0.975) == "97.50%"


def test_secrets_inline_in_run_commands():
    text = "RUN GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 make && curl -H x https://e.com # buildkit"
    entry = LayerInfo(3, text, parse_created_by(text), False, size=5)
    leaks = secret_leaks({}, [entry])
    assert [leak.where for leak in leaks] == ["history #3: RUN", "history #3: RUN"]
    assert all("ghp_abcdefghijklmnop" not in leak.why for leak in leaks)
    assert secret_leaks({}, [LayerInfo(0, "RUN make all", parse_created_by("RUN make all"), False)]) == []


def test_report_trees_for_earlier_layers_are_cached():
    from msb_tui.image.report import TREE_CACHE, ImageReport

    layers = [layer_tar([(f"f{i}", b"x" * (i + 1))]) for i in range(TREE_CACHE + 2)]
    synthetic = _report("x", layers)
    report = ImageReport("x", synthetic.layers, synthetic.archive, synthetic.stacked, synthetic.waste)
    first = report.file_tree(upto=0)
    assert [path for path, _, _ in first.files()] == ["f0"]
    assert report.file_tree(upto=0) is first
    for upto in range(1, TREE_CACHE + 1):
        report.file_tree(upto=upto)
    assert report.file_tree(upto=0) is not first  # evicted, rebuilt
    assert report.file_tree().root.size == sum(range(1, TREE_CACHE + 3))
    assert [n.status for n in report.layer_tree(1).root.children()] == ["added"]


def test_engine_dying_mid_export_exits_3(capsys):
    import urllib3

    from msb_tui.commands import layers as layers_command

    class DyingClient:
        def get_image(self, image, chunk_size=None):
            yield b"\0" * 100
            raise urllib3.exceptions.ProtocolError("Connection broken")

    with pytest.raises(CommandFailed) as failed:
        layers_command.analyze(DyingClient(), "x", None)
    assert failed.value.code == 3 and "Connection broken" in str(failed.value)
