"""``msb_tui.cli`` (the ``msb-tui`` program): only the command asked for is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

def test_a_command_imports_no_other_command():
    code = (
        "import sys\n"
        "from msb_tui.cli import main\n"
        "try:\n"
        "    main(['build', '/nonexistent-context'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('msb_tui.commands.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "['msb_tui.commands.build']"
