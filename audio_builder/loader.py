"""Load a pose script strictly, keeping line numbers for every message.

YAML is composed into nodes (never constructed into Python objects), so no tag is ever
acted on, every scalar stays the text the person typed ("language: no" is Norwegian,
"1:30" is not 90), and each value knows its line. Anchors, aliases and tags are refused
before composing, which also defuses the "billion laughs" bomb.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .durations import parse_count, parse_ms
from .errors import ScriptError, Where
from .markers import SOUND_NAME, MarkerError, parse_cue
from .model import Chime, Cue, Hold, HoldRange, NamedLength, Pose, Script, VoiceSpec

MAX_FILE_BYTES = 1_000_000
MAX_POSES = 200
MAX_CUES = 100
MAX_CUE_CHARS = 2000
MAX_HOLD_MS = 3_600_000
MAX_NAME_CHARS = 200
SIDES = ("right", "left")
ENGINES = ("piper", "gtts")

TOP_KEYS = (
    "title", "author", "description", "language", "voice", "breath", "chime",
    "lengths", "intro", "poses", "outro", "cover",
)
MAX_COVER_BYTES = 5_000_000
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
POSE_KEYS = ("name", "cues", "hold", "sides", "switch", "optional", "priority", "chime")
VOICE_KEYS = ("engine", "name", "speed")


class _Ctx:
    """The file being loaded: turns a node and a reason into a ScriptError."""

    def __init__(self, path: Path, lines: list[str] | None = None) -> None:
        self.path = path
        self.lines = lines or []
        self.sound_lines: dict[str, int] = {}
        """Where each sound is first named (its file is checked later, by sounds.py)."""

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


def _read_text(path: Path) -> str:
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


def _compose(path: Path, text: str) -> yaml.Node:
    ctx = _Ctx(path)
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


def _mapping(ctx: _Ctx, node: yaml.Node, allowed: tuple[str, ...], what: str
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


def _is_null(node: yaml.Node) -> bool:
    return (isinstance(node, yaml.ScalarNode) and node.style is None
            and node.value in ("", "~", "null", "Null", "NULL"))


def _str(ctx: _Ctx, node: yaml.Node, field: str, max_chars: int = MAX_NAME_CHARS) -> str:
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        raise ctx.error(node, f"'{field}' must be a text value")
    value = " ".join(node.value.split())
    if not value:
        raise ctx.error(node, f"'{field}' is empty")
    if len(value) > max_chars:
        raise ctx.error(node, f"'{field}' is longer than {max_chars} characters")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ctx.error(node, f"'{field}' contains a control character")
    return value


def _number(ctx: _Ctx, node: yaml.Node, field: str, lo: float, hi: float) -> float:
    text = _str(ctx, node, field)
    try:
        value = float(text)
    except ValueError:
        raise ctx.error(node, f"'{field}' must be a number, not '{text}'") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ctx.error(node, f"'{field}' must be between {lo:g} and {hi:g}, not {text}")
    return value


def _bool(ctx: _Ctx, node: yaml.Node, field: str) -> bool:
    text = _str(ctx, node, field).lower()
    if text in ("true", "yes", "on"):
        return True
    if text in ("false", "no", "off"):
        return False
    raise ctx.error(node, f"'{field}' must be true or false, not '{text}'")


def _duration(ctx: _Ctx, node: yaml.Node, field: str, max_ms: int = MAX_HOLD_MS) -> int:
    text = _str(ctx, node, field)
    try:
        ms = parse_ms(text)
    except ValueError as exc:
        raise ctx.error(node, f"'{field}': {exc}") from None
    if ms <= 0:
        raise ctx.error(node, f"'{field}' must be longer than 0")
    if ms > max_ms:
        raise ctx.error(node, f"'{field}' is longer than the limit of {max_ms // 60000}m")
    return ms


def _hold(ctx: _Ctx, node: yaml.Node, breath_ms: int) -> HoldRange:
    """'2m', '1m..5m', '4..8 breaths', '6 breaths'."""
    if isinstance(node, yaml.SequenceNode):
        raise ctx.error(node, "'hold' is one value: write a range as 1m..5m, not a list")
    text = _str(ctx, node, "hold").lower()
    breaths = re.fullmatch(r"(.+?)\s*breaths?", text)
    body = breaths.group(1) if breaths else text
    parts = [p.strip() for p in body.split("..")]
    if len(parts) > 2 or not all(parts):
        raise ctx.error(node, f"'hold: {text}' is not a hold; write 2m, 1m..5m or 4..8 breaths")
    values: list[int] = []
    for part in parts:
        if breaths:
            try:
                n = parse_count(part)
            except ValueError:
                raise ctx.error(node, f"'hold: {text}': '{part}' is not a number of breaths"
                                ) from None
            if n <= 0:
                raise ctx.error(node, f"'hold: {text}': the number of breaths must be above 0")
            values.append(round(n * breath_ms))
        else:
            try:
                values.append(parse_ms(part))
            except ValueError as exc:
                raise ctx.error(node, f"'hold: {text}': {exc}") from None
    lo, hi = values[0], values[-1]
    if lo <= 0:
        raise ctx.error(node, f"'hold: {text}' must be longer than 0")
    if hi < lo:
        raise ctx.error(node, f"'hold: {text}': the range goes from the shorter to the longer")
    if hi > MAX_HOLD_MS:
        raise ctx.error(node, f"'hold: {text}' is longer than the limit of 60m")
    return HoldRange(lo, hi)


def _sound(ctx: _Ctx, node: yaml.Node, field: str) -> str | None:
    name = _str(ctx, node, field)
    if name.lower() == "none":
        return None
    if not SOUND_NAME.fullmatch(name):
        raise ctx.error(node, f"'{field}: {name}' is not a sound name; a sound is named "
                              "(letters, digits, '-' or '_'), never given as a path")
    ctx.sound_lines.setdefault(name, node.start_mark.line + 1)
    return name


def _cues(ctx: _Ctx, node: yaml.Node, field: str, breath_ms: int, two_sided: bool = False,
          required: bool = True) -> tuple[Cue, ...]:
    if _is_null(node) and not required:
        return ()
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None:
        if isinstance(node, yaml.ScalarNode) and not _is_null(node):
            items = [node]  # a single cue written without the list dash
        else:
            raise ctx.error(node, f"'{field}' must be a list of cue texts (- \"...\")")
    if required and not items:
        raise ctx.error(node, f"'{field}' needs at least one cue")
    if len(items) > MAX_CUES:
        raise ctx.error(node, f"'{field}' has more than {MAX_CUES} cues")
    return tuple(_cue(ctx, item, field, breath_ms, two_sided) for item in items)


def _cue(ctx: _Ctx, node: yaml.Node, field: str, breath_ms: int, two_sided: bool) -> Cue:
    if isinstance(node, yaml.MappingNode):
        raise ctx.error(node, f"a cue in '{field}' was read as 'name: value' because of a "
                              "': ' in it; put the whole cue in \"double quotes\"")
    if not isinstance(node, yaml.ScalarNode) or _is_null(node):
        raise ctx.error(node, f"each cue in '{field}' must be a text")
    if not node.value.strip():
        raise ctx.error(node, f"an empty cue in '{field}'")
    if len(node.value) > MAX_CUE_CHARS:
        raise ctx.error(node, f"a cue in '{field}' is longer than {MAX_CUE_CHARS} characters")
    try:
        tokens = parse_cue(node.value, breath_ms, two_sided)
    except MarkerError as exc:
        raise ScriptError(str(exc), Where(ctx.path, ctx.line_of(node, exc.snippet))) from None
    for token in tokens:
        if isinstance(token, Chime) and token.sound:
            ctx.sound_lines.setdefault(token.sound, ctx.line_of(node, f"chime {token.sound}"))
    return Cue(tokens, node.start_mark.line + 1)


def _voice(ctx: _Ctx, node: yaml.Node) -> VoiceSpec:
    fields = _mapping(ctx, node, VOICE_KEYS, "'voice'")
    engine, name, speed = "piper", None, 1.0
    if "engine" in fields:
        vnode = fields["engine"][1]
        engine = _str(ctx, vnode, "engine").lower()
        if engine not in ENGINES:
            raise ctx.error(vnode, f"unknown engine '{engine}'; known: {', '.join(ENGINES)}")
    if "name" in fields:
        name = _str(ctx, fields["name"][1], "name", max_chars=1000)
    if "speed" in fields:
        speed = _number(ctx, fields["speed"][1], "speed", 0.5, 2.0)
    return VoiceSpec(engine, name, speed, node.start_mark.line + 1)


def _pose(ctx: _Ctx, node: yaml.Node, breath_ms: int, default_chime: str | None) -> Pose:
    fields = _mapping(ctx, node, POSE_KEYS, "a pose")
    for required in ("name", "cues"):
        if required not in fields:
            raise ctx.error(node, f"a pose needs '{required}'")
    name = _str(ctx, fields["name"][1], "name")
    sides: tuple[str, ...] = ()
    if "sides" in fields:
        snode = fields["sides"][1]
        if not isinstance(snode, yaml.SequenceNode) or not 1 <= len(snode.value) <= 2:
            raise ctx.error(snode, "'sides' must be a list of one or two sides, e.g. [right, left]")
        sides = tuple(_str(ctx, s, "sides").lower() for s in snode.value)
        if any(s not in SIDES for s in sides) or len(set(sides)) != len(sides):
            raise ctx.error(snode, f"'sides' must list right and/or left once each, not {list(sides)}")
    two = bool(sides)
    cues = _cues(ctx, fields["cues"][1], "cues", breath_ms, two)
    hold = _hold(ctx, fields["hold"][1], breath_ms) if "hold" in fields else None
    cue_nodes = (fields["cues"][1].value if isinstance(fields["cues"][1], yaml.SequenceNode)
                 else [fields["cues"][1]])
    with_hold = [n for c, n in zip(cues, cue_nodes) for t in c.tokens if isinstance(t, Hold)]
    if with_hold and hold is None:
        raise ScriptError(f"pose '{name}' has a [hold] marker but no 'hold' field to say how "
                          "long", Where(ctx.path, ctx.line_of(with_hold[0], "[hold]")))
    if len(with_hold) > 1:
        raise ScriptError(f"pose '{name}' has more than one [hold] marker",
                          Where(ctx.path, ctx.line_of(with_hold[-1], "[hold]")))
    switch = None
    if "switch" in fields:
        snode = fields["switch"][1]
        if len(sides) < 2:
            raise ctx.error(snode, "'switch' is spoken between sides; this pose has no two sides")
        switch = _cue(ctx, snode, "switch", breath_ms, two)
        if any(isinstance(t, Hold) for t in switch.tokens):
            raise ctx.error(snode, "[hold] cannot be used in 'switch'")
    optional = _bool(ctx, fields["optional"][1], "optional") if "optional" in fields else False
    priority = 1
    if "priority" in fields:
        pnode = fields["priority"][1]
        value = _number(ctx, pnode, "priority", 0, 1000)
        if value != int(value):
            raise ctx.error(pnode, "'priority' must be a whole number")
        priority = int(value)
    chime = _sound(ctx, fields["chime"][1], "chime") if "chime" in fields else default_chime
    return Pose(name, cues, node.start_mark.line + 1, hold, sides, switch, optional,
                priority, chime)


def load_script(path: str | Path) -> Script:
    """Read and validate a pose script; raises ScriptError with file and line."""
    path = Path(path)
    text = _read_text(path)
    root = _compose(path, text)
    ctx = _Ctx(path, text.split("\n"))
    fields = _mapping(ctx, root, TOP_KEYS, "the script")
    for required in ("title", "poses"):
        if required not in fields:
            raise ScriptError(f"the script needs '{required}'", Where(path, 1))

    def get(key: str, parse: Callable[[yaml.Node], Any], default: Any) -> Any:
        return parse(fields[key][1]) if key in fields else default

    title = _str(ctx, fields["title"][1], "title")
    author = get("author", lambda n: _str(ctx, n, "author"), None)
    description = get("description", lambda n: _str(ctx, n, "description", 2000), None)
    language = get("language", lambda n: _str(ctx, n, "language", 20), "en")
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", language):
        raise ctx.error(fields["language"][1], f"'language: {language}' is not a language code "
                                               "(e.g. en, en-GB, fr)")
    voice = get("voice", lambda n: _voice(ctx, n), VoiceSpec())
    breath_ms = get("breath", lambda n: _duration(ctx, n, "breath", 60_000), 5000)
    chime = get("chime", lambda n: _sound(ctx, n, "chime"), "bell")
    lengths: dict[str, NamedLength] = {}
    if "lengths" in fields:
        for key, (_, vnode) in _lengths(ctx, fields["lengths"][1]):
            lengths[key] = NamedLength(_duration(ctx, vnode, f"lengths: {key}", 4 * MAX_HOLD_MS),
                                       vnode.start_mark.line + 1)
    intro = get("intro", lambda n: _cues(ctx, n, "intro", breath_ms, required=False), ())
    outro = get("outro", lambda n: _cues(ctx, n, "outro", breath_ms, required=False), ())
    pnode = fields["poses"][1]
    if not isinstance(pnode, yaml.SequenceNode) or not pnode.value:
        raise ctx.error(pnode, "'poses' must be a list of one or more poses (- name: ...)")
    if len(pnode.value) > MAX_POSES:
        raise ctx.error(pnode, f"a script can have at most {MAX_POSES} poses")
    poses = tuple(_pose(ctx, p, breath_ms, chime) for p in pnode.value)
    for cue in intro + outro:
        if any(isinstance(t, Hold) for t in cue.tokens):
            raise ScriptError("[hold] belongs in a pose's cues, not in intro or outro",
                              Where(path, cue.line))
    cover = get("cover", lambda n: _cover(ctx, n), None)
    return Script(path, title, poses, author, description, language, voice, breath_ms, chime,
                  lengths, intro, outro, cover, ctx.sound_lines)


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG or PNG by its first bytes, else None."""
    return next((mime for magic, mime in _IMAGE_MAGIC.items() if data.startswith(magic)), None)


