"""The help screen: what each view shows and its keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Everywhere", [
        ("?  f1", "this help"),
        ("ctrl+p", "command palette: build, target, build args, layers of any image, compare two images, "
                   "history, theme"),
        ("ctrl+t", "toggle dark / light theme"),
        ("escape", "leave a screen; leaving a build cancels it"),
        ("q", "quit (layers, history, troubleshoot: leave); asks first while a build runs"),
    ]),
    ("Graph (home)", [
        ("arrows  j k", "select a stage: its instructions, ARGs, lint findings and plan reason (or click)"),
        ("t", "change the target stage (the plan updates at once)"),
        ("a", "set or remove a build arg (K=V, -K)"),
        ("n", "builds of the target with / without the build cache (--no-cache)"),
        ("b", "build the current target on the engine"),
        ("v", "build it with BuildKit versus the classic builder, side by side"),
        ("x", "troubleshoot: build the selected stage and open a shell in it"),
        ("s  d  i", "side panel: stage, Dockerfile, lint"),
        ("/", "find a stage by name (enter again: the next one)"),
        ("S", "hide / show the stages the target does not need"),
        ("l", "layers of the last built image"),
        ("c", "the build context: what it sends, how long that takes, what .dockerignore should exclude"),
        ("h", "history of recorded builds"),
    ]),
    ("Build", [
        ("c", "cancel the build"),
        ("arrows  j k", "move between steps and stages; enter: the step's full log"),
        ("ctrl+r", "rebuild"),
        ("w", "why the step ran instead of coming from the cache"),
        ("l", "layers of the built image"),
        ("escape", "cancel the build and go back"),
    ]),
    ("Layers", [
        ("s", "sort layers by size / by order"),
        ("/", "filter the file tree by path"),
        ("z", "sort the file tree by size / by name"),
        ("w", "file tree: the layer's own changes / the whole image up to it"),
        ("c", "build each stage as its own image and compare sizes"),
        ("u", "ship: the image's wire size and what a push sends"),
    ]),
    ("Build context", [
        ("m", "send the context to the engine as it is and without the candidates, and time both"),
        ("y", "copy the lines to add to .dockerignore"),
        ("r", "read the context again"),
    ]),
    ("Troubleshoot", [
        ("b", "build the stage as the target"),
        ("s  enter", "open a shell in it (docker run --rm -it); exit the shell to come back"),
    ]),
    ("History", [
        ("enter", "replay the selected recording"),
        ("1 2 5 0", "replay speed ×1, ×2, ×5, as fast as possible"),
        ("space", "mark a build for comparison; c compares the two marked per stage"),
        ("v", "replay the two marked builds side by side"),
    ]),
]

LEGEND = [
    ("──▶", "FROM: the stage starts from that stage or image (solid)"),
    ("╌╌▶", "COPY --from: files copied from that stage (dashed)"),
    ("┈┈▶", "RUN --mount from=: mounted during a RUN (dotted)"),
    ("╔═╗", "the target stage (double border)"),
    ("dim", "a stage the target does not need: BuildKit skips it (reason in the box)"),
    ("wave N", "stages that can run side by side once the waves before are built (counted from 1, as in "
               "msb-tui plan)"),
]


def help_text() -> Text:
    text = Text()
    text.append("msb-tui", style="bold")
    text.append(" — explore Docker multi-stage builds: the stage graph, the plan BuildKit follows,\n"
                "live builds, layers and sizes of what came out.\n")
    for title, keys in SECTIONS:
        text.append(f"\n{title}\n", style="bold underline")
        for key, what in keys:
            text.append(f"  {key:<14}", style="bold")
            text.append(f"{what}\n")
    text.append("\nGraph legend\n", style="bold underline")
    for symbol, what in LEGEND:
        text.append(f"  {symbol:<14}", style="bold")
        text.append(f"{what}\n")
    text.append("\nThe engine: DOCKER_HOST, the docker context or --host. Without one, graph, replay and\n"
                "imported logs still work. NO_COLOR is honoured.\n", style="dim")
    return text


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(), id="help-text")
