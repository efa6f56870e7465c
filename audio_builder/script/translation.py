"""Translations beside a script: `NAME.LANG.yaml` holds only the words, `NAME.yaml` the rest.

Design: every text of the original (title, description, intro/outro cues, pose names,
cues, switch lines) has a position key such as `poses.2.cues.0`. A translation maps each
key to `{of: HASH, text: ...}`, HASH being the first 8 hex digits of the SHA-256 of the
original text when it was translated. So:
- a key of the original absent from the translation is *missing*;
- a key whose HASH differs from the original's text now is *stale* (edited, or reordered:
  the text at that position is no longer the one translated) — it still renders, with a
  warning, unless strict;
- a key the original lacks is an error (a field the original lacks);
- markers ([pause 2s], [breaths 4], [chime], [hold], <break/>, {side}, {other_side}) must be
  the same, in the same order, as the original's.
`side:` maps the original's side words to the language's (right: derecho), spoken for
{side} and {other_side}; `pronounce:` gives the language's own respellings (the
original's are for its voice). The voice follows the language: a voice the original
names is dropped (its speed kept), so the language's default voice speaks.
"""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..errors import ScriptError, Where
from . import speech_fields
from .markers import MarkerError, parse_cue
from .model import Cue, Pose, Pronunciation, Script, VoiceSpec
from .yaml_nodes import Ctx, compose, is_null, mapping, read_text

_MARKER = re.compile(r"\[[^\]]*\]|\{\s*(?:other_side|side)\s*\}|<\s*break[^>]*>", re.IGNORECASE)
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")


def text_hash(text: str) -> str:
    """The short fingerprint of an original text a translation records (`of:`)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


def markers_of(text: str) -> tuple[str, ...]:
    """The markers of a text, normalised (spaces, case), in order."""
    return tuple(" ".join(m.lower().split()) for m in _MARKER.findall(text))


def translation_path(script: Path, language: str) -> Path:
    return script.with_name(f"{script.stem}.{language}.yaml")


def as_translation(path: Path) -> tuple[Path, str | None]:
    """A translation named where a script is expected (NAME.LANG.yaml beside NAME.yaml):
    the original and the language; anything else: itself and None."""
    parts = path.name.split(".")
    if len(parts) == 3 and parts[2] == "yaml" and _LANGUAGE.fullmatch(parts[1]):
        original = path.with_name(f"{parts[0]}.yaml")
        if original.is_file():
            return original, parts[1]
    return path, None


def languages_of(script: Path) -> list[str]:
    """The languages of the translations beside a script (NAME.LANG.yaml), sorted."""
    found = []
    for path in sorted(script.parent.glob(f"{glob.escape(script.stem)}.*.yaml")):
        lang = path.name[len(script.stem) + 1:-len(".yaml")]
        if _LANGUAGE.fullmatch(lang) and not path.is_symlink():
            found.append(lang)
    return found


@dataclass(frozen=True)
class Original:
    """One text of the original script at its position, with its line."""

    key: str
    text: str
    line: int


@dataclass(frozen=True)
class Translated:
    key: str
    of: str
    text: str
    line: int


@dataclass(frozen=True)
class Translation:
    path: Path
    language: str
    translates: Path
    texts: dict[str, Translated]
    sides: dict[str, str]
    pronounce: tuple[Pronunciation, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One thing `check` reports about a translation."""

    kind: str  # "missing", "stale", "markers"
    where: Where
    message: str

    def one_line(self) -> str:
        return f"{self.where}: {self.kind}: {self.message}"


