"""Proof-listening a session: every text it can speak (and every recorded cue) heard
alone, compared with what is written, and for a word heard otherwise, respellings tried
through the same voice and recogniser until one is heard as written.

Pure of the command line, so the studio can show a cue's proof beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import RATE
from ..pipeline.render import Prepared
from ..plan import texts_to_speak
from ..plan.outline import SIDE_NAMES, expand_text, recording_key
from ..script.model import Pronunciation, Recording, Text
from ..script.pace import sentences
from ..script.speech_fields import say
from ..speech.synth import SpeechStore
from .compare import Comparison, compare, normal
from .hear import Recogniser

STRICT_WER = 0.25
"""`proof --strict` fails when a cue has more than a quarter of its words heard otherwise:
the recogniser itself mishears about one word in 200 of a clean natural voice (bench/
PROOF.md), so one slip in a long sentence passes, a name said wrong in a short one fails."""
MAX_CANDIDATES = 4
_SILENT = ((r"^ps", "s"), (r"^pn", "n"), (r"^kn", "n"), (r"^gn", "n"), (r"^wr", "r"),
           (r"^pt", "t"), (r"ph", "f"))
"""Letters English spellings write but do not say: a voice that says them is misread."""


@dataclass(frozen=True)
class Suggestion:
    word: str
    respelling: str | None
    """What to put in `pronounce:`; None: say it as written (remove its entry)."""
    heard: str


@dataclass(frozen=True)
class CueProof:
    text: str
    line: int | None
    recording: str | None
    heard: Comparison
    suggestions: tuple[Suggestion, ...] = ()
    tried: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        return self.heard.errors > 0


def cue_lines(prep: Prepared) -> dict[str, int]:
    """The line of the cue each spoken text (or recording key) comes from."""
    lines: dict[str, int] = {}
    for cue in sorted(prep.script.all_cues(), key=lambda c: c.line):
        for tok in cue.tokens:
            if isinstance(tok, Recording):
                lines.setdefault(recording_key(tok.name), cue.line)
            elif isinstance(tok, Text):
                for side in (None, *SIDE_NAMES):
                    text = expand_text(tok.text, side, prep.script.side_words)
                    lines.setdefault(text, cue.line)
                    for s in sentences(text):
                        lines.setdefault(s, cue.line)
    return lines


def candidates(word: str, entry: Pronunciation | None) -> list[str | None]:
    """Respellings to try for a word heard otherwise, most likely first."""
    out: list[str | None] = []
    if entry is not None:
        out.append(None)  # perhaps the voice says it right as written
        if entry.said != entry.said.lower() and not entry.ipa:
            out.append(entry.said.lower())  # capitals make some voices spell letters out
    base = word.lower()
    for pattern, sound in _SILENT:
        if re.search(pattern, base):
            out.append(re.sub(pattern, sound, base, count=1))
    syllables = re.findall(r"[^aeiouy]*[aeiouy]+(?:[^aeiouy]+$)?", base)
    if len(syllables) > 1:
        out.append("-".join(syllables))
    seen: list[str | None] = []
    for c in out:
        if c not in seen and c != word:
            seen.append(c)
    return seen[:MAX_CANDIDATES]


def proof(prep: Prepared, speech: SpeechStore, recogniser: Recogniser, suggest: bool = True,
          advance: Callable[[int], None] = lambda n: None) -> Iterator[CueProof]:
    """Each text of the session heard alone, in the order the session says them."""
    lines = cue_lines(prep)
    recorded = {recording_key(tok.name): (tok.name, tok.text or "")
                for cue in prep.script.all_cues() for tok in cue.tokens
                if isinstance(tok, Recording)}
    for text in texts_to_speak(prep.script):
        yield hear_text(prep, speech, recogniser, text, lines.get(text), suggest)
        advance(1)
    for key, clip in prep.recordings.items():
        name, written = recorded[key]
        if written:
            yield CueProof(written, lines.get(key), name,
                           compare(written, recogniser.hear(clip.samples, RATE)))
        advance(1)


def hear_text(prep: Prepared, speech: SpeechStore, recogniser: Recogniser, text: str,
              line: int | None, suggest: bool = True) -> CueProof:
    """One spoken text heard alone (and respellings tried for what was heard otherwise)."""
    heard = compare(text, recogniser.hear(speech.samples(text), RATE))
    found: tuple[Suggestion, ...] = ()
    tried: tuple[str, ...] = ()
    if suggest and heard.errors:
        found, tried = _suggest(prep, recogniser, text, heard)
    return CueProof(text, line, None, heard, found, tried)


def _suggest(prep: Prepared, recogniser: Recogniser, text: str, heard: Comparison
             ) -> tuple[tuple[Suggestion, ...], tuple[str, ...]]:
    """For each word heard otherwise, the first respelling heard as written."""
    if prep.engine is None:
        return (), ()
    found, tried = [], []
    for word in heard.missed:
        want = normal(word)
        if not want or all(w in normal(heard.heard) for w in want):
            continue  # heard, only elsewhere in the sentence: not the word's fault
        entry = next((e for e in prep.script.pronounce if e.written.lower() == word.lower()),
                     None)
        others = tuple(e for e in prep.script.pronounce if e is not entry)
        for cand in candidates(word, entry):
            respelled = text if cand is None else re.sub(
                rf"(?<!\w){re.escape(word)}(?!\w)", cand, text)
            spoken = next(iter(prep.engine.speak([say(respelled, others, prep.engine.phonemes)])))
            got = recogniser.hear(spoken.samples, spoken.rate)
            tried.append(cand if cand is not None else word)
            if all(w in normal(got) for w in want):
                found.append(Suggestion(word, cand, got))
                break
    return tuple(found), tuple(tried)

