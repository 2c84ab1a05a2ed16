"""The msb-tui application: holds the Dockerfile, its analysis and the engine, and routes between screens.

Screens: the stage graph (home), the live build (``BuildScreen``), layers of an image, history of
recorded builds, troubleshoot (build a stage and open a shell in it), help. The engine is connected
lazily, in a worker, only when something needs it, so the app starts (and graph, replay and import
work) without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from msb_tui.sanitize import plain

if TYPE_CHECKING:  # pragma: no cover
    from msb_tui.analysis import Analysis


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


class AppCommands(Provider):
    """Command palette entries for the main actions (ctrl+p)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: MsbApp = self.app  # type: ignore[assignment]
        return [
            ("Build the target", "Run the current target on the engine (b)", app.action_build),
            ("Classic builder vs BuildKit", "Build the target both ways, side by side (v)", app.action_compare_builders),
            ("Change target…", "Pick the stage to build (t)", app.action_pick_target),
            ("Set a build arg…", "K=V, planned at once (a)", app.action_edit_build_arg),
            ("Toggle --no-cache", "Builds of the target run every step again, or reuse the cache (n)",
             app.action_toggle_no_cache),
            ("Layers of image…", "Layers, sizes, waste and file trees of any image", app.action_layers_of_image),
            ("Layers of the last build", "The image the last build produced (l)", app.action_layers),
            ("Compare two images…", "Sizes, shared layers, files added/removed/changed (as msb-tui compare)",
             app.action_compare_images),
            ("Troubleshoot a stage…", "Build a stage and open a shell in it (x)", app.action_troubleshoot),
            ("Build context", "What the context sends, the time it takes, what .dockerignore should exclude (c)",
             app.action_context),
            ("History of builds", "Recorded builds: replay or compare (h)", app.action_history),
            ("Builders…", "buildx builders: the builds each remembers (whoever started them), watch a running one, "
             "build on one", app.action_builders),
            ("Toggle dark/light theme", "ctrl+t", app.action_toggle_dark_light),
            ("Help", "Keys and views (?)", app.action_help),
        ]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)


