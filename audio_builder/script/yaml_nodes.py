"""Reading a script file into YAML nodes that remember their lines, and the scalar
readers every field uses.

YAML is composed into nodes (never constructed into Python objects), so no tag is ever
acted on, every scalar stays the text the person typed ("language: no" is Norwegian,
"1:30" is not 90), and each value knows its line. Anchors, aliases and tags are refused
before composing, which also defuses the "billion laughs" bomb.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from pathlib import Path

import yaml

from ..errors import ScriptError, Where
from .durations import parse_ms
from .markers import SOUND_NAME

MAX_FILE_BYTES = 1_000_000
MAX_NAME_CHARS = 200
MAX_HOLD_MS = 3_600_000


class Ctx:
    """The file being loaded: turns a node and a reason into a ScriptError."""

    def __init__(self, path: Path, lines: list[str] | None = None) -> None:
        self.path = path
        self.lines = lines or []
        self.sound_lines: dict[str, int] = {}
        """Where each sound is first named (its file is checked later, by sound/named.py)."""

    def line_of(self, node: yaml.Node, snippet: str) -> int:
        """The line, within a (perhaps multi-line) value, where `snippet` is written."""
        first, last = node.start_mark.line, min(node.end_mark.line, len(self.lines) - 1)
        for size in range(len(snippet), 0, -1):  # a marker may be folded over two lines
            piece = snippet[:size]
            if size < min(len(snippet), 2):
                break
            for n in range(first, last + 1):
                if piece in self.lines[n]:
                    return n + 1
        return first + 1

    def error(self, node: yaml.Node | None, message: str) -> ScriptError:
        line = node.start_mark.line + 1 if node is not None else None
        return ScriptError(message, Where(self.path, line))


def read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScriptError(
                f"the file is {size:,} bytes; a pose script can be at most {MAX_FILE_BYTES:,}",
                Where(path),
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot read the file ({exc.strerror or exc})", Where(path)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScriptError(
            "the file is not UTF-8 text; save it as UTF-8 in your editor", Where(path, line)
        ) from None
    return text


MAX_DEPTH = 12
"""Deeper nesting than any pose script needs; refused before composing (which recurses)."""

_YAML_HINTS = (
    ("found unexpected end of stream", "a quoted text is never closed: add its closing quote"),
    ("expected <block end>, but found '<scalar>'",
     "this line does not fit the lines around it: check its indentation, or an "
     "apostrophe inside 'single quotes' (use \"double quotes\" around such a cue)"),
    ("mapping values are not allowed here",
     "a ': ' inside a value: put the whole text in \"double quotes\""),
    ("found character '\\t' that cannot start any token", "a tab character; indent with spaces"),
    ("found character '\t' that cannot start any token", "a tab character; indent with spaces"),
)


def _yaml_message(exc: yaml.MarkedYAMLError) -> tuple[str, yaml.Mark | None]:
    """PyYAML's error in words a person can act on, at the line where it starts."""
    problem = " ".join((exc.problem or exc.context or "not valid YAML").split())
    mark = exc.problem_mark or exc.context_mark
    for needle, hint in _YAML_HINTS:
        if needle in problem:
            if "end of stream" in needle and exc.context_mark is not None:
                mark = exc.context_mark  # where the unclosed quote opens
            return hint, mark
    return f"not valid YAML ({problem})", mark


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,") else tag


def _refuse_control_characters(path: Path, text: str) -> None:
    for n, line in enumerate(text.split("\n"), 1):
        for ch in line:
            if (ord(ch) < 32 and ch not in "\t\r") or 0x7F <= ord(ch) < 0xA0:
                raise ScriptError(f"a control character (U+{ord(ch):04X}) that cannot be "
                                  "spoken, perhaps pasted from a word processor; delete it",
                                  Where(path, n))


