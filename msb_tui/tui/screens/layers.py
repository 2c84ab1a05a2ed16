"""Layers of an image: sizes with bars, the Dockerfile line behind each, waste, leaks, lazy file trees,
and each stage's size as its own image (``stage_sizes``).

The image is read by ``msb_tui.image.report.analyze_image`` in a thread worker. Every string from
the image (history, paths, instructions) is untrusted and shown as ``Text``.
"""

from __future__ import annotations

from typing import Any

import docker.errors
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane, Tree

from msb_tui.builds.provenance import origin_of
from msb_tui.durations import format_duration
from msb_tui.image.report import analyze_image
from msb_tui.sanitize import plain
from msb_tui.tui.screens import from_worker
from msb_tui.tui.screens.ship import ShipScreen
from msb_tui.tui.screens.stage_sizes import StageSizes, bar, human

TREE_LIMIT = 400  # children shown per directory before "… N more"
STATUS_STYLE = {"added": "green", "modified": "yellow", "removed": "red", "unchanged": ""}


def layer_instruction(entry) -> tuple[str, str, str]:
    """(instruction, stage, line) for a history entry, as plain single-line strings."""
    source = entry.source
    if source.kind == "dockerfile":
        instruction = source.instruction or entry.created_by
        stage, line = source.stage or "", str(source.line or "")
    elif source.kind == "base":
        instruction = entry.created_by or "(imported)"
        stage, line = "base: " + (source.base_image or "image"), ""
    else:
        instruction = entry.created_by or "(no created_by)"
        stage, line = "", ""
    instruction = instruction.replace(" # buildkit", "")
    return plain(" ".join(instruction.split())), plain(stage), line


def build_cell(step) -> Text:
    """What the build said about a layer's step: cached, or how long it ran."""
    if step is None:
        return Text("")
    if step.cached:
        return Text("cached", style="cyan")
    if step.duration is not None:
        return Text(format_duration(step.duration), justify="right")
    return Text(plain(step.state or ""), style="dim")


def missing_image_message(error: Exception, image: str) -> str | None:
    """"no image named X on this engine" for the engine's 404, instead of its raw HTTP text."""
    if isinstance(error, docker.errors.NotFound):
        return f"no image named {image} on this engine (docker images lists them)"
    return None


