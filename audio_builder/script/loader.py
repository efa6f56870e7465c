"""Load a pose script strictly, field by field, keeping line numbers for every message.

The file is read into line-aware YAML nodes by yaml_nodes.py; this module knows what
each field of a pose script means and turns the nodes into the dataclasses of model.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScriptError, Where
from . import between, flows, speech_fields
from .durations import parse_count, parse_ms
from .markers import MarkerError, parse_cue
from .model import (
    Chime,
    Cue,
    Hold,
    HoldRange,
    NamedLength,
    Pause,
    Pose,
    Script,
    VoiceSpec,
)
from .pace import DEFAULT as DEFAULT_PACE
from .pace import parse_pace
from .yaml_nodes import (
    MAX_HOLD_MS,
    Ctx,
    boolean,
    compose,
    duration,
    is_null,
    mapping,
    number,
    read_text,
    sound_name,
    text_value,
)

MAX_POSES = 200
MAX_CUES = 100
MAX_CUE_CHARS = 2000
SIDES = ("right", "left")
ENGINES = ("piper", "gtts", "kokoro")

TOP_KEYS = (
    "title", "author", "description", "language", "voice", "breath", "chime",
    "lengths", "intro", "poses", "outro", "cover", "pronounce", "tone", "ambience",
    "breath_guide", "pace",
)
MAX_COVER_BYTES = 5_000_000
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
POSE_KEYS = ("name", "cues", "hold", "sides", "switch", "optional", "priority", "chime",
             "every")
MIN_EVERY_MS = 20_000
"""Interval chimes closer than this would crowd a hold rather than mark its time."""
VOICE_KEYS = ("engine", "name", "speed")

def _hold(ctx: Ctx, node: yaml.Node, breath_ms: int) -> HoldRange:
    """'2m', '1m..5m', '4..8 breaths', '6 breaths'."""
    if isinstance(node, yaml.SequenceNode):
        raise ctx.error(node, "'hold' is one value: write a range as 1m..5m, not a list")
    text = text_value(ctx, node, "hold").lower()
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
    return HoldRange(lo, hi, bool(breaths))


def _cues(ctx: Ctx, node: yaml.Node, field: str, breath_ms: int, two_sided: bool = False,
          required: bool = True) -> tuple[Cue, ...]:
    if is_null(node) and not required:
        return ()
    items = node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None:
        if isinstance(node, yaml.ScalarNode) and not is_null(node):
            items = [node]  # a single cue written without the list dash
        else:
            raise ctx.error(node, f"'{field}' must be a list of cue texts (- \"...\")")
    if required and not items:
        raise ctx.error(node, f"'{field}' needs at least one cue")
    if len(items) > MAX_CUES:
        raise ctx.error(node, f"'{field}' has more than {MAX_CUES} cues")
    return tuple(_cue(ctx, item, field, breath_ms, two_sided) for item in items)


def _cue(ctx: Ctx, node: yaml.Node, field: str, breath_ms: int, two_sided: bool) -> Cue:
    if isinstance(node, yaml.MappingNode):
        return speech_fields.recording_cue(ctx, node, field)
    if not isinstance(node, yaml.ScalarNode) or is_null(node):
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


def _flow(ctx: Ctx, node: yaml.Node, breath_ms: int) -> Pose:
    """A flow, standing in `poses:` as a pose of its name (see flows.py)."""
    flow = flows.parse_flow(ctx, node, lambda c, n, f, two: _cues(c, n, f, breath_ms, two))
    for movement in flow.movements:
        for cue in movement.cues:
            marker = next((t for t in cue.tokens if isinstance(t, Pause | Chime)), None)
            if marker is not None:
                what = "a pause" if isinstance(marker, Pause) else "a chime"
                raise ScriptError(f"movement '{movement.name}': a movement's cue is said on "
                                  f"its breath, so it cannot hold {what}; the breath is the "
                                  "pause (give the movement 'breath: 2 breaths' for more)",
                                  Where(ctx.path, cue.line))
    return Pose(flow.name, (), flow.line, chime=flow.chime, flow=flow)


def _voice(ctx: Ctx, node: yaml.Node) -> VoiceSpec:
    fields = mapping(ctx, node, VOICE_KEYS, "'voice'")
    engine: str | None = None
    name, speed = None, 1.0
    if "engine" in fields:
        vnode = fields["engine"][1]
        engine = text_value(ctx, vnode, "engine").lower()
        if engine not in ENGINES:
            raise ctx.error(vnode, f"unknown engine '{engine}'; known: {', '.join(ENGINES)}")
    if "name" in fields:
        name = text_value(ctx, fields["name"][1], "name", max_chars=1000)
    if "speed" in fields:
        speed = number(ctx, fields["speed"][1], "speed", 0.5, 2.0)
    return VoiceSpec(engine, name, speed, node.start_mark.line + 1)


def _pose(ctx: Ctx, node: yaml.Node, breath_ms: int, default_chime: str | None) -> Pose:
    fields = mapping(ctx, node, POSE_KEYS, "a pose")
    for required in ("name", "cues"):
        if required not in fields:
            raise ctx.error(node, f"a pose needs '{required}'")
    name = text_value(ctx, fields["name"][1], "name")
    sides: tuple[str, ...] = ()
    if "sides" in fields:
        snode = fields["sides"][1]
        if not isinstance(snode, yaml.SequenceNode) or not 1 <= len(snode.value) <= 2:
            raise ctx.error(snode, "'sides' must be a list of one or two sides, e.g. [right, left]")
        sides = tuple(text_value(ctx, s, "sides").lower() for s in snode.value)
        if any(s not in SIDES for s in sides) or len(set(sides)) != len(sides):
            raise ctx.error(snode, "'sides' must list right and/or left once each, "
                                   f"not {list(sides)}")
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
    optional = boolean(ctx, fields["optional"][1], "optional") if "optional" in fields else False
    priority = 1
    if "priority" in fields:
        pnode = fields["priority"][1]
        value = number(ctx, pnode, "priority", 0, 1000)
        if value != int(value):
            raise ctx.error(pnode, "'priority' must be a whole number")
        priority = int(value)
    chime = sound_name(ctx, fields["chime"][1], "chime") if "chime" in fields else default_chime
    every = _every(ctx, fields["every"][1], breath_ms, hold, chime) if "every" in fields else None
    return Pose(name, cues, node.start_mark.line + 1, hold, sides, switch, optional,
                priority, chime, every_ms=every)


def _every(ctx: Ctx, node: yaml.Node, breath_ms: int, hold: HoldRange | None,
           chime: str | None) -> int:
    """`every: 5m` or `every: 10 breaths`: a chime rings that often inside the hold."""
    text = text_value(ctx, node, "every").lower()
    if hold is None:
        raise ctx.error(node, "'every' rings a chime inside the pose's hold; this pose has "
                              "no 'hold'")
    if chime is None:
        raise ctx.error(node, "'every' rings the pose's chime, and this pose has none; give "
                              "it one (chime: bowl)")
    counted = re.fullmatch(r"(\d{1,4})\s*breaths?", text)
    if counted:
        ms = int(counted.group(1)) * breath_ms
    else:
        try:
            ms = parse_ms(text)
        except ValueError as exc:
            raise ctx.error(node, f"'every: {text}': {exc}; write 5m or 10 breaths") from None
    if ms < MIN_EVERY_MS:
        raise ctx.error(node, f"'every: {text}' is too often; a chime can ring at most every "
                              f"{MIN_EVERY_MS // 1000}s")
    return ms


def load_script(path: str | Path, text: str | None = None) -> Script:
    """Read and validate a pose script; raises ScriptError with file and line.

    `text`, when given, is read in place of the file's content (the studio checks what
    the page holds, unsaved); sounds and covers are still found beside `path`."""
    path = Path(path)
    text = read_text(path) if text is None else text
    root = compose(path, text)
    ctx = Ctx(path, text.split("\n"))
    fields = mapping(ctx, root, TOP_KEYS, "the script")
    for required in ("title", "poses"):
        if required not in fields:
            raise ScriptError(f"the script needs '{required}'", Where(path, 1))

    def get(key: str, parse: Callable[[yaml.Node], Any], default: Any) -> Any:
        return parse(fields[key][1]) if key in fields else default

    title = text_value(ctx, fields["title"][1], "title")
    author = get("author", lambda n: text_value(ctx, n, "author"), None)
    description = get("description", lambda n: text_value(ctx, n, "description", 2000), None)
    language = get("language", lambda n: text_value(ctx, n, "language", 20), "en")
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*", language):
        raise ctx.error(fields["language"][1], f"'language: {language}' is not a language code "
                                               "(e.g. en, en-GB, fr)")
    voice = get("voice", lambda n: _voice(ctx, n), VoiceSpec())
    breath_ms, breath_in_ms = get("breath", lambda n: between.breath(ctx, n), (5000, None))
    chime = get("chime", lambda n: sound_name(ctx, n, "chime"), "bell")
    lengths: dict[str, NamedLength] = {}
    if "lengths" in fields:
        for key, (_, vnode) in _lengths(ctx, fields["lengths"][1]):
            lengths[key] = NamedLength(duration(ctx, vnode, f"lengths: {key}", 4 * MAX_HOLD_MS),
                                       vnode.start_mark.line + 1)
    intro = get("intro", lambda n: _cues(ctx, n, "intro", breath_ms, required=False), ())
    outro = get("outro", lambda n: _cues(ctx, n, "outro", breath_ms, required=False), ())
    pnode = fields["poses"][1]
    if not isinstance(pnode, yaml.SequenceNode) or not pnode.value:
        raise ctx.error(pnode, "'poses' must be a list of one or more poses (- name: ...)")
    if len(pnode.value) > MAX_POSES:
        raise ctx.error(pnode, f"a script can have at most {MAX_POSES} poses")
    poses = tuple(_flow(ctx, p, breath_ms) if flows.is_flow(p) else
                  _pose(ctx, p, breath_ms, chime) for p in pnode.value)
    for cue in intro + outro:
        if any(isinstance(t, Hold) for t in cue.tokens):
            raise ScriptError("[hold] belongs in a pose's cues, not in intro or outro",
                              Where(path, cue.line))
    cover = get("cover", lambda n: _cover(ctx, n), None)
    pronounce = get("pronounce", lambda n: speech_fields.pronounce(ctx, n), ())
    tone_allow = get("tone", lambda n: speech_fields.tone_allow(ctx, n), ())
    ambience = get("ambience", lambda n: between.ambience(ctx, n), None)
    guide = get("breath_guide", lambda n: boolean(ctx, n, "breath_guide"), False)
    pace_wpm = get("pace", lambda n: _pace(ctx, n), parse_pace(DEFAULT_PACE))
    return Script(path, title, poses, author, description, language, voice, breath_ms, chime,
                  lengths, intro, outro, cover, ctx.sound_lines, pronounce, tone_allow,
                  ambience, guide, breath_in_ms, pace_wpm)


def _pace(ctx: Ctx, node: yaml.Node) -> int | None:
    try:
        return parse_pace(text_value(ctx, node, "pace", 20))
    except ValueError as exc:
        raise ctx.error(node, str(exc)) from None


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG or PNG by its first bytes, else None."""
    return next((mime for magic, mime in _IMAGE_MAGIC.items() if data.startswith(magic)), None)


def _cover(ctx: Ctx, node: yaml.Node) -> Path:
    """A JPEG or PNG named by file name, in the script's own folder (never a path)."""
    name = text_value(ctx, node, "cover")
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


def _lengths(ctx: Ctx, node: yaml.Node) -> list[tuple[str, tuple[yaml.Node, yaml.Node]]]:
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
