"""The home screen: the stage graph, the selected stage's details, the Dockerfile and its lint findings.

Everything from the Dockerfile is shown as ``Text`` built by the tokenizer or ``sanitize.plain``;
nothing untrusted is parsed as markup.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from msb_tui.builds.masking import masked_args
from msb_tui.sanitize import plain
from msb_tui.tui.graph_nodes import edges_from_analysis, stage_keys
from msb_tui.tui.screens.pickers import TextPrompt
from msb_tui.tui.widgets.dockerfile_view import DARK, LIGHT, DockerfileView, Palette, highlight_dockerfile, numbered
from msb_tui.tui.widgets.stage_graph import StageGraph

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
KIND_WORDS = {"from": "FROM", "copy": "COPY --from", "mount": "RUN --mount"}


def _stage_by_key(analysis, key: str | None):
    stages = analysis.stages if analysis is not None else []
    keys = stage_keys(stages)
    return next((stage for stage in stages if keys[stage.index] == key), None)


def plan_reason(analysis, stage) -> str:
    """Why the plan builds or skips ``stage`` (one sentence)."""
    plan = analysis.plan
    if plan is None:
        return "no plan: fix the Dockerfile errors first"
    if stage.index == plan.target:
        return "the target: this is the image the build produces"
    if stage.index not in plan.needed:
        return f"skipped: {plan.skip_reasons.get(stage.index) or 'the target does not need it'}"
    users = []
    keys = stage_keys(analysis.stages)
    by_key = {keys[s.index]: s for s in analysis.stages}
    for edge in edges_from_analysis(analysis):
        if edge.source == keys[stage.index]:
            user = by_key.get(edge.target)
            if user is not None and user.index in plan.needed:
                users.append(f"{user.display_name} ({KIND_WORDS.get(edge.kind, edge.kind)})")
    wave = plan.wave_of(stage.index)
    # Waves count from 1, in the CLI's text too; a wave runs side by side once the waves before it are built.
    where = f" — wave {wave + 1} of {len(plan.waves)} (runs side by side with its wave)" if wave is not None else ""
    critical = " — on the critical path" if stage.index in plan.critical_path else ""
    if users:
        return f"needed by {', '.join(users)}{where}{critical}"
    return f"needed{where}{critical}"


def arg_used(stage, name: str) -> bool:
    """Whether ``stage`` uses global ARG ``name``: in its FROM line, or declared again inside it."""
    if name in stage.args:
        return True
    return re.search(r"\$\{?" + re.escape(name) + r"\b", stage.base_raw or "") is not None


def stage_detail(analysis, key: str | None, lines: list[Text], palette: Palette = DARK) -> Text:
    """The side panel for one node: header, plan reason, numbered instructions, ARGs, lint findings."""
    out = Text(no_wrap=False, end="")
    if key is not None and key.startswith("image:"):
        ref = key[len("image:") :]
        out.append("external image\n", style="bold")
        out.append(plain(ref) + "\n\n")
        users = [e.target for e in edges_from_analysis(analysis) if e.source == key]
        out.append("used by: ", style="bold")
        out.append(", ".join(plain(u) for u in users) or "nothing")
        out.append("\n\nThe engine uses a local image of this name, or pulls it (--pull always pulls).",
                   style="dim")
        return out
    stage = _stage_by_key(analysis, key)
    if stage is None:
        out.append("select a stage (arrow keys or click)", style="italic")
        return out
    out.append(plain(stage.display_name), style="bold")
    out.append(f"   stage {stage.index} · lines {stage.line_start}–{stage.line_end}", style="dim")
    if stage.platform:
        out.append(f" · {plain(stage.platform)}", style="dim")
    out.append("\n")
    base = stage.base
    out.append("base: ", style="bold")
    out.append(f"{plain(base.ref)} ({base.kind})\n")
    out.append("plan: ", style="bold")
    out.append(plan_reason(analysis, stage) + "\n\n")
    width = len(str(max(1, len(lines))))
    findings = [f for f in analysis.lint if f.line and stage.line_start <= f.line <= stage.line_end]
    errors = [e for e in analysis.errors if e.line and stage.line_start <= e.line <= stage.line_end]
    marks = {f.line: f.severity for f in findings} | {e.line: "error" for e in errors}
    out.append_text(numbered(lines, stage.line_start, stage.line_end, width=width, palette=palette, marks=marks))
    out.append("\n")
    args = stage.args
    # Only the global ARGs this stage uses: in its FROM line, or declared again inside it (a big
    # Dockerfile has 20 of them, most for other stages).
    unused = [arg for arg in analysis.global_args.values() if not arg_used(stage, arg.name)]
    global_args = [arg for arg in analysis.global_args.values() if arg_used(stage, arg.name)]
    if args or global_args or unused:
        out.append("\nARGs\n", style="bold")
        for arg in global_args:
            value = arg.value if arg.value is not None else arg.default
            out.append(f"  {plain(arg.name)}", style=palette.variable)
            out.append(f" = {plain(str(value)) if value is not None else '(unset)'}")
            out.append("  global" + (", overridden by --build-arg" if arg.overridden else "") + "\n", style="dim")
        for name, value in args.items():
            out.append(f"  {plain(name)}", style=palette.variable)
            out.append(f" = {plain(str(value)) if value is not None else '(unset)'}\n")
        if unused:
            out.append(f"  {len(unused)} other global ARG{'s' if len(unused) != 1 else ''} not used by this stage\n",
                       style="dim")
    if errors or findings:
        out.append("\nFindings\n", style="bold")
        for error in errors:
            out.append(f"  line {error.line} ", style="bold red")
            out.append(f"error: {plain(str(error.message))}\n")
        for finding in findings:
            out.append_text(finding_text(finding))
    else:
        out.append("\nno lint findings in this stage\n", style="dim")
    out.rstrip()
    return out


def finding_text(finding) -> Text:
    out = Text()
    out.append(f"  line {finding.line} ", style=SEVERITY_STYLE.get(finding.severity, "bold"))
    out.append(f"{finding.severity} ", style=SEVERITY_STYLE.get(finding.severity, ""))
    out.append(f"[{plain(finding.rule)}] ", style="dim")
    out.append(plain(str(finding.message)) + "\n")
    if finding.fix:
        out.append(f"      fix: {plain(str(finding.fix))}\n", style="dim")
    return out


def lint_text(analysis) -> Text:
    """Every error and lint finding of the file, in line order."""
    out = Text(end="")
    if analysis is None:
        out.append("no Dockerfile loaded", style="italic")
        return out
    errors, findings = analysis.errors, analysis.lint
    if not errors and not findings:
        out.append("no findings: the Dockerfile passes every lint rule", style="green")
        return out
    out.append(f"{len(errors)} error(s), {len(findings)} finding(s)\n\n", style="bold")
    for error in errors:
        out.append(f"  line {error.line if error.line else '?'} ", style="bold red")
        out.append(f"error: {plain(str(error.message))}\n")
    for finding in sorted(findings, key=lambda f: (f.line or 0, f.rule)):
        out.append_text(finding_text(finding))
    out.rstrip()
    return out


def short_path(path) -> str:
    """``path`` as short as it can be said (the title must fit 80 columns): relative to the current folder
    when under it, and a folder's own ``Dockerfile`` as the folder."""
    path = Path(path)
    try:
        path = path.resolve().relative_to(Path.cwd())
    except (ValueError, OSError):
        pass
    # The default Dockerfile of a folder reads as docker build's argument: the folder.
    return f"{path.parent}/" if path.name == "Dockerfile" else str(path)


