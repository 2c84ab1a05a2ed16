"""Troubleshoot a stage: build it as the target (in the live build view), then open a shell in it.

The shell runs in the real terminal: the app suspends, ``docker run --rm -it IMAGE SHELL`` takes over,
and the app comes back when the shell exits. Images without a shell (``FROM scratch``, distroless)
are detected first by trying to start each known shell, so the screen says so instead of failing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from msb_tui.sanitize import plain

SHELLS = ("/bin/sh", "/bin/bash", "/busybox/sh", "/bin/ash")
TEST_LABEL = "msb-tui.troubleshoot-probe"


def docker_cli() -> str:
    """The docker CLI to hand the terminal to: ``/usr/bin/docker`` when present, else ``docker`` on PATH."""
    if os.path.exists("/usr/bin/docker"):
        return "/usr/bin/docker"
    return shutil.which("docker") or "docker"


@dataclass(frozen=True)
class ShellLaunch:
    argv: list[str]
    env: dict[str, str]

    def display(self) -> str:
        prefix = f"DOCKER_HOST={self.env['DOCKER_HOST']} " if "DOCKER_HOST" in self.env else ""
        return prefix + " ".join(self.argv)


def shell_command(image: str, shell: str, *, host: str | None = None, cli: str | None = None,
                  base_env: dict[str, str] | None = None) -> ShellLaunch:
    """The command that opens an interactive ``shell`` in a throw-away container of ``image``.

    ``--entrypoint`` overrides the image's ENTRYPOINT (else ``sh`` would be passed to it as an
    argument); ``host`` (the engine the app uses) is passed on as ``DOCKER_HOST``.
    """
    env = dict(os.environ if base_env is None else base_env)
    if host:
        env["DOCKER_HOST"] = host
    argv = [cli or docker_cli(), "run", "--rm", "-it", "--entrypoint", shell, image]
    return ShellLaunch(argv, env)


def find_shell(client, image: str, shells: tuple[str, ...] = SHELLS) -> str | None:
    """The first shell that starts in ``image`` (``SHELL -c true`` exits 0), or None when none does."""
    for shell in shells:
        container = None
        try:
            container = client.create_container(image, entrypoint=[shell], command=["-c", "true"],
                                                labels={TEST_LABEL: "1"}, network_disabled=True)
            client.start(container)
            result = client.wait(container, timeout=30)
            if int(result.get("StatusCode", 1)) == 0:
                return shell
        except Exception:  # noqa: BLE001 - "executable file not found" and friends: try the next shell
            pass
        finally:
            if container is not None:
                try:
                    client.remove_container(container, force=True)
                except Exception:  # noqa: BLE001
                    pass
    return None


class TroubleshootScreen(Screen):
    CSS_PATH = "troubleshoot.tcss"
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("b", "build", "Build stage"),
        Binding("s,enter", "shell", "Open shell"),
    ]

    def __init__(self, stage: str | None, *, note: str | None = None) -> None:
        super().__init__()
        self.stage = stage
        self.note = note
        self.image_id: str | None = None
        self.shell: str | None = None
        self.status = "press b to build this stage as the target, then s to open a shell in it"

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="trouble-title")
        with VerticalScroll():
            yield Static(Text(""), id="trouble-body")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        title = Text(" Troubleshoot stage ", style="bold reverse")
        title.append(" " + plain(self.stage or "(default target)"), style="bold")
        self.query_one("#trouble-title", Static).update(title)
        body = Text()
        body.append("Build a stage on its own and look inside: files, environment, what the next stage "
                    "will COPY from it.\n\n")
        if self.note:
            body.append("note: ", style="bold yellow")
            body.append(plain(self.note) + "\n\n")
        body.append("image: ", style="bold")
        body.append(self.image_id[:19] if self.image_id else "not built yet")
        body.append("\nshell: ", style="bold")
        body.append(self.shell or "not checked yet")
        body.append("\n\n")
        body.append(plain(self.status))
        if self.image_id and self.shell:
            launch = shell_command(self.image_id, self.shell, host=self._host())
            body.append("\n\ncommand: ", style="bold")
            body.append(plain(launch.display()), style="dim")
        self.query_one("#trouble-body", Static).update(body)

    def _host(self) -> str | None:
        options = getattr(self.app, "options", None)
        return getattr(options, "host", None) or os.environ.get("DOCKER_HOST")

    def action_build(self) -> None:
        if self.note and "has no name" in self.note:
            self.status = "cannot build an unnamed stage on its own"
            self._show()
            return
        self.status = "building…"
        self._show()
        self.app.open_build(self.stage, title=f"troubleshoot {self.stage}", tags=(), on_model=self.built)

    def built(self, model) -> None:
        """Called by the app when the stage build finished."""
        if getattr(model, "status", "") != "succeeded" or not getattr(model, "image_id", None):
            self.status = f"the build did not produce an image ({getattr(model, 'status', '?')}): " + (
                plain(str(model.error)) if getattr(model, "error", None) else "see the build view")
            self._show()
            return
        self.image_id = model.image_id
        self.shell = None
        self.status = "checking for a shell…"
        self._show()
        self._check_shell(model.image_id)

    @work(thread=True, exclusive=True, group="shell-check")
    def _check_shell(self, image: str) -> None:
        app = self.app
        try:
            shell, error = find_shell(app.engine_client(), image), None
        except Exception as failure:  # noqa: BLE001
            shell, error = None, str(failure)
        try:
            app.call_from_thread(self._shell_checked, shell, error)
        except RuntimeError:  # the app shut down meanwhile
            pass

    def _shell_checked(self, shell: str | None, error: str | None) -> None:
        if not self.is_attached:
            return
        self.shell = shell
        if error:
            self.status = f"cannot check for a shell: {error}"
        elif shell is None:
            self.status = ("this image has no shell (" + ", ".join(SHELLS) + " are all missing) — a FROM scratch "
                           "or distroless stage. Look at its files in the Layers view instead (l on the build "
                           "screen), or troubleshoot the stage it copies from.")
            self.shell = "none"
        else:
            self.status = "ready: press s to open the shell (exit it to come back)"
        self._show()

    def action_shell(self) -> None:
        if not self.image_id:
            self.status = "build the stage first (b)"
            self._show()
            return
        if not self.shell or self.shell == "none":
            self._show()
            return
        launch = shell_command(self.image_id, self.shell, host=self._host())
        try:
            with self.app.suspend():
                subprocess.run(launch.argv, env=launch.env, check=False)
        except Exception as error:  # SuspendNotSupported (headless, web), or the CLI is missing
            self.status = f"cannot hand over the terminal here ({type(error).__name__}); run it yourself:"
            self._show()
            return
        self.status = "shell closed; s opens another"
        self._show()
