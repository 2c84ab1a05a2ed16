"""BuildKit's shell-word expansion (``frontend/dockerfile/shell/lex.go``), for FROM lines and ARG defaults.

Supports ``$VAR``, ``${VAR}``, ``${VAR:-w}``, ``${VAR-w}``, ``${VAR:+w}``, ``${VAR+w}``,
``${VAR:?w}``, ``${VAR?w}``, ``${VAR#p}``, ``${VAR##p}``, ``${VAR%p}``, ``${VAR%%p}``,
``${VAR/p/r}``, ``${VAR//p/r}``, single and double quotes and the escape character, with the
same results and error messages as BuildKit. Also records which variables were referenced but
unset (``unmatched``): the lint warns about them in FROM lines.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

_SPECIAL_PARAMS = set("@*#?-$!0")


class ExpansionError(ValueError):
    """BuildKit would refuse to expand this word (the message is BuildKit's)."""


@dataclass(slots=True)
class Expansion:
    """A word after variable expansion, and the variables it named that were not set."""

    result: str
    unmatched: set[str] = field(default_factory=set)


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < len(pattern) and pattern[i] in "}/":
                continue
            nxt = pattern[i] if i < len(pattern) else ""
            i += 1
            if nxt not in ("*", "?", "\\"):
                raise ExpansionError(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{nxt}'")
            out.append(re.escape(nxt))
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _pattern_regex(pattern, greedy, True).search(value)
    return value[match.end():] if match else value


def _reverse_pattern(pattern: str) -> str:
    # Reverse while keeping escapes attached to the character they escape (as BuildKit does).
    tokens: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i : i + 2])
            i += 2
        else:
            tokens.append(pattern[i])
            i += 1
    return "".join(reversed(tokens))


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


