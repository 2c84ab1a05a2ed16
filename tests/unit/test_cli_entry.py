"""``msb_tui.cli.entry`` (the ``msb-tui`` program): only the command asked for is imported, and a
command marked ``EXIT_AT_ONCE`` ends the process without the interpreter's teardown, after its
output is flushed, when it returns 0 or 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROGRAM = """
import atexit, sys, types
module = types.ModuleType("msb_tui.commands.fake")
module.HELP = "a fake command"
module.EXIT_AT_ONCE = {exit_at_once}
module.add_arguments = lambda parser: parser.add_argument("code", type=int)
def run(args):
    atexit.register(lambda: print("teardown ran"))
    print("output of the command")  # stdout is a pipe: block-buffered until flushed
    return args.code
module.run = run
sys.modules["msb_tui.commands.fake"] = module
import msb_tui.cli as cli
cli.COMMANDS["fake"] = "fake"
sys.argv = ["msb-tui", "fake", "{code}"]
cli.entry()
"""


@pytest.mark.parametrize(
    ("exit_at_once", "code", "teardown"),
    [(True, 0, False), (True, 1, False), (True, 130, True), (False, 0, True)],
)
def test_exit_at_once_skips_teardown_only_after_a_normal_end(exit_at_once, code, teardown):
    result = subprocess.run([sys.executable, "-c", PROGRAM.format(exit_at_once=exit_at_once, code=code)],
                            capture_output=True, text=True)
    assert result.returncode == code
    assert "output of the command" in result.stdout
    assert ("teardown ran" in result.stdout) == teardown


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
