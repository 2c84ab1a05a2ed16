"""The app's screens: graph (home), layers, history, troubleshoot, help, and small pickers."""

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen


class BackScreen(Screen):
    """A screen over the home screen: escape or q goes back to the one below."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]


def from_worker(node: DOMNode, callback, *args, **kwargs) -> None:
    """``callback(*args, **kwargs)`` on the app's thread, from a thread worker of ``node`` (a screen
    or a widget); skipped when the user has closed ``node`` by then, or the app has shut down."""

    def call() -> None:
        if node.is_attached:
            callback(*args, **kwargs)

    try:
        node.app.call_from_thread(call)
    except RuntimeError:  # the app is no longer running
        pass
