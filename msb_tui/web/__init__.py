"""Serving the app in a browser (``msb-tui serve``): textual-serve with a token gate and a session limit."""
