"""The pace of speech: how many words a minute a cue keeps, counting its spoken words
and the rests inside it, as a teacher speaks (calm guided narration runs 110-150 wpm;
the voices read at about 190-230).

`pace: calm` (the default, 130 wpm), `steady` (150), `140wpm` (any of 60-240), or `off`
(the voice's own pace, no rests added). The pace is reached the way a teacher reaches
it: the cue is spoken a sentence at a time, each sentence whole (its intonation kept),
and a rest follows each, long enough to bring the cue to the pace (never less than a
short breath, never more than MAX_REST_MS); the audio itself is never stretched.
"""

from __future__ import annotations

import re

PACES = {"calm": 130, "steady": 150}
DEFAULT = "calm"
WPM_RANGE = (60, 240)
MIN_REST_MS = 700
"""The shortest rest after a sentence at full length: a breath between sentences."""
FLOOR_MS = 400
"""What a shorter length may shrink a rest to, before any hold shrinks."""
MAX_REST_MS = 3500
"""The longest rest after one sentence: past this, silence inside a cue reads as the cue
having ended. A sentence too long for the pace even with it is warned about by check."""
_SENTENCE = re.compile(r"(?<=[.!?…;])[\"'”’)]*\s+(?=\S)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def parse_pace(text: str) -> int | None:
    """Words per minute for `calm`, `steady`, `140wpm` or `140`; None for `off`.
    ValueError with the accepted spellings otherwise."""
    t = text.strip().lower().replace(" ", "")
    if t in ("off", "none", "natural"):
        return None
    if t in PACES:
        return PACES[t]
    m = re.fullmatch(r"(\d{2,3})(wpm)?", t)
    if m and WPM_RANGE[0] <= int(m[1]) <= WPM_RANGE[1]:
        return int(m[1])
    raise ValueError(f"pace '{text}': write calm ({PACES['calm']} words a minute), steady "
                     f"({PACES['steady']}), a number of words a minute from {WPM_RANGE[0]} "
                     f"to {WPM_RANGE[1]} such as 140wpm, or off")


def sentences(text: str) -> list[str]:
    """The text split after each sentence's end (. ! ? ; …), each piece whole."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def words(text: str) -> int:
    return len(_WORD.findall(text))


def rest_ms(n_words: int, speech_ms: float, wpm: int) -> int:
    """The rest after a sentence of `n_words` spoken in `speech_ms`, for `wpm`."""
    wanted = n_words * 60_000 / wpm - speech_ms
    return int(min(MAX_REST_MS, max(MIN_REST_MS, round(wanted))))
