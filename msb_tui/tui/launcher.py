"""How the app gets builds on screen: a live build of a target (on the engine, a buildx builder or
beside the classic builder), a replay, an imported CI log, a build from a builder's history; and
what it keeps of a finished build (the last image, the home graph's stage states).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable

from textual import work

from msb_tui.analysis.versions import engine_buildkit
from msb_tui.backends import open_backend, open_recorded
from msb_tui.backends.buildx import BuildxUnavailable, check_buildx
from msb_tui.backends.ci_log import CiLogBackend
from msb_tui.backends.history import HistoryError
from msb_tui.builds.inputs import BuildInputs
from msb_tui.commands.replay import analysis_for_recording
from msb_tui.sanitize import plain
from msb_tui.tui.build_column import BuildRun
from msb_tui.tui.build_screen import BuildScreen
from msb_tui.tui.cache_source import CacheCheckedSource, explain_checked, explain_recorded
from msb_tui.tui.messages import BuildFinished, LayersRequested


class BuildLauncher:
    """The build-opening half of ``MsbApp`` (it reads the app's Dockerfile, plan and options)."""

    def build_inputs(self, target: str | None, *, tags: tuple[str, ...] | None = None,
                     no_cache: bool | None = None) -> BuildInputs:
        """The ``BuildInputs`` of a build of ``target`` with the app's Dockerfile, build args and options;
        ``no_cache`` None: the app's setting (n toggles it)."""
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
        name = name or self.options.backend
        if self.options.builder and name == "engine":
            return open_backend("buildx", builder=self.options.builder, record=record)
        if name == "engine" and "," in (self.options.platform or ""):
            # Several platforms: POST /build takes one; buildx builds them (as `docker build` does).
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

    @work(thread=True, group="history-build")
    def open_history_build(self, ref: str | None, builder: str | None, *, wait: bool = False) -> None:
        """Open a build from the builder's history (``ref`` None: the running one, or with ``wait`` the
        next one to start) in the build screen; live while it runs."""
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
        inputs = source.inputs()
        # Its own Dockerfile or none (a running build's provenance comes at its end): never the app's.
        title = f"builder build {source.ref} ({inputs.get('name') or 'unnamed'})"
        self.push_screen(BuildScreen(analysis_for_recording(inputs), lambda: source, title=title,
                                     dockerfile_text=inputs.get("dockerfile_text")))

    def open_build(self, target: str | None = None, *, title: str | None = None, tags: tuple[str, ...] | None = None,
                   on_model: Callable[[Any], None] | None = None, compare_classic: bool = False,
                   no_cache: bool | None = None) -> None:
        """Connect (in a worker) and open the live build screen for ``target``; say why when no engine answers."""
        if self.analysis is None or not self.dockerfile_text:
            self.notify(self.load_error or "no Dockerfile loaded: nothing to build", severity="error", markup=False)
            return
        if self.analysis.errors:
            error = self.error_sentence(self.analysis.errors[0])
            self.notify(error, severity="error", markup=False, timeout=8)
            return
        push = partial(self._push_build, target, title=title, tags=tags, on_model=on_model,
                       no_cache=no_cache)
        self._connect_then_build(push, compare_classic)

    @work(thread=True, exclusive=True, group="connect")
    def _connect_then_build(self, push: Callable[..., None], compare_classic: bool) -> None:
        try:
            backend = self.backend()
            classic = self.backend("classic") if compare_classic else None
        except Exception as error:  # EngineUnavailable, or docker missing
            self.call_from_thread(self.notify, plain(str(error)), title="Cannot build", severity="error",
                                  markup=False, timeout=12)
            return
        self.call_from_thread(self.plan_for_engine, engine_buildkit(backend.engine().version))
        self.call_from_thread(push, backend, classic=classic)

    def _push_build(self, target, backend, *, title, tags, on_model, no_cache, classic=None):
        inputs = self.build_inputs(target, tags=tags, no_cache=no_cache)
        analysis = self.analyze(target) if target != self.target else self.analysis
        name = target or self.target_name() or "default target"
        compare = None
        if classic is not None:
            # The classic builder runs every stage in order; BuildKit only what the target needs.
            classic_inputs = self.build_inputs(target, tags=(), no_cache=no_cache)
            compare = BuildRun(analysis, lambda: classic.start(classic_inputs),
                               f"classic builder: {name}", self.dockerfile_text)
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
        runs = []
        for recording in [path] + ([compare] if compare is not None else []):
            backend = open_recorded(recording, speed)
            try:
                inputs = backend.start().inputs()
            except Exception as error:  # RecordingError: truncated/corrupt, with a line number
                self.notify(plain(str(error)), title="Cannot replay", severity="error", markup=False, timeout=10)
                return
            analysis = analysis_for_recording(inputs) or self.analysis
            text = inputs.get("dockerfile_text") if analysis is not self.analysis else self.dockerfile_text
            title = f"replay {Path(recording).name}" + (f" ×{speed:g}" if speed else " (fast)")
            runs.append(BuildRun(analysis, backend.start, title, text, explain_recorded))
        first = runs[0]
        self.push_screen(BuildScreen(first.analysis, first.start, title=first.title,
                                     dockerfile_text=first.dockerfile_text,
                                     compare=runs[1] if len(runs) > 1 else None, explain=explain_recorded))

    def open_imported_log(self, path: Path) -> None:
        """Open a plain ``--progress=plain`` CI log in the build screen."""
        backend = CiLogBackend(path, dockerfile_text=self.dockerfile_text or None)
        self.push_screen(BuildScreen(self.analysis, backend.start, title=f"log {Path(path).name}",
                                     dockerfile_text=self.dockerfile_text or None))

    # --- messages from the build screen ----------------------------------------------------------
    def on_build_finished(self, message: BuildFinished) -> None:
        model = message.model
        if not self.screen_stack:  # no screens: the app is closing
            return
        self.last_model = model
        if model.image_id:
            self.last_image = model.image_id
        try:
            screen = message._sender.screen
        except Exception:  # noqa: BLE001 - NoScreen: the build screen was closed as the build ended
            screen = self.screen
        if id(screen) in self._plan_builds:
            # A build of the current plan (not a stage build, a replay or an imported log): the home
            # graph keeps each stage's outcome (done, cached, ...).
            for home in self.homes():
                home.show_states(model.stage_states())
        callback = self._build_callbacks.get(id(screen))
        if callback is not None:
            callback(model)
        elif model.image_id and model.status == "succeeded":
            self.notify(f"built {model.image_id[:19]} — press l for its layers", markup=False)

    def on_layers_requested(self, message: LayersRequested) -> None:
        """The build screen asked for the layers of what it built."""
        if message.image_id:
            self.open_layers(message.image_id, model=message.model)
