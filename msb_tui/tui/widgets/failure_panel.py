"""What went wrong, in one place: the failing step, the engine's error, its last 20 log lines,
and the Dockerfile lines around the failing instruction (±3, numbered, the failing range marked)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from msb_tui.builds.report import failure_findings
from msb_tui.sanitize import safe_text

LAST_LINES = 20
CONTEXT = 3


@dataclass(frozen=True)
class FailureData:
    """A snapshot of a failure (all strings untrusted)."""

    step_name: str = ""
    error: str = ""
    last_lines: tuple[str, ...] = ()
    dropped: int = 0  # earlier log lines not shown
    context: tuple[tuple[int, str, bool], ...] = ()  # (line number, text, inside the failing range)
    findings: tuple[tuple[int, str, str | None], ...] = ()  # the plan's lint errors: (line, message, fix)


def dockerfile_context(text: str | None, line_start: int | None, line_end: int | None):
    """The failing lines and ``CONTEXT`` lines around them: (number, text, failing)."""
    if not text or not line_start:
        return ()
    lines = text.splitlines()
    end = line_end or line_start
    first = max(1, line_start - CONTEXT)
    last = min(len(lines), end + CONTEXT)
    return tuple((number, lines[number - 1], line_start <= number <= end) for number in range(first, last + 1))


def failure_data(model, dockerfile_text: str | None) -> FailureData | None:
    """The failure of a ``BuildModel`` (call under the feed lock); None when nothing failed."""
    findings = tuple((f.line, f.message, f.fix) for f in failure_findings(model))
    step = model.failed_step()
    if step is None:
        if model.status != "failed":
            return None
        return FailureData(step_name="(no step)", error=model.error or "the build failed", findings=findings,
                           context=dockerfile_context(dockerfile_text, findings[0][0], None) if findings else ())
    lines = step.log.lines
    # A step with no Dockerfile line (an image pull): show the line the lint blames instead.
    line_start, line_end = step.line_start, step.line_end
    if not line_start and findings:
        line_start, line_end = findings[0][0], None
    count = len(lines)
    last = tuple(lines[i] for i in range(max(0, count - LAST_LINES), count))
    return FailureData(
        step_name=step.name,
        error=step.error or model.error or "",
        last_lines=last,
        dropped=max(0, step.log.total - len(last)),
        context=dockerfile_context(dockerfile_text, line_start, line_end),
        findings=findings,
    )


class FailurePanel(Widget):
    """Shown when a build fails; hidden otherwise."""

    DEFAULT_CSS = """
    FailurePanel {
        height: auto;
        max-height: 34;
        border: heavy $error;
        border-title-color: $error;
        padding: 0 1;
        display: none;
    }
    FailurePanel.-shown { display: block; }
    FailurePanel > .failure-panel--heading { color: $error; text-style: bold; }
    FailurePanel > .failure-panel--label { color: $text-muted; }
    FailurePanel > .failure-panel--failing { background: $error 25%; text-style: bold; }
    FailurePanel > .failure-panel--number { color: $text-muted; }
    """
    COMPONENT_CLASSES = {f"failure-panel--{part}" for part in ("heading", "label", "failing", "number")}

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.data: FailureData | None = None
        self.border_title = "Build failed"

    def update_data(self, data: FailureData | None) -> None:
        self.data = data
        self.set_class(data is not None, "-shown")
        self.refresh(layout=True)

    def render(self) -> Text:
        data = self.data
        if data is None:
            return Text("")
        style = self.get_component_rich_style
        heading, label = style("failure-panel--heading"), style("failure-panel--label")
        out: list[Text] = []
        line = Text("✖ failed step: ", style=heading)
        line.append_text(safe_text(data.step_name, keep_colours=False))
        out.append(line)
        if data.error:
            for index, part in enumerate(data.error.splitlines() or [""]):
                line = Text("  error: " if index == 0 else "         ", style=label)
                line.append_text(safe_text(part))
                out.append(line)
        for number, message, fix in data.findings:
            line = Text(f"  lint, line {number}: ", style=heading)
            line.append_text(safe_text(message, keep_colours=False))
            if fix:
                line.append("  fix: ", style=label)
                line.append_text(safe_text(fix, keep_colours=False))
            out.append(line)
        if data.context:
            out.append(Text("Dockerfile:", style=label))
            width = len(str(data.context[-1][0]))
            for number, text, failing in data.context:
                line = Text(f"{'▶' if failing else ' '} {number:>{width}} │ ", style=style("failure-panel--number"))
                line.append_text(safe_text(text, keep_colours=False))
                if failing:
                    line.stylize(style("failure-panel--failing"))
                out.append(line)
        if data.last_lines:
            more = f" ({data.dropped} earlier lines in the full log: enter on the step)" if data.dropped else ""
            out.append(Text(f"last {len(data.last_lines)} log lines{more}:", style=label))
            for raw in data.last_lines:
                line = Text("  │ ", style=label)
                line.append_text(safe_text(raw))
                out.append(line)
        return Text("\n").join(out)
