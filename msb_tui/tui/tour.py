"""The tour on screen: the app with a caption over whatever the current step opened.

``TourApp`` is the app plus two priority keys (→/PgDn next, ←/PgUp back) and a ``TourCaption``
docked on every screen it pushes. What a step opens and says is data in ``msb_tui.tour``; this
module only carries it out: the Dockerfile of the step's demo, then the graph, a live build (or the
replay of a recorded one), both builders side by side, the layers, the troubleshoot screen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from msb_tui import tour
from msb_tui.engine.info import gather
from msb_tui.offline import offline_build_args
from msb_tui.sanitize import plain
from msb_tui.tui.app import LaunchOptions, MsbApp, troubleshoot_note
from msb_tui.tui.graph_nodes import stage_keys
from msb_tui.tui.screens.layers import LayersScreen
from msb_tui.tui.screens.troubleshoot import TroubleshootScreen
from msb_tui.tui.widgets.dockerfile_view import DockerfileView
from msb_tui.tui.widgets.stage_graph import StageGraph


class TourCaption(Static):
    """The caption box: step, title, the sentence, what runs the builds, the keys."""

    def __init__(self) -> None:
        super().__init__(id="tour-caption", markup=False)

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        self.update(self.app.caption_text())


class TourApp(MsbApp):
    """The app, stepping through ``msb_tui.tour.STEPS``."""

    TITLE = "msb-tui tour"
    CSS_PATH = [*MsbApp.CSS_PATH, "tour.tcss"]
    BINDINGS = [
        *MsbApp.BINDINGS,
        Binding("right,pagedown", "tour_step(1)", "Next", priority=True),
        Binding("left,pageup", "tour_step(-1)", "Back", priority=True),
    ]

    def __init__(self, *, recordings_only: bool = False, demos_dir: Path | None = None, client_factory=None) -> None:
        super().__init__(LaunchOptions(offline_demo_args=True), client_factory=client_factory)
        self.tour = tour.Tour()
        self.demos_dir = demos_dir
        self.live: bool | None = False if recordings_only else None  # None: still asking the engine
        self.engine_note = self._recordings_note("--recordings") if recordings_only else "looking for an engine…"
        self.text = ""  # the current step's caption
        self._generation = 0  # bumped by every step change
        self._step_lock = asyncio.Lock()
        self._load_step_dockerfile(self.tour.step)

    # --- engine or recordings -----------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.live is None:
            self._probe_engine()
        self.call_after_refresh(self.show_step)

    @work(thread=True, exclusive=True, group="tour-probe")
    def _probe_engine(self) -> None:
        try:
            info = gather(self.engine_client())
            live, note = True, f"live: Docker {info.version} ({'BuildKit' if info.buildkit else 'classic builder only'})"
        except Exception as error:  # noqa: BLE001 - EngineUnavailable, docker missing: recordings it is
            live, note = False, f"no engine answered ({type(error).__name__})"
        if live and (self.demos_dir is None or not (self.demos_dir / "seed-example" / "Dockerfile").is_file()):
            live, note = False, "the demo Dockerfiles are not installed"
        if not live:
            note = self._recordings_note(note)
        self.call_from_thread(self._engine_known, live, note)

    @staticmethod
    def _recordings_note(why: str) -> str:
        facts = tour.measured()
        return f"replaying recordings of real builds ({facts.get('engine', 'Docker')}, {facts.get('recorded', '?')}): {why}"

    def _engine_known(self, live: bool, note: str) -> None:
        self.live, self.engine_note = live, note
        self.show_step()

    # --- steps ---------------------------------------------------------------------------------------
    def action_tour_step(self, delta: int) -> None:
        moved = self.tour.next() if delta > 0 else self.tour.back()
        if moved:
            self.show_step()
        else:
            self.notify("that was the last step: q quits, ← goes back" if delta > 0 else "this is the first step",
                        markup=False, timeout=3)

    def show_step(self):
        self._generation += 1
        return self._run_step(self._generation)

    @work(group="tour-step")
    async def _run_step(self, generation: int) -> None:
        # One step at a time (a lock, not an exclusive worker: cancelling one half-way through
        # closing screens let two of them close the home screen too); a superseded step is skipped.
        async with self._step_lock:
            if generation != self._generation:
                return
            step = self.tour.step
            while len(self.screen_stack) > 1:
                await self.pop_screen()  # closing a build screen stops its build
            self._load_step_dockerfile(step)
            self.text = tour.caption(step, self.analysis)
            self._refresh_home()
            if self.live is not None:
                await self._open(step)
            self._update_captions()  # (without an engine's answer yet: shown again once it comes)

    def _load_step_dockerfile(self, step: tour.Step) -> None:
        """Make the step's demo the app's Dockerfile (the demo folder when live, else the recording's copy)."""
        folder = self.demos_dir / step.demo if self.demos_dir is not None else None
        if self.live and folder is not None and (folder / "Dockerfile").is_file():
            self.context_dir, self.dockerfile_path = folder, folder / "Dockerfile"
            self.dockerfile_text = self.dockerfile_path.read_text(encoding="utf-8")
        else:
            name = step.recording or tour.demo_recording(step.demo)
            self.dockerfile_text = tour.recorded_dockerfile(name)
            self.dockerfile_path = Path(f"{step.demo}/Dockerfile (recorded)")
        self.build_args = offline_build_args(self.dockerfile_text)
        self.target = step.target
        self.load_error = None
        self.analysis = self.analyze(self.target)

    def _refresh_home(self) -> None:
        home = next((screen for screen in self.homes() if screen.is_mounted), None)
        if home is None:
            return
        home.show_states({})
        home.show_analysis(self.analysis)
        if home.side_ready:
            home.query_one(DockerfileView).set_text(self.dockerfile_text)
        step = self.tour.step
        if step.select and self.analysis is not None:
            keys = stage_keys(self.analysis.stages)
            stage = next((s for s in self.analysis.stages if s.name == step.select), None)
            if stage is not None:
                home.query_one(StageGraph).selected = keys.get(stage.index)

    async def _open(self, step: tour.Step) -> None:
        live = bool(self.live)
        if step.show == "graph":
            return
        if step.show == "build":
            if live:
                self.open_build(step.target)
            else:
                self.open_replay(tour.recording(step.recording), 1.0)
        elif step.show == "compare":
            if live:
                self.action_compare_builders()
            else:
                self.open_replay(tour.recording(step.recording), 1.0,
                                 compare=tour.recording(step.compare_recording))
        elif step.show == "layers":
            if live:
                self.open_build(step.target, on_model=self._layers_of)
            else:
                self.open_replay(tour.recording(step.recording), None)
        elif step.show == "shell":
            screen = TroubleshootScreen(step.target, note=troubleshoot_note(self.analysis, step.target))
            await self.push_screen(screen)
            if live:
                screen.action_build()

    def _layers_of(self, model) -> None:
        image = getattr(model, "image_id", None)
        if image and self.tour.step.show == "layers":
            screen = LayersScreen(image, model=model)
            self.push_screen(screen)
            # The stage sizes, measured here and now: the SDK stage is built as its own image.
            self.call_after_refresh(screen.action_stage_sizes)

    # --- the caption on every screen ---------------------------------------------------------------
    def push_screen(self, screen, *args, **kwargs):
        result = super().push_screen(screen, *args, **kwargs)
        if isinstance(screen, Screen) and not isinstance(screen, ModalScreen):
            self.call_after_refresh(self._attach_caption, screen)
        return result

    def _attach_caption(self, screen: Screen, tries: int = 50) -> None:
        """Dock a caption on ``screen`` once it has mounted its own widgets (mounting into a screen
        that is still composing left a build screen without its lanes)."""
        if not screen.is_mounted:
            if tries and screen.is_attached:
                self.set_timer(0.02, lambda: self._attach_caption(screen, tries - 1))
            return
        if not screen.query(TourCaption):
            screen.mount(TourCaption())

    def _update_captions(self) -> None:
        for screen in self.screen_stack:
            if not isinstance(screen, ModalScreen) and screen.is_mounted:
                for caption in screen.query(TourCaption):
                    caption.show()
                self._attach_caption(screen)

    def caption_text(self) -> Text:
        step = self.tour.step
        out = Text(no_wrap=False, end="")
        out.append(f" {self.tour.position()} ", style="bold reverse")
        out.append(f" {step.title}", style="bold")
        out.append(f"   {self.engine_note}\n", style="italic")
        out.append(plain(self.text or tour.caption(step, self.analysis)))
        figure = self._figure(step)
        if figure:
            out.append("\n")
            out.append_text(figure)
        out.append("\n")
        out.append("→/PgDn next  ←/PgUp back  q quit", style="dim")
        if step.keys:
            out.append(f"   outside the tour: {step.keys}", style="dim")
        return out

    def _figure(self, step: tour.Step) -> Text | None:
        """What was measured on the real engine, shown when the step runs on recordings."""
        if self.live:
            return None
        facts = tour.measured()
        if step.show == "layers" and facts.get("sizes"):
            sizes = facts["sizes"]
            largest = max(sizes.values())
            out = Text()
            for label, key in (("SDK stage (build)", "sdk"), ("final image", "final")):
                width = max(1, round(sizes[key] / largest * 40))
                out.append(f"{label:<18} {tour.human_size(sizes[key]):>9} ")
                out.append("█" * width + "\n", style="cyan")
            out.rstrip()
            return out
        if step.show == "shell" and facts.get("shell"):
            shell = facts["shell"]
            out = Text(f"recorded in `{shell['stage']}`: $ {plain(shell['command'])}\n", style="bold")
            out.append(plain(shell["output"]).rstrip())
            return out
        return None


def run_tour(*, recordings_only: bool = False, demos_dir: Path | None = None) -> int:
    TourApp(recordings_only=recordings_only, demos_dir=demos_dir).run()
    return 0
