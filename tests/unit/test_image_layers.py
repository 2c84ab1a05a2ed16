"""History entries: parsing ``created_by`` dialects, empty layers, and tying entries to Dockerfile lines."""

from __future__ import annotations

import pytest

from msb_tui.image.attribution import attribute, load_stages
from msb_tui.image.layers import parse_created_by, read_layers


@pytest.mark.parametrize(
    "created_by, cmd, text, args",
    [
        ("RUN |1 TOKEN=abc123 /bin/sh -c echo $TOKEN > /t && rm /src/a.txt # buildkit", "RUN", "echo $TOKEN > /t && rm /src/a.txt", (("TOKEN", "abc123"),)),
        ("RUN /bin/sh -c go build -o /out/app . # buildkit", "RUN", "go build -o /out/app .", ()),
        ("COPY /out/app /app # buildkit", "COPY", "/out/app /app", ()),
        ("WORKDIR /src", "WORKDIR", "/src", ()),
        ("ENV FOO=bar", "ENV", "FOO=bar", ()),
        ('CMD ["sh"]', "CMD", '["sh"]', ()),
        ("/bin/sh -c #(nop)  ENV PATH=/usr/local/bin", "ENV", "PATH=/usr/local/bin", ()),
        ("/bin/sh -c #(nop) COPY file:0af3b1 in /app ", "COPY", "file:0af3b1 in /app", ()),
        ("/bin/sh -c apt-get update", "RUN", "apt-get update", ()),
        ("|2 A=1 B=2 /bin/sh -c make", "RUN", "make", (("A", "1"), ("B", "2"))),
        ("", "", "", ()),
    ],
)
def test_parse_created_by(created_by, cmd, text, args):
    parsed = parse_created_by(created_by)
    assert (parsed.cmd, parsed.text, parsed.build_args) == (cmd, text, args)


DOCKERFILE = """\
ARG BASE_IMAGE=busybox:1.36
FROM ${BASE_IMAGE} AS base
ARG TOKEN=abc123
ENV FOO=bar
WORKDIR /src
COPY a.txt /src/a.txt
RUN echo $TOKEN > /t && rm /src/a.txt
LABEL x=y

FROM base
COPY --from=base /t /t2
CMD ["sh"]
"""

# What the engine answered for this Dockerfile (BuildKit 0.8, newest first), base image with 2 entries.
HISTORY = [
    {"CreatedBy": 'CMD ["sh"]', "Size": 0},
    {"CreatedBy": "COPY /t /t2 # buildkit", "Size": 7},
    {"CreatedBy": "LABEL x=y", "Size": 0},
    {"CreatedBy": "RUN |1 TOKEN=abc123 /bin/sh -c echo $TOKEN > /t && rm /src/a.txt # buildkit", "Size": 7},
    {"CreatedBy": "COPY a.txt /src/a.txt # buildkit", "Size": 5},
    {"CreatedBy": "WORKDIR /src", "Size": 0},
    {"CreatedBy": "ENV FOO=bar", "Size": 0},
    {"CreatedBy": "ARG TOKEN=abc123", "Size": 0},
    {"CreatedBy": '/bin/sh -c #(nop)  CMD ["sh"]', "Size": 0},
    {"CreatedBy": "/bin/sh -c #(nop) ADD file:123 in / ", "Size": 1990000},
]
DIFF_IDS = [f"sha256:{i}" for i in range(5)]


class FakeClient:
    def __init__(self, history=HISTORY, diff_ids=DIFF_IDS):
        self._history, self._diff_ids = history, diff_ids

    def inspect_image(self, image):
        return {"Id": "sha256:img", "RepoTags": [image], "Size": 1990019, "RootFS": {"Layers": self._diff_ids}, "Config": {}}

    def history(self, image):
        return self._history


def test_empty_layers_are_inferred_without_the_config():
    layers = read_layers(FakeClient(), "probe")
    assert not layers.exact_empty
    assert [(e.command.cmd, e.empty, e.layer_index) for e in layers.entries] == [
        ("ADD", False, 0),
        ("CMD", True, None),
        ("ARG", True, None),
        ("ENV", True, None),
        ("WORKDIR", False, 1),  # 0 bytes but a layer: the counts say so
        ("COPY", False, 2),
        ("RUN", False, 3),
        ("LABEL", True, None),
        ("COPY", False, 4),
        ("CMD", True, None),
    ]
    assert layers.layers[-1].diff_id == "sha256:4"


def test_empty_layers_from_the_config_are_exact():
    config = {"history": [{"empty_layer": flag} for flag in [False, True, True, True, False, False, False, True, False, True]]}
    layers = read_layers(FakeClient(), "probe", config=config)
    assert layers.exact_empty
    assert [e.layer_index for e in layers.entries if not e.empty] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("base_count", [None, 2])
def test_entries_tie_to_dockerfile_lines_through_the_stage_chain(base_count):
    layers = read_layers(FakeClient(), "probe")
    stages, target = load_stages(DOCKERFILE)  # msb_tui.analysis.analyze
    assert target == 1 and type(stages[0]).__module__ == "msb_tui.analysis.stages"
    attribute(layers, stages, 1, base_count=base_count)
    got = [(e.command.cmd, e.source.kind, e.source.stage, e.source.line) for e in layers.entries]
    assert got == [
        ("ADD", "base", None, None),
        ("CMD", "base", None, None),
        ("ARG", "dockerfile", "base", 3),
        ("ENV", "dockerfile", "base", 4),
        ("WORKDIR", "dockerfile", "base", 5),
        ("COPY", "dockerfile", "base", 6),
        ("RUN", "dockerfile", "base", 7),
        ("LABEL", "dockerfile", "base", 8),
        ("COPY", "dockerfile", "stage-1", 11),
        ("CMD", "dockerfile", "stage-1", 12),
    ]
    assert layers.entries[0].source.label == "base image: busybox:1.36"


def test_a_base_instruction_that_looks_like_ours_stays_in_the_base():
    # The base image ends with CMD ["sh"] too; our Dockerfile's own CMD is the newest entry.
    layers = read_layers(FakeClient(), "probe")
    stages, _ = load_stages(DOCKERFILE, build_args={"BASE_IMAGE": "msb-demo/busybox:1.35"})
    attribute(layers, stages, 1)
    assert layers.entries[1].source.kind == "base"
    assert layers.entries[9].source.line == 12
    assert layers.entries[0].source.base_image == "msb-demo/busybox:1.35"


def test_stages_and_targets():
    stages, target = load_stages(DOCKERFILE)
    assert [(s.display_name, s.base.kind, s.base.ref) for s in stages] == [("base", "image", "busybox:1.36"), ("stage-1", "stage", "base")]
    assert target == 1
    found, target = load_stages(DOCKERFILE, target="base")
    assert target == 0 and found[0].name == "base"
    with pytest.raises(ValueError):
        load_stages(DOCKERFILE, target="nope")
