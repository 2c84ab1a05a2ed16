"""A headless core and a thin UI: no module outside ``msb_tui/tui`` imports Textual, directly or
through another module (the commands import the app inside ``run``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msb_tui

PACKAGE = Path(msb_tui.__file__).parent


def _core_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[1] in ("tui", "__main__"):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_no_module_outside_tui_imports_textual():
    modules = _core_modules()
    assert "msb_tui.builds.model" in modules and "msb_tui.commands.build" in modules
    assert not any(name.startswith("msb_tui.tui") for name in modules)
    code = (
        "import importlib, json, sys\n"
        "culprits = []\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    if 'textual' in sys.modules:\n"
        "        culprits.append(name)\n"
        "        break\n"
        "print(json.dumps(culprits))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_the_check_sees_a_module_that_imports_textual():
    """The same check on the app's own module finds Textual (so the test above can fail)."""
    code = "import sys, msb_tui.tui.app; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"