def compose(path: Path, text: str) -> yaml.Node:
    ctx = Ctx(path)
    if not text.strip():
        raise ScriptError("the file is empty; a pose script needs at least 'title' and 'poses'",
                          Where(path, 1))
    _refuse_control_characters(path, text)
    try:
        docs = depth = 0
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            line = ev.start_mark.line + 1 if ev.start_mark else None
            if isinstance(ev, yaml.DocumentStartEvent):
                docs += 1
                if docs > 1:
                    raise ScriptError("the file holds several YAML documents ('---'); "
                                      "keep one script per file", Where(path, line))
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScriptError("lists or mappings are nested too deeply for a pose "
                                      "script", Where(path, line))
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(ev, yaml.AliasEvent):
                raise ScriptError("YAML aliases (*name) are not allowed in pose scripts; "
                                  "write the value out", Where(path, line))
            if getattr(ev, "anchor", None):
                raise ScriptError("YAML anchors (&name) are not allowed in pose scripts",
                                  Where(path, line))
            tag = getattr(ev, "tag", None)
            if tag and not (isinstance(ev, yaml.ScalarEvent) and ev.implicit[0] is False
                            and tag == "!"):
                raise ScriptError(f"YAML tags ({_shown_tag(tag)}) are not allowed in pose "
                                  "scripts", Where(path, line))
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        message, mark = _yaml_message(exc)
        raise ScriptError(message, Where(path, mark.line + 1 if mark else None)) from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"not valid YAML ({' '.join(str(exc).split())})", Where(path)
                          ) from None
    if node is None:
        raise ScriptError("the file is empty; a pose script needs at least 'title' and 'poses'",
                          Where(path, 1))
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "a pose script is a mapping of fields (title:, poses:, ...), "
                              "not a list or a single value")
    return node


def mapping(ctx: Ctx, node: yaml.Node, allowed: tuple[str, ...], what: str
             ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Keys to (key node, value node); refuses duplicates and unknown keys."""
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, f"{what} must be a mapping of fields (name: value)")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for knode, vnode in node.value:
        if not isinstance(knode, yaml.ScalarNode):
            raise ctx.error(knode, f"a key in {what} must be a plain name")
        key = knode.value
        if key in out:
            first = out[key][0].start_mark.line + 1
            raise ctx.error(knode, f"'{key}' is given twice in {what} (also on line {first})")
        if key not in allowed:
            close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(allowed)}"
            raise ctx.error(knode, f"unknown field '{key}' in {what}{hint}")
        out[key] = (knode, vnode)
    return out


def is_null(node: yaml.Node) -> bool:
    return (isinstance(node, yaml.ScalarNode) and node.style is None
            and node.value in ("", "~", "null", "Null", "NULL"))


def text_value(ctx: Ctx, node: yaml.Node, field: str, max_chars: int = MAX_NAME_CHARS) -> str:
    if not isinstance(node, yaml.ScalarNode) or is_null(node):
        raise ctx.error(node, f"'{field}' must be a text value")
    value = " ".join(node.value.split())
    if not value:
        raise ctx.error(node, f"'{field}' is empty")
    if len(value) > max_chars:
        raise ctx.error(node, f"'{field}' is longer than {max_chars} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ctx.error(node, f"'{field}' contains a control character")
    bad = next((c for c in value if unicodedata.category(c) in ("Cs", "Cn")), None)
    if bad is not None:  # a lone surrogate or noncharacter: no page, feed or tag holds it
        raise ctx.error(node, f"'{field}' contains U+{ord(bad):04X}, which is not a "
                              "character (a noncharacter, unassigned or half a pair)")
    return value


def number(ctx: Ctx, node: yaml.Node, field: str, lo: float, hi: float) -> float:
    text = text_value(ctx, node, field)
    try:
        value = float(text)
    except ValueError:
        raise ctx.error(node, f"'{field}' must be a number, not '{text}'") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ctx.error(node, f"'{field}' must be between {lo:g} and {hi:g}, not {text}")
    return value


def boolean(ctx: Ctx, node: yaml.Node, field: str) -> bool:
    text = text_value(ctx, node, field).lower()
    if text in ("true", "yes", "on"):
        return True
    if text in ("false", "no", "off"):
        return False
    raise ctx.error(node, f"'{field}' must be true or false, not '{text}'")


def duration(ctx: Ctx, node: yaml.Node, field: str, max_ms: int = MAX_HOLD_MS) -> int:
    text = text_value(ctx, node, field)
    try:
        ms = parse_ms(text)
    except ValueError as exc:
        raise ctx.error(node, f"'{field}': {exc}") from None
    if ms <= 0:
        raise ctx.error(node, f"'{field}' must be longer than 0")
    if ms > max_ms:
        raise ctx.error(node, f"'{field}' is longer than the limit of {max_ms // 60000}m")
    return ms


def sound_name(ctx: Ctx, node: yaml.Node, field: str) -> str | None:
    """A named sound (None for "none"), never a path; its line is kept for errors about
    the sound's file, which is checked later (sound/named.py)."""
    name = text_value(ctx, node, field)
    if name.lower() == "none":
        return None
    if not SOUND_NAME.fullmatch(name):
        raise ctx.error(node, f"'{field}: {name}' is not a sound name; a sound is named "
                              "(letters, digits, '-' or '_'), never given as a path")
    ctx.sound_lines.setdefault(name, node.start_mark.line + 1)
    return name