class LayersScreen(Screen):
    CSS_PATH = "layers.tcss"
    BINDINGS = [
        Binding("escape,q", "leave", "Back"),
        # Short labels: the footer fits 80 columns (help lists every key with its full meaning).
        Binding("s", "sort_layers", "Sort"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("z", "sort_tree", "Tree order", show=False),
        Binding("w", "whole", "Whole image"),
        Binding("c", "stage_sizes", "Sizes"),
        Binding("u", "ship", "Ship"),
    ]

    def __init__(self, image: str, *, model: Any = None, report: Any = None, target: str | None = None) -> None:
        super().__init__()
        self.image = image
        self.model = model
        self.report = report
        self.target = target
        self.sort_by_size = False
        self.tree_sort = "size"
        self.tree_filter = ""
        self.whole_image = False
        self.layer_index: int | None = None
        self.tie_note = ""  # where the layers' Dockerfile lines come from (or that they are unknown)

    # --- composition ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text(f" Layers of {plain(self.image)}: reading the image…"), id="layers-title")
        with TabbedContent(id="layers-tabs", initial="layers-pane"):
            with TabPane("Layers", id="layers-pane"):
                with Horizontal(id="layers-body"):
                    yield DataTable(id="layer-table", cursor_type="row", zebra_stripes=True)
                    with Vertical(id="files"):
                        yield Input(placeholder="filter by path (/)", id="file-filter")
                        yield Tree(Text("/"), id="file-tree")
            with TabPane("Stage sizes", id="sizes-pane"):
                yield StageSizes()
            with TabPane("Waste & leaks", id="waste-pane"):
                with VerticalScroll():
                    yield Static(Text(""), id="waste-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.report is not None:
            self.show_report(self.report)
        else:
            self._load()

    def on_resize(self, event) -> None:
        self.query_one("#layers-body").set_class(event.size.width < 140, "-narrow")

    # --- loading ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        app = self.app
        try:
            client = app.engine_client()

            image_id = client.inspect_image(self.image)["Id"]
            dockerfile, target, build_args, model = self._tie(image_id)
            report = analyze_image(client, self.image, dockerfile=dockerfile, target=target, build_args=build_args,
                                   build_model=model)
        except Exception as error:  # noqa: BLE001 - no engine, unknown image, unreadable export
            from_worker(self, self._failed, missing_image_message(error, self.image) or str(error))
            return
        from_worker(self, self.show_report, report)

    def _tie(self, image_id: str) -> tuple[str | None, str | None, dict[str, str], Any]:
        """(Dockerfile text, target, build args, build model) to tie the layers to lines, from the build
        that made the image: its recording, else this session's build of it; else nothing (``tie_note``
        says so) rather than the current target's lines, which may belong to another stage."""
        app = self.app
        built_here = self.model is not None and self.model.image_id == image_id
        origin = origin_of(image_id, with_model=not built_here)
        if origin is not None:
            where = f"stage {origin.target}" if origin.target else "the last stage"
            self.tie_note = f"lines: {where}, from the recorded build"
            return origin.dockerfile_text, origin.target, origin.build_args, self.model if built_here else origin.model
        text = app.dockerfile_text or None
        if text and (built_here or self.target):
            target = self.target or getattr(getattr(self.model, "analysis", None), "target_name", None)
            self.tie_note = f"lines: {'stage ' + target if target else 'the last stage'}"
            return text, target, dict(app.build_args), self.model
        self.tie_note = "lines: unknown (no recording of the build that made this image)"
        return None, None, {}, None

    def _failed(self, message: str) -> None:
        self.query_one("#layers-title", Static).update(Text(f" Layers of {plain(self.image)}: {plain(message)}",
                                                            style="bold red"))

    def show_report(self, report) -> None:
        self.report = report
        sizes = self.query_one(StageSizes)
        sizes.final_size = report.layers.size
        sizes.final_image = report.layers.image_id or self.image
        self.query_one("#layers-title", Static).update(self.title_text())
        self._fill_layers()
        self.query_one("#waste-text", Static).update(self.waste_text())
        layers = [e for e in report.layers.entries if e.layer_index is not None]
        if layers:
            biggest = max(layers, key=lambda e: e.size)
            self._show_tree(biggest.layer_index)
        self.query_one("#layer-table", DataTable).focus()

    # --- text blocks -----------------------------------------------------------------------------
    def title_text(self) -> Text:
        report = self.report
        layers = report.layers
        out = Text(no_wrap=True, overflow="ellipsis")
        if self.target:
            out.append(f" stage {plain(self.target)} as an image ", style="bold reverse")
        name = self.image[7:19] if self.image.startswith("sha256:") else self.image
        out.append(" " + plain(name), style="bold")
        if not self.image.startswith("sha256:"):
            out.append(f"  {layers.image_id[7:19]}", style="dim")
        count = len(layers.diff_ids)
        kind = "content" if layers.size_kind == "content" else "on disk"
        out.append(f"  {human(layers.size)} {kind}")
        if layers.compressed_size is not None:
            out.append(f", {human(layers.compressed_size)} compressed")
        out.append(f" in {count} layer{'' if count == 1 else 's'}")
        out.append(f"  {layers.store} store", style="dim")
        waste = report.waste
        if waste is not None:
            style = "green" if waste.efficiency >= 0.95 else "yellow" if waste.efficiency >= 0.8 else "bold red"
            out.append(f"  efficiency {waste.efficiency:.1%}", style=style)
            out.append(f"  wasted {human(waste.wasted_bytes)}")
        leaks = len(report.leaks)
        out.append(f"  leaks {leaks}", style="bold red" if leaks else "green")
        if self.tie_note:
            out.append(f"  {self.tie_note}", style="dim")
        return out

    def waste_text(self) -> Text:
        report = self.report
        out = Text()
        waste = report.waste
        if waste is None:
            out.append("file contents were not read: no waste figures\n", style="dim")
        else:
            out.append("Waste\n", style="bold underline")
            out.append(f"{human(waste.total_bytes)} of files across layers, {human(waste.final_bytes)} visible in the "
                       f"final filesystem: {human(waste.wasted_bytes)} ({waste.wasted_fraction:.1%}) overwritten or "
                       f"deleted by later layers; efficiency {waste.efficiency:.2%}\n")
            by_layer = {e.layer_index: e for e in report.layers.entries if e.layer_index is not None}
            for item in waste.paths(15):
                copy = item.copies[0]
                made, by = by_layer.get(copy.layer), by_layer.get(copy.by_layer)
                out.append(f"  {human(item.wasted):>10}  ", style="bold")
                out.append("/" + plain(item.path))
                out.append(f"  written by #{made.index if made else '?'}, {copy.how} by #{by.index if by else '?'}\n",
                           style="dim")
        out.append("\nLeaks\n", style="bold underline")
        if not report.leaks:
            out.append("none found: no toolchains, caches, sources or secrets in the final image\n", style="green")
        for leak in report.leaks:
            out.append(f"  {leak.category:<9}", style="bold red" if leak.category in ("secret", "credential") else "bold yellow")
            out.append(f" {human(leak.size) if leak.size else '':>10}  ")
            out.append(plain(leak.where))
            out.append(f": {plain(leak.why)}\n", style="dim")
        out.rstrip()
        return out

    # --- layers table ---------------------------------------------------------------------------
    def _layer_columns(self, table: DataTable) -> int:
        """(Re)create the columns, narrower on a small terminal so the instruction stays readable."""
        narrow = (self.size.width or 80) < 110
        bar_width = 6 if narrow else 12
        table.clear(columns=True)
        kind = "content" if self.report is None or self.report.layers.size_kind == "content" else "on disk"
        for label, width in (("#", 3), (kind, 10), ("", bar_width), ("stage", 10 if narrow else 16),
                             ("line", 4), ("build", 6), ("instruction", None)):
            table.add_column(label, width=width)
        return bar_width

    def _fill_layers(self) -> None:
        table = self.query_one("#layer-table", DataTable)
        bar_width = self._layer_columns(table)
        entries = list(self.report.layers.entries)
        if self.sort_by_size:
            entries.sort(key=lambda e: (-e.size, e.index))
        largest = max((e.size for e in entries), default=0)
        by_layer = self.report.waste.by_layer() if self.report.waste else {}
        for entry in entries:
            instruction, stage, line = layer_instruction(entry)
            dim = "dim" if entry.empty else ""
            size_text = Text("—" if entry.empty else human(entry.size), justify="right", style=dim)
            wasted = by_layer.get(entry.layer_index, 0) if entry.layer_index is not None else 0
            if wasted:
                size_text.append(" ⚠", style="yellow")
            table.add_row(
                Text(str(entry.index), style=dim),
                size_text,
                bar(entry.size, largest, bar_width),
                Text(stage, style=dim, overflow="ellipsis", no_wrap=True),
                Text(line, style=dim, justify="right"),
                build_cell(entry.build),
                Text(instruction[:200] + (" (no layer)" if entry.empty else ""), style=dim),
                key=str(entry.index),
            )

    def action_sort_layers(self) -> None:
        self.sort_by_size = not self.sort_by_size
        if self.report is not None:
            self._fill_layers()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id != "layer-table" or self.report is None or event.row_key is None:
            return
        index = int(event.row_key.value)
        entry = self.report.layers.entries[index]
        if entry.layer_index is not None and entry.layer_index != self.layer_index:
            self._show_tree(entry.layer_index)

    # --- file tree --------------------------------------------------------------------------------
    def _file_tree(self, layer_index: int):
        report = self.report
        if report.archive is None:
            return None
        try:
            return report.file_tree(upto=layer_index) if self.whole_image else report.layer_tree(layer_index)
        except ValueError:
            return None

    def _show_tree(self, layer_index: int) -> None:
        self.layer_index = layer_index
        tree_widget = self.query_one("#file-tree", Tree)
        tree_widget.clear()
        files = self._file_tree(layer_index)
        what = "image after layer" if self.whole_image else "changes of layer"
        if files is None:
            tree_widget.root.set_label(Text(f"no file tree ({what} {layer_index} not read)", style="dim"))
            return
        root = files.root
        label = Text(f"/  {what} {layer_index} · {human(root.size)}", style="bold")
        if self.tree_filter:
            label.append(f" · filter {plain(self.tree_filter)}", style="yellow")
        tree_widget.root.set_label(label)
        tree_widget.root.data = root
        self._add_children(tree_widget.root, root)
        tree_widget.root.expand()

    def _node_label(self, node) -> Text:
        label = Text(no_wrap=True, overflow="ellipsis")
        style = STATUS_STYLE.get(node.status, "")
        label.append(plain(node.name) + ("/" if node.is_dir else ""), style=style + (" bold" if node.is_dir else ""))
        label.append(f"  {human(node.size)}", style="dim")
        if node.status in ("added", "modified", "removed") and not self.whole_image:
            label.append(f"  {node.status}", style=style)
        return label

    def _add_children(self, tree_node, file_node) -> None:
        children = file_node.children(sort=self.tree_sort, filter=self.tree_filter or None)
        for child in children[:TREE_LIMIT]:
            if child.is_dir:
                tree_node.add(self._node_label(child), data=child, allow_expand=True)
            else:
                tree_node.add_leaf(self._node_label(child), data=child)
        if len(children) > TREE_LIMIT:
            tree_node.add_leaf(Text(f"… {len(children) - TREE_LIMIT} more (filter with /)", style="dim"))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if node.is_root or node.children or node.data is None:
            return
        self._add_children(node, node.data)

    def action_filter(self) -> None:
        self.query_one(TabbedContent).active = "layers-pane"
        self.query_one("#file-filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "file-filter":
            self.tree_filter = event.value.strip()
            if self.layer_index is not None:
                self._show_tree(self.layer_index)

    def action_sort_tree(self) -> None:
        self.tree_sort = "name" if self.tree_sort == "size" else "size"
        if self.layer_index is not None:
            self._show_tree(self.layer_index)

    def action_whole(self) -> None:
        self.whole_image = not self.whole_image
        if self.layer_index is not None:
            self._show_tree(self.layer_index)

    # --- stage sizes -------------------------------------------------------------------------------
    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The tab's table takes the focus, so enter works at once (no Tab first)."""
        table = {"sizes-pane": "#size-table", "layers-pane": "#layer-table"}.get(event.pane.id or "")
        if table:
            self.query_one(table, DataTable).focus()

    def action_stage_sizes(self) -> None:
        self.query_one(TabbedContent).active = "sizes-pane"
        self.query_one("#size-table", DataTable).focus()
        self.query_one(StageSizes).start()

    def action_ship(self) -> None:
        self.app.push_screen(ShipScreen(self.image))

    # --- leaving ---------------------------------------------------------------------------------
    def action_leave(self) -> None:
        if self.focused is not None and self.focused.id == "file-filter":
            self.query_one("#layer-table", DataTable).focus()
            return
        self.app.pop_screen()