def title_text(app) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    out.append(" msb-tui ", style="bold reverse")
    out.append(" ")
    out.append(plain(short_path(app.dockerfile_path)))
    analysis = app.analysis
    target = app.target_name()
    if target:
        out.append("  target ", style="dim")
        out.append(plain(target), style="bold")
    plan = getattr(analysis, "plan", None)
    if plan is not None:
        total, waves = len(analysis.stages), len(plan.waves)
        out.append(f"  {len(plan.needed)}/{total} stages, {waves} wave{'' if waves == 1 else 's'}", style="dim")
    if app.no_cache:
        out.append("  --no-cache", style="bold yellow")
    if app.build_args:  # masked: a token typed as a build arg is not shown on screen
        args = " ".join(f"{plain(k)}={plain(v)}" for k, v in sorted(masked_args(app.build_args).items()))
        out.append(f"  args {args}", style="dim")
    return out


class SidePanel(Vertical):
    """The Stage / Dockerfile / Lint tabs; tells the screen when it is mounted (it mounts lazily)."""

    def __init__(self, dockerfile_text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dockerfile_text = dockerfile_text

    def compose(self) -> ComposeResult:
        with TabbedContent(id="side", initial="stage"):
            with TabPane("Stage", id="stage"):
                with VerticalScroll(id="stage-scroll"):
                    yield Static(Text(""), id="stage-detail")
            with TabPane("Dockerfile", id="dockerfile"):
                yield DockerfileView(self.dockerfile_text, id="dockerfile-view")
            with TabPane("Lint", id="lint"):
                with VerticalScroll(id="lint-scroll"):
                    yield Static(Text(""), id="lint-text")

    def on_mount(self) -> None:
        self.call_after_refresh(self.screen.side_mounted)


class GraphScreen(Screen):
    """Home: the graph on the left (top when narrow), details on the right (bottom)."""

    # graph.tcss is loaded by the app (MsbApp.CSS_PATH): this is the default screen.
    BINDINGS = [
        Binding("b", "app.build", "Build"),
        # v (versus), not k: j and k move the selection, as in vim and lazydocker.
        Binding("v", "app.compare_builders", "Classic vs BuildKit", show=False),
        Binding("t", "app.pick_target", "Target"),
        Binding("a", "app.edit_build_arg", "Arg"),
        Binding("n", "app.toggle_no_cache", "No cache", show=False),
        Binding("slash", "find", "Find", key_display="/", show=False),
        Binding("S", "toggle_skipped", "Hide skipped", key_display="S", show=False),
        Binding("x", "troubleshoot", "Shell"),
        Binding("l", "app.layers", "Layers"),
        Binding("c", "app.context", "Context", show=False),
        Binding("h", "app.history", "History"),
        Binding("s", "side('stage')", "Stage", show=False),
        Binding("d", "side('dockerfile')", "Dockerfile", show=False),
        Binding("i", "side('lint')", "Lint", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="graph-title")
        with Horizontal(id="graph-body"):
            yield StageGraph(self.app.analysis, id="graph")
            # The side panel mounts right after the first paint (Lazy): the graph shows first.
            yield Lazy(SidePanel(self.app.dockerfile_text, id="side-panel"))
        yield Footer(compact=True)

    side_ready = False

    def on_mount(self) -> None:
        self.watch(self.app, "theme", lambda _: self._refresh_detail(), init=False)
        self.show_analysis(self.app.analysis)
        self.query_one(StageGraph).focus()

    def side_mounted(self) -> None:
        """The (lazily mounted) side panel exists now: fill it."""
        self.side_ready = True
        self._show_side(self.app.analysis)

    def on_resize(self, event) -> None:
        self.query_one("#graph-body").set_class(event.size.width < 110, "-narrow")

    @property
    def palette(self) -> Palette:
        return DARK if self.app.current_theme.dark else LIGHT

    def show_analysis(self, analysis) -> None:
        """Redraw everything for a new analysis (target or build args changed)."""
        self.query_one("#graph-title", Static).update(title_text(self.app))
        self.query_one(StageGraph).set_analysis(analysis)
        if self.side_ready:
            self._show_side(analysis)

    def _show_side(self, analysis) -> None:
        self.query_one("#lint-text", Static).update(lint_text(analysis))
        view = self.query_one(DockerfileView)
        marks = {}
        if analysis is not None:
            marks = {f.line: f.severity for f in analysis.lint if f.line}
            marks |= {e.line: "error" for e in analysis.errors if e.line}
        view.set_marks(marks)
        self._refresh_detail()

    def show_states(self, states: dict[str, str]) -> None:
        """Colour the stages with the last build's outcome ({display_name: state}); {} clears."""
        self.query_one(StageGraph).set_states(states)

    def selected_stage_name(self) -> str | None:
        key = self.query_one(StageGraph).selected
        stage = _stage_by_key(self.app.analysis, key)
        return (stage.name or stage.display_name) if stage is not None else None

    def _refresh_detail(self) -> None:
        if not self.side_ready:
            return
        analysis = self.app.analysis
        key = self.query_one(StageGraph).selected
        if analysis is None:
            self.query_one("#stage-detail", Static).update(
                Text(self.app.load_error or "no Dockerfile loaded", style="italic"))
            return
        lines = highlight_dockerfile(self.app.dockerfile_text, self.palette)
        self.query_one("#stage-detail", Static).update(stage_detail(analysis, key, lines, self.palette))
        stage = _stage_by_key(analysis, key)
        view = self.query_one(DockerfileView)
        view.show_lines(stage.line_start, stage.line_end) if stage is not None else view.show_lines(None, None)

    def on_stage_graph_selected(self, event: StageGraph.Selected) -> None:
        self._refresh_detail()

    def on_stage_graph_activated(self, event: StageGraph.Activated) -> None:
        self.action_side("dockerfile")

    def action_side(self, pane: str) -> None:
        if self.side_ready:
            self.query_one(TabbedContent).active = pane

    last_find = ""

    def action_find(self) -> None:
        """``/``: select the next stage whose name contains the text (big graphs)."""
        def found(text: str | None) -> None:
            if not text:
                return
            graph = self.query_one(StageGraph)
            after = graph.selected if text == self.last_find else None
            self.last_find = text
            if graph.find(text, after) is None:
                self.notify(f"no stage name contains {plain(text)!r}"
                            + (" (skipped stages are hidden: S shows them)" if graph.hide_skipped else ""),
                            severity="warning", markup=False)
            graph.focus()

        self.app.push_screen(TextPrompt("Find a stage by name (enter: find / next, escape: cancel)", self.last_find,
                                        placeholder="part of a stage name"), found)

    def action_toggle_skipped(self) -> None:
        hidden = self.query_one(StageGraph).toggle_skipped()
        self.notify("skipped stages hidden (S shows them)" if hidden else "skipped stages shown", markup=False,
                    timeout=3)

    def action_troubleshoot(self) -> None:
        self.app.action_troubleshoot(self.selected_stage_name())
