"""Markers inside cue text: [pause 3s], [breaths 3], [hold], [chime], <break/>, {side}.

Anything in brackets is a marker or an error: bracketed text is never spoken, and so
never reaches Piper's [[phoneme]] syntax.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from .durations import parse_count, parse_ms
from .model import Chime, Hold, Pause, Text, Token

MAX_PAUSE_MS = 3_600_000
PLACEHOLDERS = ("side", "other_side")
MARKERS = ("pause", "breaths", "hold", "chime")
SOUND_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BREAK = re.compile(r"""<\s*break\s+time\s*=\s*(["'])([^"'<>]*)\1\s*/?\s*>""", re.IGNORECASE)
_SPEAKABLE = re.compile(r"\w")


class MarkerError(ValueError):
    """A bad marker; the loader adds file and line (finding it by `snippet`)."""

    snippet: str = ""


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean [{close[0]} ...]?)"
    return " (markers are [pause 3s], [breaths 3], [hold] and [chime])"


def _marker(body: str, breath_ms: int) -> Token:
    words = body.split()
    if not words:
        raise MarkerError("empty marker [] (write e.g. [pause 3s] or [hold])")
    name, args = words[0].lower(), words[1:]
    if name == "pause":
        if len(args) != 1:
            raise MarkerError("[pause] needs one duration, e.g. [pause 3s]")
        if ".." in args[0]:
            raise MarkerError(f"[pause {args[0]}] takes one duration, not a range")
        try:
            ms = parse_ms(args[0])
        except ValueError as exc:
            raise MarkerError(f"[pause {args[0]}]: {exc}") from None
        return Pause(_limit(ms, f"[pause {args[0]}]"))
    if name == "breaths":
        if len(args) != 1:
            raise MarkerError("[breaths] needs a number, e.g. [breaths 3]")
        if args[0].startswith("-"):
            raise MarkerError(f"[breaths {args[0]}]: the number of breaths must be above 0")
        try:
            n = parse_count(args[0])
        except ValueError:
            raise MarkerError(f"[breaths {args[0]}]: '{args[0]}' is not a number") from None
        if n <= 0:
            raise MarkerError(f"[breaths {args[0]}]: the number of breaths must be above 0")
        return Pause(_limit(round(n * breath_ms), f"[breaths {args[0]}]"))
    if name == "hold":
        if args:
            raise MarkerError("[hold] takes nothing: the pose's 'hold' field sets its length")
        return Hold()
    if name == "chime":
        if len(args) > 1:
            raise MarkerError("[chime] takes at most one sound name, e.g. [chime bowl]")
        if args and not SOUND_NAME.fullmatch(args[0]):
            raise MarkerError(
                f"[chime {args[0]}]: a sound is a name of letters, digits, '-' or '_'"
            )
        return Chime(args[0] if args else None)
    raise MarkerError(f"unknown marker [{body.strip()}]{_suggest(name, MARKERS)}")


def _limit(ms: int, what: str) -> int:
    if ms <= 0:
        raise MarkerError(f"{what}: the duration must be above 0")
    if ms > MAX_PAUSE_MS:
        raise MarkerError(f"{what}: a pause can be at most 1h")
    return ms


def _fail(message: str, snippet: str) -> MarkerError:
    exc = MarkerError(message)
    exc.snippet = snippet
    return exc


def _text(raw: str, two_sided: bool) -> Text | None:
    if "<" in raw:
        at = raw.index("<")
        raise _fail("only the SSML tag <break time=\"3s\"/> is understood here",
                    raw[at:at + 12])
    for bad in ("]", ">"):
        if bad in raw:
            raise _fail(f"a stray '{bad}' without its opening bracket", bad)
    if "{{" in raw:
        raise _fail("write {side} with single braces, not {{side}}", "{{")
    for m in re.finditer(r"\{([^{}]*)\}?", raw):
        name = m.group(1)
        if not m.group(0).endswith("}"):
            raise _fail("a '{' without its closing '}'", m.group(0)[:12])
        if name not in PLACEHOLDERS:
            raise _fail(f"unknown placeholder {{{name}}} (use {{side}} or {{other_side}})",
                        m.group(0))
        if not two_sided:
            raise _fail(f"{{{name}}} is only meaningful in a pose with 'sides'", m.group(0))
    if "}" in raw.replace("{side}", "").replace("{other_side}", ""):
        raise _fail("a stray '}' without its opening '{'", "}")
    text = " ".join(raw.split())
    return Text(text) if _SPEAKABLE.search(text) else None


def _break(m: re.Match[str]) -> str:
    """<break time="3s"/> -> [pause 3000ms], checked here so errors quote what was typed."""
    value = m.group(2).strip()
    if not value:
        raise _fail(f'{m.group(0)} needs a duration, e.g. <break time="3s"/>', m.group(0))
    if ".." in value:
        raise _fail(f"{m.group(0)} takes one duration, not a range", m.group(0))
    try:
        ms = parse_ms(value)
    except ValueError as exc:
        raise _fail(f"{m.group(0)}: {exc}", m.group(0)) from None
    try:
        return f"[pause {_limit(ms, m.group(0))}ms]"
    except MarkerError as exc:
        raise _fail(str(exc), m.group(0)) from None


def parse_cue(raw: str, breath_ms: int, two_sided: bool = False) -> tuple[Token, ...]:
    """Split cue text into tokens; raises MarkerError naming the faulty marker.

    Text with nothing speakable (only punctuation) between markers is dropped.
    """
    text = unicodedata.normalize("NFC", raw)
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n\t":
            raise _fail(f"a control character (U+{ord(ch):04X}) in the cue", ch)
        if unicodedata.category(ch) in ("Cs", "Cn"):
            raise _fail(f"U+{ord(ch):04X} in the cue is not a character (a noncharacter, "
                        "unassigned or half a pair)", ch)
    text = _BREAK.sub(_break, text)
    return _tokens(text, breath_ms, two_sided)


def _tokens(text: str, breath_ms: int, two_sided: bool) -> tuple[Token, ...]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        start = text.find("[", pos)
        chunk = text[pos:] if start < 0 else text[pos:start]
        if chunk:
            t = _text(chunk, two_sided)
            if t:
                tokens.append(t)
        if start < 0:
            break
        end = text.find("]", start + 1)
        nested = text.find("[", start + 1)
        try:
            if nested == start + 1:
                raise MarkerError("double brackets '[[' are not allowed: text in brackets "
                                  "is never spoken")
            if 0 <= nested < end:
                close = text.find("]", end + 1)
                shown = text[start:(close if close > 0 else end) + 1][:30]
                raise MarkerError(f"'[' inside a marker in \"{shown}\": "
                                  "markers cannot be nested")
            if end < 0 or (0 <= nested < end):
                raise MarkerError(f"'[' without its closing ']' in \"{text[start:start + 20]}\"")
            tokens.append(_marker(text[start + 1 : end], breath_ms))
        except MarkerError as exc:
            exc.snippet = exc.snippet or text[start:end + 1 if end > start else start + 12][:24]
            raise
        pos = end + 1
    return tuple(tokens)
