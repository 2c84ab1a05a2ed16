"""The app's screens: graph (home), layers, history, troubleshoot, help, and small pickers."""

from textual.binding import Binding
from textual.screen import Screen


class BackScreen(Screen):
    """A screen over the home screen: escape or q goes back to the one below."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back")]