def _cover(ctx: _Ctx, node: yaml.Node) -> Path:
    """A JPEG or PNG named by file name, in the script's own folder (never a path)."""
    name = _str(ctx, node, "cover")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,120}\.(jpe?g|png)", name, re.IGNORECASE):
        raise ctx.error(node, f"'cover: {name}' must be the file name of a .jpg or .png image "
                              "in the script's folder (no folders in the name)")
    folder = ctx.path.resolve().parent
    path = folder / name
    try:
        if not path.resolve().is_relative_to(folder) or not path.resolve().is_file():
            raise ctx.error(node, f"cover image '{name}' is not a file in the script's folder")
        if path.stat().st_size > MAX_COVER_BYTES:
            raise ctx.error(node, f"cover image '{name}' is larger than 5 MB")
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ctx.error(node, f"cannot read cover image '{name}' ({exc.strerror})") from None
    if image_type(head) is None:
        raise ctx.error(node, f"cover image '{name}' is not a JPEG or PNG image")
    return path


def _lengths(ctx: _Ctx, node: yaml.Node) -> list[tuple[str, tuple[yaml.Node, yaml.Node]]]:
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "'lengths' must be a mapping of names to durations (short: 10m)")
    seen: dict[str, yaml.Node] = {}
    out: list[tuple[str, tuple[yaml.Node, yaml.Node]]] = []
    for knode, vnode in node.value:
        if not isinstance(knode, yaml.ScalarNode):
            raise ctx.error(knode, "a length name must be a plain word")
        name = knode.value
        if name in seen:
            raise ctx.error(knode, f"length '{name}' is given twice (also on line "
                                   f"{seen[name].start_mark.line + 1})")
        if name == "full":
            raise ctx.error(knode, "'full' always means every hold at its longest; "
                                   "choose another name")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,31}", name):
            raise ctx.error(knode, f"length name '{name}' must be a word of letters, digits, "
                                   "'-' or '_'")
        seen[name] = knode
        out.append((name, (knode, vnode)))
    return out