class MsbApp(App):
    """The build explorer."""

    TITLE = "msb-tui"
    # The home screen is the default screen, whose own CSS_PATH Textual does not load: its styles
    # come in with the app's.
    CSS_PATH = ["app.tcss", "screens/graph.tcss"]
    COMMANDS = App.COMMANDS | {AppCommands}
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
            from msb_tui.offline import offline_build_args

            for key, value in offline_build_args(self.dockerfile_text).items():
                self.build_args.setdefault(key, value)
        self.analysis = self.analyze(self.target)

    def _recorded_dockerfile(self) -> str:
        """With ``--replay`` and no Dockerfile at hand, the graph shows the one the recording was made from."""
        if self.options.replay is None:
            return ""
        try:
            from msb_tui.backends import open_recorded

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

    def analyze(self, target: str | None, build_args: dict[str, str] | None = None) -> Analysis | None:
        """The analysis of the loaded Dockerfile for ``target`` (None: the default, last stage)."""
        if not self.dockerfile_text:
            return None
        from msb_tui.analysis import analyze

        try:
            return analyze(
                self.dockerfile_text,
                target=target,
                build_args=dict(self.build_args if build_args is None else build_args),
                platform=self.options.platform,
                buildkit=self.buildkit,
            )
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
        from msb_tui.tui.screens.graph import GraphScreen

        for screen in self.screen_stack:
            if isinstance(screen, GraphScreen):
                screen.show_states({})  # the last build's outcome belongs to the old plan
                screen.show_analysis(self.analysis)

    def error_sentence(self, error) -> str:
        """Why the plan cannot be built, for a notification: an unknown target lists the stages."""
        if getattr(error, "code", None) == "unknown_target":
            stages = [stage.name for stage in getattr(self.analysis, "stages", []) if stage.name]
            return (f"no stage named {plain(str(self.target))} in {plain(self.dockerfile_path.name)}: "
                    f"press t to pick one of {', '.join(plain(name) for name in stages) or '(no named stages)'}")
        where = f" (line {error.line})" if getattr(error, "line", None) else ""
        return f"the Dockerfile has errors{where}: {plain(str(error.message))}"

    def target_name(self) -> str | None:
        """The stage the current plan builds (its display name), or None when nothing can be planned."""
        analysis = self.analysis
        plan = getattr(analysis, "plan", None)
        if analysis is None or plan is None:
            return self.target
        for stage in analysis.stages:
            if stage.index == plan.target:
                return stage.name or stage.display_name
        return self.target

    # --- lifecycle ----------------------------------------------------------------------------
    def get_default_screen(self):
        """The graph is the home screen (the bottom of the stack), painted first."""
        from msb_tui.tui.screens.graph import GraphScreen

        return GraphScreen()

    def on_mount(self) -> None:
        if self.load_error and self.options.replay is None and self.options.import_log is None:
            self.notify(self.load_error, severity="error", markup=False, timeout=8)
        unknown = [e for e in getattr(self.analysis, "errors", None) or [] if e.code == "unknown_target"]
        if unknown and self.options.replay is None and self.options.import_log is None:
            self.notify(self.error_sentence(unknown[0]), severity="warning", markup=False, timeout=10)
        if self.options.replay is not None:
            self.open_replay(self.options.replay, self.options.speed)
        elif self.options.import_log is not None:
            self.open_imported_log(self.options.import_log)
        elif self.options.build:
            self.action_build()

    # --- engine -------------------------------------------------------------------------------
    def engine_client(self) -> Any:
        """The engine client (connects on first use; raises ``EngineUnavailable``). Call from a worker."""
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                from msb_tui.engine.connection import connect

                self._client = connect(self.options.host, on_wait=self._waiting_for_engine)
        return self._client

    def _waiting_for_engine(self, seconds: float) -> None:
        """A slow engine is waited for as the docker CLI waits: say so while it lasts (from a worker)."""
        from msb_tui.engine.connection import EngineUnavailable, candidate

        try:
            chosen = candidate(self.options.host)
            where = f"{chosen.host} ({chosen.source})"
        except EngineUnavailable:
            where = "the engine"
        self.call_from_thread(self.notify, f"waiting for the Docker engine at {where}: no answer yet after "
                              f"{seconds:.0f} s", title="Engine", markup=False, timeout=5)

    def build_inputs(self, target: str | None, *, tags: tuple[str, ...] | None = None, no_cache: bool | None = None):
        """The ``BuildInputs`` of a build of ``target`` with the app's Dockerfile, build args and options;
        ``no_cache`` None: the app's setting (n toggles it)."""
        from msb_tui.builds.inputs import BuildInputs

        return BuildInputs(
            context=self.context_dir,
            dockerfile=self.dockerfile_path,
            target=target,
            build_args=dict(self.build_args),
            platform=self.options.platform,
            no_cache=self.no_cache if no_cache is None else no_cache,
            pull=self.options.pull,
            tags=self.options.tags if tags is None else tags,
        )

    def backend(self, name: str | None = None, *, record: bool = True):
        """A backend on the app's engine (connects on first use: call from a worker); ``name``
        defaults to the one chosen at launch."""
        from msb_tui.backends import open_backend

        name = name or self.options.backend
        if self.options.builder and name == "engine":
            return open_backend("buildx", builder=self.options.builder, record=record)
        if name == "engine" and "," in (self.options.platform or ""):
            # Several platforms: POST /build takes one; buildx builds them (as `docker build` does).
            from msb_tui.backends.buildx import BuildxUnavailable, check_buildx

            try:
                check_buildx()
                return open_backend("buildx", host=self.options.host, record=record)
            except BuildxUnavailable:
                pass  # the engine's answer says why, with a hint
        return open_backend(name, client=self.engine_client(), record=record)

    def use_builder(self, builder: str | None) -> None:
        """Builds of the target (b) run on this buildx builder from now on."""
        self.options.builder = builder
        self.notify(plain(f"builds now run with docker buildx on builder {builder}") if builder
                    else "builds run on the engine's own BuildKit", markup=False)

    def open_history_build(self, ref: str | None, builder: str | None, *, wait: bool = False) -> None:
        """Open a build from the builder's history (``ref`` None: the running one, or with ``wait`` the
        next one to start) in the build screen; live while it runs."""
        self._open_history_build(ref, builder, wait)

    @work(thread=True, group="history-build")
    def _open_history_build(self, ref: str | None, builder: str | None, wait: bool) -> None:
        from msb_tui.backends import open_backend
        from msb_tui.backends.buildx import BuildxUnavailable
        from msb_tui.backends.history import HistoryError

        try:
            source = open_backend("history", ref=ref, builder=builder, wait=wait).start()
            if wait and ref is None:
                self.call_from_thread(self.notify, "waiting for a build to start on the builder ...", markup=False)
            if not source.prepare():
                raise HistoryError("no build is running on the builder")
        except (BuildxUnavailable, HistoryError) as error:
            self.call_from_thread(self.notify, plain(str(error)), title="Builder history", severity="error",
                                  markup=False, timeout=10)
            return
        self.call_from_thread(self._push_history_build, source)

    def _push_history_build(self, source) -> None:
        from msb_tui.tui.build_screen import BuildScreen

        inputs = source.inputs()
        # Its own Dockerfile or none (a running build's provenance comes at its end): never the app's.
        analysis = analysis_from_inputs(inputs)
        title = f"builder build {source.ref} ({inputs.get('name') or 'unnamed'})"
        self.push_screen(BuildScreen(analysis, lambda: source, title=title, dockerfile_text=inputs.get("dockerfile_text")))

    def action_builders(self) -> None:
        from msb_tui.tui.screens.builders import BuildersScreen

        self.push_screen(BuildersScreen(self.options.builder))

    def open_build(self, target: str | None = None, *, title: str | None = None, tags: tuple[str, ...] | None = None,
                   on_model: Callable[[Any], None] | None = None, compare_classic: bool = False,
                   no_cache: bool | None = None) -> None:
        """Connect (in a worker) and open the live build screen for ``target``; say why when no engine answers."""
        if self.analysis is None or not self.dockerfile_text:
            self.notify(self.load_error or "no Dockerfile loaded: nothing to build", severity="error", markup=False)
            return
        errors = list(getattr(self.analysis, "errors", []) or [])
        if errors:
            self.notify(self.error_sentence(errors[0]), severity="error", markup=False, timeout=8)
            return
        self._connect_then_build(target, title, tags, on_model, compare_classic, no_cache)

    @work(thread=True, exclusive=True, group="connect")
    def _connect_then_build(self, target, title, tags, on_model, compare_classic=False, no_cache=None) -> None:
        try:
            backend = self.backend()
            classic = self.backend("classic") if compare_classic else None
        except Exception as error:  # EngineUnavailable, or docker missing
            self.call_from_thread(self.notify, plain(str(error)), title="Cannot build", severity="error",
                                  markup=False, timeout=12)
            return
        from msb_tui.analysis.versions import engine_buildkit

        self.call_from_thread(self.plan_for_engine, engine_buildkit(backend.engine().version))
        self.call_from_thread(self._push_build, backend, target, title, tags, on_model, classic, no_cache)

    def _push_build(self, backend, target, title, tags, on_model, classic=None, no_cache=None) -> None:
        from msb_tui.tui.build_screen import BuildScreen
        from msb_tui.tui.cache_source import CacheCheckedSource, explain_checked

        inputs = self.build_inputs(target, tags=tags, no_cache=no_cache)
        analysis = self.analyze(target) if target != self.target else self.analysis
        name = target or self.target_name() or "default target"
        compare = None
        if classic is not None:
            # The classic builder runs every stage in order; BuildKit only what the target needs.
            classic_inputs = self.build_inputs(target, tags=(), no_cache=no_cache)
            compare = {"analysis": analysis, "start": lambda: classic.start(classic_inputs),
                       "title": f"classic builder: {name}", "dockerfile_text": self.dockerfile_text}
            title = title or f"BuildKit: {name}"
        screen = BuildScreen(analysis, lambda: CacheCheckedSource(backend, inputs, analysis),
                             title=title or f"build {name}", dockerfile_text=self.dockerfile_text, compare=compare,
                             explain=explain_checked)
        if on_model is not None:
            self._build_callbacks[id(screen)] = on_model  # called by on_build_finished
        if analysis is self.analysis:
            self._plan_builds.add(id(screen))
        self.push_screen(screen)

    def open_replay(self, path: Path, speed: float | None = 1.0, *, compare: Path | None = None) -> None:
        """Open a recorded build in the build screen, at ``speed`` (None: as fast as possible);
        with ``compare`` (another recording) both replay side by side."""
        from msb_tui.backends import open_recorded
        from msb_tui.tui.build_screen import BuildScreen
        from msb_tui.tui.cache_source import explain_recorded

        runs = []
        for recording in [path] + ([compare] if compare is not None else []):
            backend = open_recorded(recording, speed)
            try:
                inputs = backend.start().inputs()
            except Exception as error:  # RecordingError: truncated/corrupt, with a line number
                self.notify(plain(str(error)), title="Cannot replay", severity="error", markup=False, timeout=10)
                return
            analysis = analysis_from_inputs(inputs) or self.analysis
            text = inputs.get("dockerfile_text") if analysis is not self.analysis else self.dockerfile_text
            title = f"replay {Path(recording).name}" + (f" ×{speed:g}" if speed else " (fast)")
            runs.append({"analysis": analysis, "start": backend.start,
                         "title": title, "dockerfile_text": text, "explain": explain_recorded})
        first = runs[0]
        self.push_screen(BuildScreen(first["analysis"], first["start"], title=first["title"],
                                     dockerfile_text=first["dockerfile_text"],
                                     compare=runs[1] if len(runs) > 1 else None, explain=explain_recorded))

    def open_imported_log(self, path: Path) -> None:
        """Open a plain ``--progress=plain`` CI log in the build screen."""
        from msb_tui.backends.ci_log import CiLogBackend
        from msb_tui.tui.build_screen import BuildScreen

        backend = CiLogBackend(path, dockerfile_text=self.dockerfile_text or None)
        self.push_screen(BuildScreen(self.analysis, backend.start, title=f"log {Path(path).name}",
                                     dockerfile_text=self.dockerfile_text or None))

    # --- messages from the build screen ----------------------------------------------------------
    def on_build_finished(self, message) -> None:
        model = getattr(message, "model", None)
        if model is None or not self.screen_stack:  # no screens: the app is closing
            return
        self.last_model = model
        image = getattr(model, "image_id", None)
        if image:
            self.last_image = image
        sender = getattr(message, "_sender", None)
        try:
            screen = sender.screen if sender is not None else None
        except Exception:  # noqa: BLE001 - NoScreen: the build screen was closed as the build ended
            screen = None
        callback = self._build_callbacks.get(id(screen or self.screen))
        self._show_states_at_home(model, screen or self.screen)
        if callback is not None:
            callback(model)
        elif image and getattr(model, "status", "") == "succeeded":
            self.notify(f"built {image[:19]} — press l for its layers", markup=False)

    def _show_states_at_home(self, model, build_screen) -> None:
        """After a build of the current plan, the home graph keeps each stage's outcome (done, cached, ...)."""
        from msb_tui.tui.screens.graph import GraphScreen

        if id(build_screen) not in self._plan_builds:
            return  # a stage build (troubleshoot), a replay or an imported log: not this plan
        states = model.stage_states() if hasattr(model, "stage_states") else {}
        for screen in self.screen_stack:
            if isinstance(screen, GraphScreen):
                screen.show_states(states)

    def on_layers_requested(self, message) -> None:
        """The build screen asked for the layers of what it built."""
        image = getattr(message, "image_id", None)
        if image:
            self.open_layers(image, model=getattr(message, "model", None))

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
        from msb_tui.tui.screens.graph import GraphScreen

        for screen in self.screen_stack:
            if isinstance(screen, GraphScreen):
                screen.show_analysis(self.analysis)
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
        from msb_tui.tui.screens.pickers import ConfirmScreen

        if any(isinstance(screen, ConfirmScreen) for screen in self.screen_stack):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()  # unmounting each build screen cancels its build on the engine

        self.push_screen(ConfirmScreen("A build is running. Quit and stop it on the engine?"), answered)

    def action_help(self) -> None:
        from msb_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark_light(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_pick_target(self) -> None:
        from msb_tui.tui.screens.pickers import TargetPicker

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
        from msb_tui.tui.screens.pickers import BuildArgEditor

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
        from msb_tui.tui.screens.pickers import image_prompt

        def chosen(ref: str | None) -> None:
            if ref:
                self.open_layers(ref)

        self.push_screen(image_prompt("Layers of image", self.last_image or ""), chosen)

    def action_compare_images(self) -> None:
        """Ask for two images (the last build's is offered first), then compare them."""
        from msb_tui.tui.screens.compare import CompareScreen
        from msb_tui.tui.screens.pickers import image_prompt

        def second(a: str | None) -> None:
            if a:
                self.push_screen(image_prompt("Compare with image B"),
                                 lambda b: b and self.push_screen(CompareScreen(a, b)))

        self.push_screen(image_prompt("Compare image A", self.last_image or ""), second)

    def open_layers(self, image: str, *, model: Any = None, target: str | None = None) -> None:
        from msb_tui.tui.screens.layers import LayersScreen

        if model is None and self.last_model is not None and getattr(self.last_model, "image_id", None) == image:
            model = self.last_model  # the build that made this image: layers show cached/duration
        self.push_screen(LayersScreen(image, model=model, target=target))

    def action_history(self) -> None:
        from msb_tui.tui.screens.history import HistoryScreen

        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_context(self) -> None:
        from msb_tui.tui.screens.context import ContextScreen

        if not isinstance(self.screen, ContextScreen):
            self.push_screen(ContextScreen(self.context_dir, self.dockerfile_path, analysis=self.analysis,
                                           build_args=self.build_args))

    def action_troubleshoot(self, stage: str | None = None) -> None:
        from msb_tui.tui.screens.troubleshoot import TroubleshootScreen

        if self.analysis is None:
            self.notify("no Dockerfile loaded", severity="warning", markup=False)
            return
        if stage is None:
            from msb_tui.tui.screens.graph import GraphScreen

            if isinstance(self.screen, GraphScreen):
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
    base = stage
    while base is not None and base.base.kind == "stage" and base.index not in seen:
        seen.add(base.index)
        index = base.base.stage_index
        base = analysis.stages[index] if isinstance(index, int) and 0 <= index < len(analysis.stages) else None
    if base is not None and base.base.kind == "scratch":
        return ("this stage starts FROM scratch: it has no shell unless one is copied in; "
                "its files are in the Layers view, or troubleshoot the stage it copies from")
    return None


def analysis_from_inputs(inputs: dict) -> Any:
    """The analysis of the Dockerfile a recording was made from (its text is stored in the recording)."""
    text = inputs.get("dockerfile_text")
    if not isinstance(text, str) or not text.strip():
        return None
    from msb_tui.analysis import analyze

    try:
        return analyze(text, target=inputs.get("target"), build_args=dict(inputs.get("build_args") or {}),
                       platform=inputs.get("platform") if isinstance(inputs.get("platform"), str) else None)
    except Exception:  # noqa: BLE001
        return None


def run_app(options: LaunchOptions) -> int:
    app = MsbApp(options)
    app.run()
    return 0
