"""Make untrusted terminal text (build logs, Dockerfiles, image history) safe to display.

Keeps SGR colour sequences (``ESC [ ... m``) and drops everything else a terminal would act on:
OSC/DCS/APC/PM/SOS strings (window titles, hyperlinks), other CSI sequences (cursor moves,
clears), lone ESCs and C0/C1 control characters. The result is plain text for ``Text.from_ansi``;
nothing here ever goes through Rich markup.
"""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Rich is imported on first use: the headless build prints without it
    from rich.text import Text

# String sequences: OSC (ESC ]), DCS (ESC P), SOS (ESC X), PM (ESC ^), APC (ESC _), ended by BEL or ST,
# or unterminated up to end of text; plus their 8-bit C1 forms.
_STRING_SEQ = re.compile(r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)")
_CSI = re.compile(r"(?:\x1b\[|\x9b)([0-9:;<=>?]*)([ -/]*)([@-~])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Once the SGR sequences are normalised, any other ESC (alone or with what follows it) goes; the
# ESC of an SGR sequence stays, so the control-character pass spares ESC (\x1b) itself.
_SGR_OR_OTHER_ESC = re.compile(r"(\x1b\[[0-9;:]*m)|\x1b[ -/]*[0-~]?")
_CONTROL_BUT_ESC = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")


def _keep_sgr(match: re.Match[str]) -> str:
    params, intermediates, final = match.groups()
    if final == "m" and not intermediates and all(c.isdigit() or c in ";:" for c in params):
        return f"\x1b[{params}m"
    return ""


def strip_controls(text: str, *, keep_colours: bool = True) -> str:
    """Remove terminal control sequences; keep SGR colours unless ``keep_colours`` is false."""
    if "\x1b" not in text and not _CONTROL.search(text):
        return text
    text = _STRING_SEQ.sub("", text)
    text = _CSI.sub(_keep_sgr if keep_colours else "", text)
    text = _SGR_OR_OTHER_ESC.sub(lambda match: match.group(1) or "", text)
    return _CONTROL_BUT_ESC.sub("", text.replace("\t", "    "))


def decode(data: bytes | str) -> str:
    """Bytes from the engine as text: UTF-8 where valid, replacement characters elsewhere."""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", errors="replace")


def safe_text(data: bytes | str, *, style: str = "", keep_colours: bool = True) -> Text:
    """A Rich ``Text`` for one untrusted line: colours kept, controls stripped, never markup."""
    from rich.text import Text

    cleaned = strip_controls(decode(data), keep_colours=keep_colours)
    if keep_colours and "\x1b[" in cleaned:
        text = Text.from_ansi(cleaned, style=style)
    else:
        text = Text(cleaned, style=style)
    text.end = ""
    return text


def plain(data: bytes | str) -> str:
    """Untrusted text reduced to printable characters only (no colours): for exports and tables."""
    return strip_controls(decode(data), keep_colours=False)
