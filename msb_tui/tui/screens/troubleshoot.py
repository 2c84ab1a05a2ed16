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
from textual.reactive import reactive
from textual.widgets import Footer, Static

from msb_tui.sanitize import plain
from msb_tui.tui.screens import BackScreen, from_worker

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


def taken_from(analysis, dockerfile_text: str, name: str | None) -> Text:
    """What later stages take from stage ``name``: each ``COPY --from`` / ``RUN --mount from=`` line."""
    out = Text()
    stages = analysis.stages if analysis is not None else []
    stage = next((s for s in stages if name in (s.name, s.display_name)), None)
    if stage is None:
        return out
    lines = dockerfile_text.splitlines()
    users = [edge for edge in analysis.edges
             if edge.source == stage.index and edge.kind in ("copy", "mount") and edge.line]
    out.append("\n\nlater stages take from it\n", style="bold")
    if not users:
        out.append("  nothing: no COPY --from or RUN --mount from= names this stage\n", style="dim")
    for edge in users:
        user = stages[edge.target] if isinstance(edge.target, int) and edge.target < len(stages) else None
        text = lines[edge.line - 1].strip() if 0 < edge.line <= len(lines) else ""
        out.append(f"  line {edge.line} ", style="dim")
        out.append(plain(" ".join(text.split())))
        out.append(f"  ({plain(user.display_name) if user else '?'})\n", style="dim")
    out.rstrip()
    return out


class TroubleshootScreen(BackScreen):
    CSS_PATH = "troubleshoot.tcss"
    BINDINGS = [
        Binding("b", "build", "Build stage"),
        Binding("s,enter", "shell", "Open shell"),
    ]
    status = reactive("press b to build this stage as the target (reusing the build cache), "
                      "then s to open a shell in it")  # shown on every change

    def __init__(self, stage: str | None, *, note: str | None = None) -> None:
        super().__init__()
        self.stage = stage
        self.note = note
        self.image_id: str | None = None
        self.shell: str | None = None
        self.config: dict | None = None  # the built image's config: Env, WorkingDir, User, Entrypoint, Cmd

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="trouble-title")
        with VerticalScroll():
            yield Static(Text(""), id="trouble-body")
        yield Footer(compact=True)

    def watch_status(self) -> None:
        self._show()

    def _show(self) -> None:
        title = Text(" Troubleshoot stage ", style="bold reverse")
        title.append(" " + plain(self.stage or "(default target)"), style="bold")
        self.query_one("#trouble-title", Static).update(title)
        body = Text()
        body.append("Build a stage on its own and look inside: its environment, what later stages take "
                    "from it, and a shell to look at its files.\n\n")
        if self.note:
            body.append("note: ", style="bold yellow")
            body.append(plain(self.note) + "\n\n")
        body.append("image: ", style="bold")
        body.append(self.image_id[:19] if self.image_id else "not built yet")
        body.append("\nshell: ", style="bold")
        body.append(self.shell or "not checked yet")
        body.append("\n\n")
        body.append(plain(self.status))
        body.append_text(self._config_text())
        body.append_text(taken_from(self.app.analysis, self.app.dockerfile_text, self.stage))
        if self.image_id and self.shell and self.shell != "none":
            launch = shell_command(self.image_id, self.shell, host=self._host())
            body.append("\n\ncommand: ", style="bold")
            body.append(plain(launch.display()), style="dim")
        self.query_one("#trouble-body", Static).update(body)

    def _config_text(self) -> Text:
        """The built image's environment, working folder, user and start command."""
        out = Text()
        config = self.config
        if not config:
            return out
        out.append("\n\nenvironment\n", style="bold")
        for entry in config.get("Env") or []:
            out.append(f"  {plain(str(entry))}\n")
        for label, key in (("working folder", "WorkingDir"), ("user", "User"), ("entrypoint", "Entrypoint"),
                           ("command", "Cmd")):
            value = config.get(key)
            if value:
                value = " ".join(value) if isinstance(value, list) else str(value)
                out.append(f"{label}: ", style="bold")
                out.append(plain(value) + "\n")
        out.rstrip()
        return out

    def _host(self) -> str | None:
        return self.app.options.host or os.environ.get("DOCKER_HOST")

    def action_build(self) -> None:
        if self.note and "has no name" in self.note:
            self.status = "cannot build an unnamed stage on its own"
            return
        self.status = "building (reusing the build cache)…"
        # To look inside, not to time the build: the cache is reused even after --no-cache.
        self.app.open_build(self.stage, title=f"troubleshoot {self.stage}", tags=(), on_model=self.built,
                            no_cache=False)

    def built(self, model) -> None:
        """Called by the app when the stage build finished."""
        if model.status != "succeeded" or not model.image_id:
            self.status = f"the build did not produce an image ({model.status}): " + (
                plain(str(model.error)) if model.error else "see the build view")
            return
        self.image_id = model.image_id
        self.shell = None
        self.status = "checking for a shell…"
        self._check_shell(model.image_id)

    @work(thread=True, exclusive=True, group="shell-check")
    def _check_shell(self, image: str) -> None:
        config = None
        try:
            client = self.app.engine_client()
            config = (client.inspect_image(image) or {}).get("Config") or {}
            shell, error = find_shell(client, image), None
        except Exception as failure:  # noqa: BLE001
            shell, error = None, str(failure)
        from_worker(self, self._shell_checked, shell, error, config)

    def _shell_checked(self, shell: str | None, error: str | None, config: dict | None = None) -> None:
        self.shell = shell if error or shell else "none"
        self.config = config
        if error:
            self.status = f"cannot check for a shell: {error}"
        elif shell is None:
            self.status = ("this image has no shell (" + ", ".join(SHELLS) + " are all missing) — a FROM scratch "
                           "or distroless stage. Look at its files in the Layers view instead (l on the build "
                           "screen), or troubleshoot the stage it copies from.")
        else:
            self.status = "ready: press s to open the shell (exit it to come back)"

    def action_shell(self) -> None:
        if not self.image_id:
            self.status = "build the stage first (b)"
            return
        if not self.shell or self.shell == "none":
            return
        launch = shell_command(self.image_id, self.shell, host=self._host())
        try:
            with self.app.suspend():
                subprocess.run(launch.argv, env=launch.env, check=False)
        except Exception as error:  # SuspendNotSupported (headless, web), or the CLI is missing
            self.status = f"cannot hand over the terminal here ({type(error).__name__}); run it yourself:"
            return
        self.status = "shell closed; s opens another"
