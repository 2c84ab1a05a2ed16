"""The Layers screen's "Stage sizes" tab: every stage the final image was built from, built as its own
image (BuildKit reuses the cache) and set next to the final one ("build 750 MB → final 4.5 MB, 168x
smaller"), with what each sends over the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from humanize import naturalsize
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from msb_tui.builds.model import BuildModel
from msb_tui.image.report import content_size
from msb_tui.registry.wire import wire_sizes
from msb_tui.sanitize import plain
from msb_tui.tui.screens import from_worker


def human(size: int | None) -> str:
    return "—" if size is None else naturalsize(size)


def bar(value: int, largest: int, width: int = 12) -> Text:
    """A size bar with eighth-block resolution."""
    if largest <= 0 or value <= 0:
        return Text(" " * width)
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return Text(("█" * full + partial).ljust(width), style="cyan")


def ratio_sentence(stage: str, stage_size: int, final: str, final_size: int) -> str:
    """``build 750 MB → final 4.5 MB, 168x smaller`` (or larger / about the same)."""
    head = f"{stage} {human(stage_size)} → {final} {human(final_size)}"
    if final_size <= 0 or stage_size <= 0:
        return head
    if stage_size >= final_size:
        factor = stage_size / final_size
        return f"{head}, {factor:.0f}x smaller" if factor >= 1.5 else f"{head}, about the same"
    return f"{head}, {final_size / stage_size:.1f}x larger"


def wire_text(wire, estimated: bool) -> str:
    """Wire bytes, ``~`` in front when estimated from a sample."""
    return ("~" if estimated else "") + human(wire)


@dataclass
class StageSize:
    stage: str
    state: str = "waiting"  # waiting | building | done | failed
    progress: str = ""
    image_id: str | None = None
    size: int | None = None
    error: str | None = None
    wire: int | None = None  # compressed bytes a push sends (msb_tui.registry.wire)
    wire_estimated: bool = False  # ``wire`` holds an estimate from a sample (shown with "~")


class StageSizes(Vertical):
    """The hint (then the headline ratio) and the table; ``start()`` builds the stages."""

    def __init__(self) -> None:
        super().__init__()
        self.stages: dict[str, StageSize] = {}
        self.final_size: int | None = None  # the final image's, set by the screen once it is read
        self.final_image: str | None = None
        self.final_wire: Any = None  # the final image's WireReport, once read
        self._streams: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("press c to build every stage as its own image (reusing the build cache: "
                          "seconds for stages built before) and compare it with the final one",
                          style="dim"), id="sizes-hint")
        yield DataTable(id="size-table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("stage", 16), ("state", 9), ("size", 10), ("", 20),
                             ("compared with the final image", 46), ("on the wire (compressed)", None)):
            table.add_column(label, width=width)

    def stages_to_size(self) -> list[str]:
        """Stages the final image was built from (the plan's needed stages but the target)."""
        analysis = self.app.analysis
        plan = analysis.plan if analysis is not None else None
        if plan is None:
            return []
        return [s.name or s.display_name for s in analysis.stages
                if s.index in plan.needed and s.index != plan.target]

    def start(self) -> None:
        if any(s.state == "building" for s in self.stages.values()):
            return
        names = self.stages_to_size()
        if not names:
            self.query_one("#sizes-hint", Static).update(
                Text("no other stages to compare (the Dockerfile has one stage, or no plan)", style="dim"))
            return
        self.stages = {name: StageSize(name) for name in names}
        self._fill()
        self._build_stages(names)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        final_size = self.final_size
        final_name = plain(self.app.target_name() or "final")
        largest = max([final_size or 0] + [item.size or 0 for item in self.stages.values()])
        done = [item for item in self.stages.values() if item.state == "done" and item.size]
        if done and final_size:
            biggest = max(done, key=lambda item: item.size)
            stage = plain(biggest.stage)
            headline = Text(ratio_sentence(stage, biggest.size, final_name, final_size), style="bold")
            final_wire = self.final_wire
            if biggest.wire and final_wire is not None and final_wire.wire_size:
                estimated = biggest.wire_estimated or final_wire.estimated
                headline.append("\non the wire: "
                                + ratio_sentence(stage, biggest.wire, final_name, final_wire.wire_size)
                                + " (compressed, what a push sends"
                                + ("; ~ estimated from a sample)" if estimated else ")"))
            headline.append("\nEach stage was built as its own image (BuildKit reused the cache); only the "
                            "final stage ships. Enter on a stage opens its layers.", style="dim")
            self.query_one("#sizes-hint", Static).update(headline)
        elif self.stages:
            self.query_one("#sizes-hint", Static).update(Text("building each stage as its own image…", style="dim"))
        for item in self.stages.values():
            if item.state == "done" and item.size is not None and final_size:
                compared = Text(ratio_sentence(plain(item.stage), item.size, final_name, final_size))
            elif item.state == "failed":
                compared = Text(plain(item.error or "failed"), style="red")
            else:
                compared = Text(item.progress, style="dim")
            if item.wire is not None:
                wire = wire_text(item.wire, item.wire_estimated)
            else:
                wire = "computing…" if item.state == "done" else ""
            table.add_row(Text(plain(item.stage), style="bold"), Text(item.state),
                          Text(human(item.size), justify="right"), bar(item.size or 0, largest, 20), compared,
                          Text(wire), key=item.stage)
        wire = self.final_wire.wire_size if self.final_wire is not None else None
        table.add_row(Text(final_name, style="bold"), Text("final"),
                      Text(human(final_size), style="bold", justify="right"), bar(final_size or 0, largest, 20),
                      Text("the image you ship", style="dim"),
                      Text(wire_text(wire, self.final_wire.estimated) if wire is not None else "computing…"))

    def update_stage(self, stage: str, **changes) -> None:
        item = self.stages.get(stage)
        if item is None:
            return
        for key, value in changes.items():
            setattr(item, key, value)
        self._fill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a stage opens the layers of that stage's image."""
        item = self.stages.get(event.row_key.value) if event.row_key is not None else None
        if item is not None and item.image_id:
            self.app.open_layers(item.image_id, target=item.stage)

    @work(thread=True, exclusive=True, group="stage-sizes")
    def _build_stages(self, stages: list[str]) -> None:
        """Build each stage as the target (BuildKit reuses the cache) and read its image size."""
        app, worker = self.app, get_current_worker()

        def tell(stage: str, **changes) -> None:
            from_worker(self, self.update_stage, stage, **changes)

        try:
            client = app.engine_client()
            backend = app.backend(record=False)
        except Exception as error:  # noqa: BLE001
            for stage in stages:
                tell(stage, state="failed", error=str(error))
            return
        if self.final_wire is None and self.final_image is not None:
            self._wire_of(client, None, self.final_image)
        for stage in stages:
            if worker.is_cancelled:
                return
            tell(stage, state="building", progress="starting…")
            try:
                # Sizes, not timings: reuse the cache even after --no-cache.
                stream = backend.start(app.build_inputs(stage, tags=(), no_cache=False))
            except Exception as error:  # noqa: BLE001
                tell(stage, state="failed", error=str(error))
                continue
            self._streams.append(stream)
            model = BuildModel()
            for event in stream:
                if model.apply(event):
                    done = sum(1 for step in model.steps.values() if step.completed is not None)
                    tell(stage, progress=f"{done}/{len(model.steps)} steps")
            if worker.is_cancelled:
                return
            image_id = model.image_id
            if not image_id:
                tell(stage, state="failed", error=model.error or "no image produced")
                continue
            try:
                size = content_size(client, image_id)  # comparable with the final image's content size
            except Exception as failure:  # noqa: BLE001
                tell(stage, state="failed", error=str(failure))
                continue
            tell(stage, state="done", image_id=image_id, size=size, progress="")
            self._wire_of(client, stage, image_id)

    def _wire_of(self, client, stage: str | None, image: str) -> None:
        """Wire bytes of a stage's image (or the final one): measured, computed or estimated."""
        try:
            report = wire_sizes(client, image)
        except Exception:  # noqa: BLE001 - the wire column stays empty; sizes above still hold
            return
        if stage is None:
            self.final_wire = report
            from_worker(self, self._fill)
        else:
            from_worker(self, self.update_stage, stage, wire=report.wire_size, wire_estimated=report.estimated)

    def on_unmount(self) -> None:
        for stream in self._streams:
            try:
                stream.cancel()
            except Exception:  # noqa: BLE001 - already closed
                pass
