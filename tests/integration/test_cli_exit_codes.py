"""Issue 14 item 14: exit codes, progress and messages of compare and ci, on the real engine."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from msb_tui.cli import main


@pytest.mark.engine
def test_ci_without_limits_says_nothing_was_checked(offline_images, capsys):
    assert main(["ci", offline_images["BASE_IMAGE"]]) == 2
    out = capsys.readouterr().out
    assert "Result: NOTHING CHECKED" in out and "PASS" not in out.split("Result:")[-1]
    assert main(["ci", offline_images["BASE_IMAGE"], "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["checked"] is False and data["passed"] is False


@pytest.mark.engine
def test_ci_fail_on_leaks_is_the_leak_gate_and_no_leaks_still_means_it(offline_images, capsys):
    image = offline_images["BASE_IMAGE"]
    assert main(["ci", image, "--fail-on-leaks"]) == 0
    out = capsys.readouterr().out
    assert "PASS  leaks: 0 leak finding(s)" in out and "Result: PASS" in out
    assert main(["ci", image, "--no-leaks"]) == 0
    assert "PASS  leaks:" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["ci", "--help"])
    assert "--fail-on-leaks" in capsys.readouterr().out


@pytest.mark.engine
def test_compare_with_an_ambiguous_short_id_lists_the_matches(docker_api, offline_images, capsys):
    firsts = Counter(image["Id"].removeprefix("sha256:")[0] for image in docker_api.images(all=True))
    prefix, count = firsts.most_common(1)[0]
    assert count >= 2, "the engine holds fewer than two images sharing a first digit"
    assert main(["compare", prefix, offline_images["BASE_IMAGE"]]) == 2
    err = capsys.readouterr().err
    # (the count may grow while other tests build: images appear between the listing and the error)
    assert f"'{prefix}' is the start of " in err and " image ids" in err and "Server Error" not in err, err


@pytest.mark.engine
def test_compare_says_what_it_is_reading(offline_images, capsys):
    assert main(["compare", offline_images["BASE_IMAGE"], offline_images["SDK_IMAGE"], "--limit", "3"]) == 0
    err = capsys.readouterr().err
    assert f"reading {offline_images['BASE_IMAGE']} (1 of 2)" in err
    assert f"reading {offline_images['SDK_IMAGE']} (2 of 2)" in err and "read in" in err, err