def originals(path: Path) -> dict[str, Original]:
    """The translatable texts of a script file, by position key (recorded recordings skipped)."""
    root = compose(path, read_text(path))
    out: dict[str, Original] = {}

    def add(key: str, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and not is_null(node):
            out[key] = Original(key, str(node.value), node.start_mark.line + 1)

    def add_cues(key: str, node: yaml.Node) -> None:
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                add(f"{key}.{i}", item)
        else:
            add(f"{key}.0", node)

    if not isinstance(root, yaml.MappingNode):
        return out
    for k, v in root.value:
        name = k.value
        if name in ("title", "description"):
            add(name, v)
        elif name in ("intro", "outro"):
            add_cues(name, v)
        elif name == "poses" and isinstance(v, yaml.SequenceNode):
            for i, pose in enumerate(v.value):
                if not isinstance(pose, yaml.MappingNode):
                    continue
                for pk, pv in pose.value:
                    if pk.value == "name":
                        add(f"poses.{i}.name", pv)
                    elif pk.value == "cues":
                        add_cues(f"poses.{i}.cues", pv)
                    elif pk.value == "switch":
                        add(f"poses.{i}.switch", pv)
    return out


def load_translation(path: str | Path) -> Translation:
    """Read `NAME.LANG.yaml`; errors (one line, with file and line) for what cannot be used."""
    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    ctx = Ctx(path, lines)
    root = compose(path, text)
    allowed = ("translates", "language", "side", "texts", "pronounce")
    fields = {k: v for k, (_, v) in mapping(ctx, root, allowed, "a translation").items()}
    if "translates" not in fields or "language" not in fields or "texts" not in fields:
        raise ScriptError("a translation needs 'translates', 'language' and 'texts'",
                          Where(path, 1))
    language = str(fields["language"].value)
    if not _LANGUAGE.fullmatch(language):
        raise ctx.error(fields["language"],
                        f"'language: {language}' is not a language code like es")
    source = path.parent / str(fields["translates"].value)
    if not source.is_file():
        raise ctx.error(fields["translates"], f"the script '{fields['translates'].value}' "
                        f"this translates does not exist beside it")
    sides: dict[str, str] = {}
    if "side" in fields:
        node = fields["side"]
        if not isinstance(node, yaml.MappingNode):
            raise ctx.error(node, "'side' must map side words to this language's (right: derecho)")
        sides = {str(k.value): str(v.value) for k, v in node.value}
        if not set(sides) <= {"right", "left"} or not all(w.strip() for w in sides.values()):
            raise ctx.error(node, "'side' maps right and left to this language's words "
                                  "(right: derecho, left: izquierdo)")
    respell = speech_fields.pronounce(ctx, fields["pronounce"]) if "pronounce" in fields else ()
    node = fields["texts"]
    if not isinstance(node, yaml.MappingNode):
        raise ctx.error(node, "'texts' must map positions (poses.0.name) to {of, text}")
    texts: dict[str, Translated] = {}
    known = originals(source)
    for k, v in node.value:
        if k.value not in known:
            raise ctx.error(k, f"'{k.value}' is not a text of {source.name} "
                            "(the original lacks it)")
        entry = {f: n for f, (_, n) in mapping(ctx, v, ("of", "text"), f"'{k.value}'").items()}
        if "text" not in entry or "of" not in entry:
            raise ctx.error(v, f"'{k.value}' needs 'of' (the original's hash) and 'text'")
        said = entry["text"]
        texts[str(k.value)] = Translated(str(k.value), str(entry["of"].value),
                                         str(said.value), said.start_mark.line + 1)
    for item in texts.values():
        try:
            parse_cue(item.text, 5000, two_sided=True)
        except MarkerError as exc:
            raise ScriptError(str(exc), Where(path, item.line)) from None
    return Translation(path, language, source, texts, sides, respell)


def check_translation(tr: Translation) -> list[Finding]:
    """Every missing text, stale text and marker difference, each with file and line."""
    found: list[Finding] = []
    for key, orig in originals(tr.translates).items():
        item = tr.texts.get(key)
        if item is None:
            found.append(Finding("missing", Where(tr.path, 1),
                                 f"no text for '{key}' ({tr.translates.name}:{orig.line})"))
            continue
        if item.of != text_hash(orig.text):
            found.append(Finding("stale", Where(tr.path, item.line),
                                 f"'{key}' changed in {tr.translates.name}:{orig.line} since it "
                                 f"was translated (now of: {text_hash(orig.text)})"))
        if markers_of(item.text) != markers_of(orig.text):
            found.append(Finding("markers", Where(tr.path, item.line),
                                 f"'{key}' has markers {list(markers_of(item.text))}, the "
                                 f"original {list(markers_of(orig.text))}"))
    return found


def _cue(tr: Translation, key: str, cue: Cue, breath_ms: int, two_sided: bool) -> Cue:
    """The translated cue, at its line in the translation (what check says of it points
    there); the original's where the translation lacks it."""
    item = tr.texts.get(key)
    if item is None:
        return cue
    return Cue(parse_cue(item.text, breath_ms, two_sided), item.line)


def apply_translation(script: Script, tr: Translation) -> Script:
    """Structure from the original, words from the translation, language set (pure)."""
    t = tr.texts

    def cues(key: str, items: tuple[Cue, ...], two_sided: bool = False) -> tuple[Cue, ...]:
        return tuple(_cue(tr, f"{key}.{i}", c, script.breath_ms, two_sided)
                     for i, c in enumerate(items))

    poses: list[Pose] = []
    for i, pose in enumerate(script.poses):
        two = bool(pose.sides)
        poses.append(replace(
            pose,
            name=t[f"poses.{i}.name"].text if f"poses.{i}.name" in t else pose.name,
            cues=cues(f"poses.{i}.cues", pose.cues, two),
            switch=(_cue(tr, f"poses.{i}.switch", pose.switch, script.breath_ms, two)
                    if pose.switch else None),
        ))
    return replace(
        script,
        path=tr.path,  # beside the original: its sounds are found alike
        title=t["title"].text if "title" in t else script.title,
        description=t["description"].text if "description" in t else script.description,
        language=tr.language,
        voice=VoiceSpec(speed=script.voice.speed),  # the language's own voice
        pronounce=tr.pronounce,
        side_words=dict(tr.sides),
        intro=cues("intro", script.intro),
        outro=cues("outro", script.outro),
        poses=tuple(poses),
    )
