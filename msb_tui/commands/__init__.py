"""The headless commands (``msb-tui COMMAND``, one module each: see ``msb_tui/cli.py``) and what
they share: the exit statuses, and one way to end with a message."""

from __future__ import annotations

EXIT_FAILED = 1  # the build, the check or the work asked for failed
EXIT_USAGE = 2  # a bad option, path or image: as argparse exits on a usage error
EXIT_NO_ENGINE = 3  # the engine (or the builder) the user chose does not answer
EXIT_CANCELLED = 130  # Ctrl+C, as a shell reports a program ended by SIGINT


class CommandFailed(Exception):
    """Ends a command: the CLI says ``message`` on stderr as it is and exits with ``code``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
