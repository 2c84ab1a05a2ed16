"""Small modal dialogs: pick the target stage, edit a build arg, name an image.

Names shown here come from the Dockerfile (untrusted): options are built from ``Text``, never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from msb_tui.builds.inputs import parse_build_args
from msb_tui.sanitize import plain


def parse_build_arg(entry: str, current: dict[str, str]) -> dict[str, str] | str:
    """Apply ``K=V`` (set), ``K=`` (set to empty), ``K`` (from the environment, as docker reads
    ``--build-arg K``) or ``-K`` (remove) to a copy of ``current``.

    Returns the new dict, or a sentence saying why the entry is not understood.
    """
    entry = entry.strip()
    updated = dict(current)
    if not entry:
        return "type K=V to set a build arg, -K to remove one"
    if entry.startswith("-"):
        name = entry[1:].strip()
        if name not in updated:
            return f"no build arg named {name!r}"
        del updated[name]
        return updated
    name = entry.partition("=")[0].strip()
    if not name or any(c.isspace() for c in name):
        return "expected K=V (for example SDK_IMAGE=golang:1.22)"
    parsed = parse_build_args([entry])
    if not parsed:
        return f"{name} is not set in the environment: type {name}=VALUE"
    updated.update(parsed)
    return updated


class TargetPicker(ModalScreen[str | None]):
    """Pick the stage to build; the plan follows at once. The filter box has the focus (Textual's
    auto focus): typing filters, up/down/enter pick."""

    CSS_PATH = "pickers.tcss"
    BINDINGS = [Binding("escape", "dismiss", "Cancel"),
                Binding("down", "move(1)", show=False), Binding("up", "move(-1)", show=False)]

    def __init__(self, names: list[str], current: str | None) -> None:
        super().__init__()
        self.names = names
        self.current = current
        self.shown = list(names)  # the names the filter lets through, in file order

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Target stage  (type to filter, enter: pick, escape: cancel)", style="bold"))
            yield Input(placeholder="filter stages", id="filter")
            yield OptionList(*self._options(""), id="targets")

    def _options(self, text: str) -> list[Option]:
        needle = text.strip().lower()
        self.shown = [name for name in self.names if needle in name.lower()]
        options = []
        for name in self.shown:
            label = Text(plain(name))
            if name == self.current:
                label.append("  (current)", style="dim")
            if name == self.names[-1]:
                label.append("  (default: last stage)", style="dim")
            options.append(Option(label))
        return options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.shown:
            options.highlighted = self.shown.index(self.current)

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if self.shown:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if self.shown and options.highlighted is not None:
            self.dismiss(self.shown[options.highlighted])

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            current = options.highlighted if options.highlighted is not None else -delta
            options.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])


class BuildArgEditor(ModalScreen[dict[str, str] | None]):
    """Type ``K=V`` (or ``-K`` to remove); enter applies, escape cancels."""

    CSS_PATH = "pickers.tcss"
    BINDINGS = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, current: dict[str, str]) -> None:
        super().__init__()
        self.current = dict(current)

    def compose(self) -> ComposeResult:
        listing = Text()
        if self.current:
            for key, value in sorted(self.current.items()):
                listing.append(f"{plain(key)}={plain(value)}\n")
            listing.rstrip()
        else:
            listing.append("no build args set")
        with Vertical():
            yield Label(Text("Build arg  K=V sets, -K removes (enter: apply, escape: cancel)", style="bold"))
            yield Label(listing, id="current")
            yield Input(placeholder="K=V", id="arg")
            yield Label(Text(""), id="why")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        result = parse_build_arg(event.value, self.current)
        if isinstance(result, str):
            self.query_one("#why", Label).update(Text(result))
            return
        self.dismiss(result)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question (y or enter: yes; n or escape: no)."""

    CSS_PATH = "pickers.tcss"
    BINDINGS = [
        Binding("y,enter", "dismiss(True)", "Yes"),
        Binding("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question, style="bold"))
            yield Label(Text("y: yes   n / escape: no", style="dim"))


class TextPrompt(ModalScreen[str | None]):
    """One line of text (a stage name to find, an image to open): enter gives it, escape None."""

    CSS_PATH = "pickers.tcss"
    BINDINGS = [Binding("escape", "dismiss", "Cancel")]

    def __init__(self, question: str, default: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question, style="bold"))
            yield Input(value=self.default, placeholder=self.placeholder)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


def image_prompt(question: str, default: str = "") -> TextPrompt:
    return TextPrompt(f"{question} (name:tag or id; enter: open, escape: cancel)", default, placeholder="myimage:latest")
