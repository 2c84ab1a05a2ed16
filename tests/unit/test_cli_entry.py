"""``msb_tui.cli`` (the ``msb-tui`` program): only the command asked for is imported."""

from __future__ import annotations

import json
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


def _loaded_after(statements: str, watched: tuple[str, ...]) -> list[str]:
    """The modules of ``watched`` (or under them) that a fresh interpreter holds after ``statements``."""
    code = (
        f"import sys\n{statements}\nimport json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {watched!r} or m in {watched!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_build_path_stays_light_until_the_request_is_sent():
    """What sending a build needs must not pull in docker-py, protobuf, Textual, dataclasses, typing
    or pathlib (each would delay every build; see docs/architecture.md, start-up of msb-tui build)."""
    heavy = ("docker", "requests", "google.protobuf", "textual", "rich", "dataclasses", "tarfile", "tempfile",
             "typing", "inspect", "queue", "weakref", "pathlib", "urllib", "ipaddress")
    statements = "import msb_tui.cli, msb_tui.commands.build, msb_tui.builds.runner, msb_tui.engine.plain_http"
    assert _loaded_after(statements, heavy) == []
