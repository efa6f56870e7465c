"""The fields about how words are said: `pronounce:`, `tone:` and recorded cues.

Kept apart from loader.py, which calls these readers: pronunciations are applied only
to the text an engine speaks (the transcript and chapters keep the written words), and
the tone check only warns, from a word list a teacher can read (tone.yaml, beside this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .markers import SOUND_NAME
from .model import Cue, Pronunciation, Recording, Script, Text
from .yaml_nodes import Ctx, mapping, text_value

MAX_ENTRIES = 300
MAX_WRITTEN = 60
MAX_SAID = 120
_NOT_SAYABLE = re.compile(r"[\[\]{}<>]")
"""Marker characters: a pronunciation is words, never markers."""
IPA = re.compile(r"/([^/]+)/")


def pronounce(ctx: Ctx, node: yaml.Node) -> tuple[Pronunciation, ...]:
    """`pronounce: {Savasana: shah-VAH-sah-nah, Bakasana: /bɑːˈkɑːsənə/}`."""
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "'pronounce' must be a mapping of words to how to say them "
                              "(Savasana: shah-VAH-sah-nah)")
    if len(node.value) > MAX_ENTRIES:
        raise ctx.error(node, f"'pronounce' can have at most {MAX_ENTRIES} entries")
    seen: dict[str, int] = {}
    out = []
    for knode, vnode in node.value:
        written = text_value(ctx, knode, "pronounce", MAX_WRITTEN)
        said = text_value(ctx, vnode, f"pronounce: {written}", MAX_SAID)
        line = knode.start_mark.line + 1
        for value, what in ((written, "the word"), (said, "how to say it")):
            if _NOT_SAYABLE.search(value):
                raise ctx.error(knode, f"pronounce: {written}: {what} has a marker character "
                                       "([ ] { } < >); give only words")
        if not re.search(r"\w", written):
            raise ctx.error(knode, f"pronounce: '{written}' has no word in it")
        ipa = IPA.fullmatch(said)
        if "/" in said and not ipa:
            raise ctx.error(vnode, f"pronounce: {written}: write IPA between two slashes "
                                   "(/ʃəˈvɑːsənə/), or a respelling without slashes")
        key = written.lower()
        if key in seen:
            raise ctx.error(knode, f"pronounce: '{written}' is given twice (also on line "
                                   f"{seen[key]})")
        seen[key] = line
        out.append(Pronunciation(written, ipa.group(1).strip() if ipa else said,
                                 ipa is not None, line))
    return tuple(out)


def say(text: str, entries: tuple[Pronunciation, ...], phonemes: bool) -> str:
    """The text as the engine should read it: each written word or phrase (whole words,
    any case, longest first) replaced by its respelling, or by [[ IPA ]] for an engine
    that reads phonemes (Piper's syntax; the Kokoro engine reads it too)."""
    if not entries:
        return text
    by_key = {e.written.lower(): e for e in entries}
    pattern = _pattern(tuple(sorted(by_key, key=lambda w: (-len(w), w))))

    def repl(m: re.Match[str]) -> str:
        e = by_key[" ".join(m.group(0).lower().split())]
        return (f"[[ {e.said} ]]" if phonemes else e.said) if e.ipa else e.said

    return pattern.sub(repl, text)


@lru_cache(maxsize=32)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alts = (r"\s+".join(re.escape(w) for w in word.split()) for word in words)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)


def tone_allow(ctx: Ctx, node: yaml.Node) -> tuple[str, ...]:
    """`tone: {allow: [must, push]}`: words the script means, not warned about."""
    fields = mapping(ctx, node, ("allow",), "'tone'")
    if "allow" not in fields:
        return ()
    anode = fields["allow"][1]
    items = anode.value if isinstance(anode, yaml.SequenceNode) else [anode]
    return tuple(_plain(text_value(ctx, n, "tone: allow", MAX_WRITTEN)) for n in items)


def recording_cue(ctx: Ctx, node: yaml.MappingNode, field: str) -> Cue:
    """`- {recording: welcome, text: "Welcome..."}`: a cue in the teacher's own voice."""
    if not any(isinstance(k, yaml.ScalarNode) and k.value == "recording" for k, _ in node.value):
        raise ctx.error(node, f"a cue in '{field}' was read as 'name: value' because of a "
                              "': ' in it; put the whole cue in \"double quotes\"")
    fields = mapping(ctx, node, ("recording", "text"), f"a recorded cue in '{field}'")
    rnode = fields["recording"][1]
    name = text_value(ctx, rnode, "recording")
    if not SOUND_NAME.fullmatch(name):
        raise ctx.error(rnode, f"'recording: {name}' is not a sound name; a recording is named "
                               "like a sound (letters, digits, '-' or '_'), never a path")
    text = (text_value(ctx, fields["text"][1], "text", 2000) if "text" in fields else None)
    return Cue((Recording(name, text),), node.start_mark.line + 1)


@dataclass(frozen=True)
class ToneWarning:
    line: int
    message: str


@dataclass(frozen=True)
class _Rule:
    say: str
    instead: str
    unless: tuple[str, ...]
    language: str = "en"
    """The language whose cues the rule reads (tone.yaml's `language`, default en)."""


TONE_FILE = Path(__file__).resolve().parent / "tone.yaml"


@lru_cache(maxsize=1)
def tone_rules() -> tuple[_Rule, ...]:
    data = yaml.safe_load(TONE_FILE.read_text(encoding="utf-8"))
    return tuple(_Rule(_plain(d["say"]), str(d["instead"]),
                       tuple(_plain(u) for u in d.get("unless", ())),
                       str(d.get("language", "en"))) for d in data)


def _plain(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def _has(text: str, phrase: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text)]


def tone_warnings(script: Script) -> list[ToneWarning]:
    """Where a cue commands instead of inviting, by tone.yaml, less what the script allows."""
    out = []
    language = script.language.replace("_", "-").split("-")[0].lower()
    for cue in sorted(script.all_cues(), key=lambda c: c.line):
        words = _plain(" ".join(t.text for t in cue.tokens if isinstance(t, Text)))
        for rule in tone_rules():
            if rule.say in script.tone_allow or rule.language != language:
                continue
            fine = [span for u in rule.unless for span in _has(words, u)]
            hits = [s for s in _has(words, rule.say)
                    if not any(a <= s[0] and s[1] <= b for a, b in fine)]
            if hits:
                out.append(ToneWarning(cue.line, f"'{rule.say}' commands rather than invites; "
                                                 f"consider {rule.instead} (or tone: allow: "
                                                 f"[{rule.say}])"))
    return out