class _Word:
    """A cursor over one word, mirroring BuildKit's ``shellWord``."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str, legacy: bool) -> None:
        self.legacy = legacy  # BuildKit < 0.13: only ${VAR}, ${VAR:-w}, ${VAR:+w} and ${VAR:?w}
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.raw_escapes = False
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        if self.pos < len(self.text):
            ch = self.text[self.pos]
            self.pos += 1
            return ch
        return ""

    def lookup(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            return self.env[name], True
        self.unmatched.add(name)
        return "", False

    def process_stop_on(self, stop: str, raw_escapes: bool) -> str:
        saved = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            out: list[str] = []
            while self.pos < len(self.text):
                ch = self.peek()
                if stop and ch == stop:
                    self.next()
                    return "".join(out)
                if ch == "$":
                    out.append(self.process_dollar())
                elif ch == "'":
                    out.append(self.process_single_quote())
                elif ch == '"':
                    out.append(self.process_double_quote())
                else:
                    ch = self.next()
                    if ch == self.escape:
                        if self.raw_escapes:
                            out.append(ch)
                        ch = self.next()
                        if not ch:
                            break
                    out.append(ch)
            if stop:
                raise ExpansionError(f"unexpected end of statement while looking for matching {stop}")
            return "".join(out)
        finally:
            self.raw_escapes = saved

    def stop_on(self, stop: str, raw_escapes: bool, missing: str) -> str:
        """``process_stop_on``, with ``missing`` as the error when the word ends before ``stop``."""
        try:
            return self.process_stop_on(stop, raw_escapes)
        except ExpansionError:
            if not self.peek():
                raise ExpansionError(missing) from None
            raise

    def process_single_quote(self) -> str:
        self.next()
        out = []
        while True:
            ch = self.next()
            if not ch:
                raise ExpansionError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                return "".join(out)
            out.append(ch)

    def process_double_quote(self) -> str:
        self.next()
        out = []
        while True:
            ch = self.peek()
            if not ch:
                raise ExpansionError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.process_dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                nxt = self.peek()
                if not nxt:
                    continue
                if nxt in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def process_name(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            ch = self.peek()
            if not out and ch.isdigit():
                while self.peek().isdigit():
                    out.append(self.next())
                return "".join(out)
            if not out and ch in _SPECIAL_PARAMS:
                return self.next()
            if not (ch.isalnum() or ch == "_"):
                break
            out.append(self.next())
        return "".join(out)

    def process_dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            return self.lookup(name)[0]
        self.next()
        if not self.peek():
            raise ExpansionError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise ExpansionError("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        chs = ch
        null_is_unset = False
        if ch == "}":
            return self.lookup(name)[0]
        if self.legacy:
            return self.legacy_modifier(name, ch)
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += ch
        if null_is_unset or (ch and ch in "+-?#%"):
            raw = ch in ("#", "%")
            if null_is_unset and raw:
                raise ExpansionError(f"unsupported modifier ({chs}) in substitution")
            word = self.stop_on("}", raw, "syntax error: missing '}'")
            value, found = self.lookup(name)
            unset = not found or (null_is_unset and value == "")
            if ch == "-":
                return word if unset else value
            if ch == "+":
                return "" if unset else word
            if ch == "?":
                if not found:
                    raise ExpansionError(f"{name}: {word or 'is not allowed to be unset'}")
                if null_is_unset and value == "":
                    raise ExpansionError(f"{name}: {word or 'is not allowed to be empty'}")
                return value
            if ch not in ("#", "%"):
                raise ExpansionError(f"unsupported modifier ({chs}) in substitution")
            greedy = bool(word) and word[0] == ch
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        if ch == "/" and not null_is_unset:
            replace_all = self.peek() == "/"
            if replace_all:
                self.next()
            pattern = self.stop_on("/", True, "syntax error: missing '/' in ${}")
            replacement = self.stop_on("}", True, "syntax error: missing '}'")
            value = self.lookup(name)[0]
            regex = _pattern_regex(pattern, True, False)
            if replace_all:
                return regex.sub(lambda _m: replacement, value)
            return regex.sub(lambda _m: replacement, value, count=1)
        raise ExpansionError(f"unsupported modifier ({chs}) in substitution")

    def legacy_modifier(self, name: str, ch: str) -> str:
        """BuildKit 0.8's lexer after ``${NAME``: only ``:-``, ``:+`` and ``:?`` (``${A%x}`` is "missing ':'")."""
        if ch != ":":
            raise ExpansionError("missing ':' in substitution")
        modifier = self.next()
        word = self.process_stop_on("}", False)
        value = self.lookup(name)[0]
        if modifier == "+":
            return word if value else ""
        if modifier == "-":
            return value if value else word
        if modifier == "?":
            if not value:
                raise ExpansionError(f"{name}: {word or 'is not allowed to be unset'}")
            return value
        raise ExpansionError(f"unsupported modifier ({modifier}) in substitution")


def expand(
    word: str, env: Mapping[str, str], *, escape: str = "\\", legacy: bool = False
) -> Expansion:
    """Expand one shell word as BuildKit does; raises ``ExpansionError`` with BuildKit's message.

    ``legacy``: as BuildKit 0.8 does (no ``#``, ``%``, ``/`` or colon-less forms)."""
    cursor = _Word(word, env, escape, legacy)
    try:
        with _deep_enough(word):
            result = cursor.process_stop_on("", False)
    except ExpansionError as error:
        raise ExpansionError(f"failed to process {_go_quote(word)}: {error}") from None
    return Expansion(result, cursor.unmatched)


@contextmanager
def _deep_enough(word: str):
    """Room for the recursion of nested ``${A:-${B:-...}}`` (three frames per level): BuildKit
    accepts thousands of levels. Python 3.11+ keeps such Python-to-Python calls off the C stack."""
    needed = 3 * word.count("{") + 200
    limit = sys.getrecursionlimit()
    if needed <= limit - 100:
        yield
        return
    sys.setrecursionlimit(limit + needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def has_variable(word: str, escape: str = "\\") -> bool:
    """True when expanding ``word`` in an empty scope would change it (what BuildKit checks for --from)."""
    try:
        return expand(word, {}, escape=escape).result != word
    except ExpansionError:
        return True
