"""msb-tui: a terminal build explorer for Docker multi-stage builds."""

__version__ = "0.1.0"
