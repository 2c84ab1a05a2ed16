"""The msb-tui application: holds the Dockerfile, its analysis and the engine, and routes between screens.

The engine is connected lazily, in a worker, only when something needs it, so the app starts (and
graph, replay and import work) without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from textual.app import App, SystemCommand
from textual.binding import Binding

from msb_tui.analysis import Analysis, analyze
from msb_tui.backends import open_recorded
from msb_tui.engine.connection import EngineUnavailable, candidate, connect
from msb_tui.offline import offline_build_args
from msb_tui.sanitize import plain
from msb_tui.tui.launcher import BuildLauncher
from msb_tui.tui.screens.builders import BuildersScreen
from msb_tui.tui.screens.compare import CompareScreen
from msb_tui.tui.screens.context import ContextScreen
from msb_tui.tui.screens.graph import GraphScreen
from msb_tui.tui.screens.help import HelpScreen
from msb_tui.tui.screens.history import HistoryScreen
from msb_tui.tui.screens.layers import LayersScreen
from msb_tui.tui.screens.pickers import BuildArgEditor, ConfirmScreen, TargetPicker, image_prompt
from msb_tui.tui.screens.troubleshoot import TroubleshootScreen

@dataclass
class LaunchOptions:
    """What ``msb-tui [PATH] [options]`` asked for; the same names as ``docker build``."""

    path: Path = Path(".")
    dockerfile: Path | None = None
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False
    platform: str | None = None
    tags: tuple[str, ...] = ()
    host: str | None = None
    backend: str = "engine"  # the name of a live backend in msb_tui.backends.BACKENDS
    builder: str | None = None  # a buildx builder: builds then run through docker buildx build on it
    replay: Path | None = None
    speed: float | None = 1.0
    import_log: Path | None = None
    offline_demo_args: bool = False
    theme: str = "dark"
    build: bool = False

    def resolve(self) -> tuple[Path, Path]:
        """(build context folder, Dockerfile path) as ``docker build`` would pick them."""
        path = Path(self.path)
        if path.is_file() and self.dockerfile is None:
            return path.parent, path
        context = path if path.is_dir() or not path.exists() else path.parent
        if self.dockerfile is not None:
            dockerfile = Path(self.dockerfile)
            return context, dockerfile if dockerfile.is_absolute() or dockerfile.exists() else context / dockerfile
        return context, context / "Dockerfile"


class MsbApp(BuildLauncher, App):
    """The build explorer."""

    TITLE = "msb-tui"
    # The home screen is the default screen, whose own CSS_PATH Textual does not load: its styles
    # come in with the app's.
    CSS_PATH = ["app.tcss", "screens/graph.tcss"]
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("ctrl+t", "toggle_dark_light", "Theme", show=False),
        Binding("h", "history", "History", show=False),
    ]

    def __init__(self, options: LaunchOptions | None = None, *, client_factory: Callable[[], Any] | None = None) -> None:
        super().__init__()
        self.options = options or LaunchOptions()
        self.context_dir, self.dockerfile_path = self.options.resolve()
        self.dockerfile_text: str = ""
        self.load_error: str | None = None
        self.analysis: Analysis | None = None
        self.build_args: dict[str, str] = dict(self.options.build_args)
        self.target: str | None = self.options.target
        # --no-cache for builds of the target (b, v); n toggles it. Stage sizes and troubleshoot
        # builds always reuse the cache: they are about what is inside, not about build time.
        self.no_cache: bool = self.options.no_cache
        self.last_model: Any = None  # BuildModel of the last finished build
        self.last_image: str | None = None
        self._client: Any = None
        self._client_factory = client_factory
        self._build_callbacks: dict[int, Callable[[Any], None]] = {}
        self._plan_builds: set[int] = set()  # build screens running the current plan (ids)
        self.theme = "textual-light" if self.options.theme == "light" else "textual-dark"
        self._read_dockerfile()

    def get_system_commands(self, screen):
        """The palette (ctrl+p): the main actions after Textual's own."""
        yield from super().get_system_commands(screen)
        commands = [
            ("Build the target", "Run the current target on the engine (b)", self.action_build),
            ("Classic builder vs BuildKit", "Build the target both ways, side by side (v)",
             self.action_compare_builders),
            ("Change target…", "Pick the stage to build (t)", self.action_pick_target),
            ("Set a build arg…", "K=V, planned at once (a)", self.action_edit_build_arg),
            ("Toggle --no-cache", "Builds of the target run every step again, or reuse the cache (n)",
             self.action_toggle_no_cache),
            ("Layers of image…", "Layers, sizes, waste and file trees of any image",
             self.action_layers_of_image),
            ("Layers of the last build", "The image the last build produced (l)",
             self.action_layers),
            ("Compare two images…", "Sizes, shared layers, files added/removed/changed "
             "(as msb-tui compare)", self.action_compare_images),
            ("Troubleshoot a stage…", "Build a stage and open a shell in it (x)",
             self.action_troubleshoot),
            ("Build context", "What the context sends, the time it takes, what .dockerignore "
             "should exclude (c)", self.action_context),
            ("History of builds", "Recorded builds: replay or compare (h)", self.action_history),
            ("Builders…", "buildx builders: the builds each remembers (whoever started them), "
             "watch a running one, build on one", self.action_builders),
            ("Toggle dark/light theme", "ctrl+t", self.action_toggle_dark_light),
            ("Help", "Keys and views (?)", self.action_help),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    # --- Dockerfile and analysis ---------------------------------------------------------------
    def _read_dockerfile(self) -> None:
        try:
            self.dockerfile_text = self.dockerfile_path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            self.dockerfile_text = self._recorded_dockerfile()
            if not self.dockerfile_text:
                self.load_error = f"cannot read {self.dockerfile_path}: {error.strerror or error}"
                return
        if self.options.offline_demo_args:
            for key, value in offline_build_args(self.dockerfile_text).items():
                self.build_args.setdefault(key, value)
        self.analysis = self.analyze(self.target)

    def _recorded_dockerfile(self) -> str:
        """With ``--replay`` and no Dockerfile at hand, the graph shows the one the recording was made from."""
        if self.options.replay is None:
            return ""
        try:
            inputs = open_recorded(self.options.replay).start().inputs()
        except Exception:  # noqa: BLE001 - the replay itself reports a bad recording
            return ""
        text = inputs.get("dockerfile_text")
        if isinstance(text, str) and text:
            if inputs.get("dockerfile"):
                self.dockerfile_path = Path(inputs["dockerfile"])
            if self.target is None and inputs.get("target"):
                self.target = inputs["target"]
            for key, value in (inputs.get("build_args") or {}).items():
                self.build_args.setdefault(key, value)
            return text
        return ""

    def analyze(self, target: str | None) -> Analysis | None:
        """The analysis of the loaded Dockerfile for ``target`` (None: the default, last stage)."""
        if not self.dockerfile_text:
            return None
        try:
            return analyze(self.dockerfile_text, target=target, build_args=dict(self.build_args),
                           platform=self.options.platform, buildkit=self.buildkit)
        except Exception as error:  # noqa: BLE001 - a broken analysis must not take the app down
            self.load_error = f"analysis failed: {error}"
            return None

    buildkit: tuple[int, int] | None = None  # the BuildKit plans are exact to: the engine's, once connected

    def plan_for_engine(self, buildkit: tuple[int, int] | None) -> None:
        """Plan for the connected engine's BuildKit (0.8 and current BuildKit run different stages)."""
        if buildkit is not None and buildkit != self.buildkit:
            self.buildkit = buildkit
            self.set_plan_inputs()

    def set_plan_inputs(self, *, target: str | None | bool = False, build_args: dict[str, str] | None = None) -> None:
        """Change the target and/or build args; the plan (and every screen showing it) updates at once."""
        if target is not False:
            self.target = target or None
        if build_args is not None:
            self.build_args = dict(build_args)
        self.analysis = self.analyze(self.target)
        for home in self.homes():
            home.show_states({})  # the last build's outcome belongs to the old plan
            home.show_analysis(self.analysis)

    def homes(self) -> list[GraphScreen]:
        """The home screen (the stage graph), as a list: empty while the app closes."""
        return [screen for screen in self.screen_stack if isinstance(screen, GraphScreen)]

    def error_sentence(self, error) -> str:
        """Why the plan cannot be built, for a notification: an unknown target lists the stages."""
        if error.code == "unknown_target":
            stages = [plain(stage.name) for stage in self.analysis.stages if stage.name]
            return (f"no stage named {plain(str(self.target))} in {plain(self.dockerfile_path.name)}: "
                    f"press t to pick one of {', '.join(stages) or '(no named stages)'}")
        where = f" (line {error.line})" if error.line else ""
        return f"the Dockerfile has errors{where}: {plain(str(error.message))}"

    def target_name(self) -> str | None:
        """The stage the current plan builds (its display name), or None when nothing can be planned."""
        stage = self.analysis.target if self.analysis is not None else None
        return (stage.name or stage.display_name) if stage is not None else self.target

    # --- lifecycle ----------------------------------------------------------------------------
    def get_default_screen(self) -> GraphScreen:
        """The graph is the home screen (the bottom of the stack), painted first."""
        return GraphScreen()

    def on_mount(self) -> None:
        if self.options.replay is not None:
            self.open_replay(self.options.replay, self.options.speed)
            return
        if self.options.import_log is not None:
            self.open_imported_log(self.options.import_log)
            return
        if self.load_error:
            self.notify(self.load_error, severity="error", markup=False, timeout=8)
        errors = self.analysis.errors if self.analysis is not None else []
        unknown = [error for error in errors if error.code == "unknown_target"]
        if unknown:
            self.notify(self.error_sentence(unknown[0]), severity="warning", markup=False, timeout=10)
        if self.options.build:
            self.action_build()

    # --- engine -------------------------------------------------------------------------------
    def engine_client(self) -> Any:
        """The engine client (connects on first use; raises ``EngineUnavailable``). Call from a worker."""
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                self._client = connect(self.options.host, on_wait=self._waiting_for_engine)
        return self._client

    def _waiting_for_engine(self, seconds: float) -> None:
        """A slow engine is waited for as the docker CLI waits: say so while it lasts (from a worker)."""
        try:
            chosen = candidate(self.options.host)
            where = f"{chosen.host} ({chosen.source})"
        except EngineUnavailable:
            where = "the engine"
        self.call_from_thread(self.notify, f"waiting for the Docker engine at {where}: no answer yet after "
                              f"{seconds:.0f} s", title="Engine", markup=False, timeout=5)

    # --- actions -------------------------------------------------------------------------------
    def action_build(self) -> None:
        self.open_build(self.target)

    def action_compare_builders(self) -> None:
        """Build the target with BuildKit and with the classic builder at once, in two columns."""
        self.open_build(self.target, compare_classic=True)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """The palette's Screenshot: into ~/Downloads when it exists, else the current folder (Textual's
        default fails when ~/Downloads is missing); the notification names the file."""
        if path is None:
            downloads = Path.home() / "Downloads"
            path = str(downloads if downloads.is_dir() else Path.cwd())
        return super().deliver_screenshot(filename, path, time_format)

    def action_toggle_no_cache(self) -> None:
        """Builds of the target with or without the build cache (docker build --no-cache)."""
        self.no_cache = not self.no_cache
        for home in self.homes():
            home.show_analysis(self.analysis)
        self.notify("builds of the target (b, v) now run every step again (--no-cache)" if self.no_cache else
                    "builds of the target (b, v) reuse the build cache", markup=False, timeout=4)

    def building(self) -> bool:
        """A build this app started is still running (on any screen of the stack)."""
        return any(getattr(screen, "building", False) for screen in self.screen_stack)

    async def action_quit(self) -> None:
        """Quit; while a build runs, ask first (quitting stops it on the engine)."""
        if not self.building():
            self.exit()
            return
        if any(isinstance(screen, ConfirmScreen) for screen in self.screen_stack):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()  # unmounting each build screen cancels its build on the engine

        self.push_screen(ConfirmScreen("A build is running. Quit and stop it on the engine?"), answered)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark_light(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_pick_target(self) -> None:
        if self.analysis is None:
            self.notify("no stages to pick from", severity="warning", markup=False)
            return
        # Only named stages can be targets (BuildKit's --target takes a name, not "stage-N").
        names = [stage.name for stage in self.analysis.stages if stage.name]
        if not names:
            self.notify("no named stages: add 'AS name' to a FROM line to build it on its own", markup=False)
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self.set_plan_inputs(target=name or None)

        self.push_screen(TargetPicker(names, self.target_name()), chosen)

    def action_edit_build_arg(self) -> None:
        def chosen(args: dict[str, str] | None) -> None:
            if args is not None:
                self.set_plan_inputs(build_args=args)

        self.push_screen(BuildArgEditor(self.build_args), chosen)

    def action_layers(self) -> None:
        if not self.last_image:
            self.notify("no image yet: build first (b), or use 'Layers of image…' (ctrl+p)", markup=False)
            return
        self.open_layers(self.last_image)

    def action_layers_of_image(self) -> None:
        def chosen(ref: str | None) -> None:
            if ref:
                self.open_layers(ref)

        self.push_screen(image_prompt("Layers of image", self.last_image or ""), chosen)

    def action_compare_images(self) -> None:
        """Ask for two images (the last build's is offered first), then compare them."""
        def second(a: str | None) -> None:
            if a:
                self.push_screen(image_prompt("Compare with image B"),
                                 lambda b: b and self.push_screen(CompareScreen(a, b)))

        self.push_screen(image_prompt("Compare image A", self.last_image or ""), second)

    def open_layers(self, image: str, *, model: Any = None, target: str | None = None) -> None:
        if model is None and self.last_model is not None and self.last_model.image_id == image:
            model = self.last_model  # the build that made this image: layers show cached/duration
        self.push_screen(LayersScreen(image, model=model, target=target))

    def action_history(self) -> None:
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_context(self) -> None:
        if not isinstance(self.screen, ContextScreen):
            self.push_screen(ContextScreen(self.context_dir, self.dockerfile_path, analysis=self.analysis,
                                           build_args=self.build_args))

    def action_builders(self) -> None:
        self.push_screen(BuildersScreen(self.options.builder))

    def action_troubleshoot(self, stage: str | None = None) -> None:
        if self.analysis is None:
            self.notify("no Dockerfile loaded", severity="warning", markup=False)
            return
        if stage is None and isinstance(self.screen, GraphScreen):
            stage = self.screen.selected_stage_name()
        self.push_screen(TroubleshootScreen(stage or self.target_name(), note=troubleshoot_note(self.analysis, stage)))


def troubleshoot_note(analysis: Any, name: str | None) -> str | None:
    """What to know before building ``name`` to look inside: unnamed stages can't be targets, and a
    stage whose base chain ends in ``scratch`` has no shell unless one was copied in."""
    if analysis is None or name is None:
        return None
    stage = next((s for s in analysis.stages if name in (s.name, s.display_name)), None)
    if stage is None:
        return None
    if not stage.name:
        return (f"{stage.display_name} has no name: BuildKit can only build named stages on their own "
                f"(add 'AS name' to its FROM line)")
    seen = set()
    while stage.base.kind == "stage" and stage.base.stage_index not in seen:
        seen.add(stage.base.stage_index)
        stage = analysis.stages[stage.base.stage_index]
    if stage.base.kind == "scratch":
        return ("this stage starts FROM scratch: it has no shell unless one is copied in; "
                "its files are in the Layers view, or troubleshoot the stage it copies from")
    return None


def run_app(options: LaunchOptions) -> int:
    app = MsbApp(options)
    app.run()
    return 0
