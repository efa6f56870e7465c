"""The breath guide: where, inside a hold counted in breaths, each guided breath goes.

Pure timing. A hold becomes a little settling silence, whole breaths at the script's
pace, then the rest of the hold in silence; a hold fitted shorter guides fewer breaths,
never a part of one. The guide lives only inside the hold, so it never meets a word.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..script.durations import ms_to_samples
from ..script.model import Script

LEAD_MS = 1000
"""At most this much of a hold's slack passes before the first guided breath: the cue
settles first. A hold of exactly N breaths guides N breaths from its first sample (each
breath sound rises slowly from nothing, so it still does not follow the word at once)."""


@dataclass(frozen=True)
class Piece:
    """A stretch of a hold: silence, or one guided breath."""

    kind: str
    """'silence', 'breath' or 'chime' (an interval chime: ring_every)."""
    length: int
    inhale: int | None = None
    """Samples of the breath's inhale (the rest is its exhale)."""


def split_hold(script: Script, pose: int, hold: int) -> list[Piece]:
    """The hold of `pose` (`hold` samples) as pieces: all silence unless guided."""
    rng = script.poses[pose].hold
    if not script.breath_guide or rng is None or not rng.breaths:
        return [Piece("silence", hold)]
    breath_ms = script.breath_ms
    ends = []
    k = 1
    while (end := ms_to_samples(k * breath_ms)) <= hold:
        ends.append(end)
        k += 1
    if not ends:
        return [Piece("silence", hold)]
    lead = min(hold - ends[-1], ms_to_samples(LEAD_MS))
    inhale = ms_to_samples(script.breath_in_ms or breath_ms // 2)
    pieces = [Piece("silence", lead)]
    start = 0
    for end in ends:
        pieces.append(Piece("breath", end - start, inhale))
        start = end
    pieces.append(Piece("silence", hold - lead - ends[-1]))
    return [p for p in pieces if p.length > 0]


BELL_TAIL_MS = 5000
"""An interval chime ends at least this long before its hold does: the next cue is not
crowded by it."""


def ring_every(pieces: list[Piece], every: int, bell: int) -> list[Piece]:
    """The hold's pieces with a chime (`bell` samples) every `every` samples from its
    start, each inside a silent stretch and ending BELL_TAIL_MS before the hold ends
    (where a guided breath is, that chime is left out: the guide marks the time)."""
    hold = sum(p.length for p in pieces)
    out = list(pieces)
    t = every
    while t + bell <= hold - ms_to_samples(BELL_TAIL_MS):
        at = 0
        for n, p in enumerate(out):
            if p.kind == "silence" and at <= t and t + bell <= at + p.length:
                out[n:n + 1] = [q for q in (Piece("silence", t - at), Piece("chime", bell),
                                            Piece("silence", at + p.length - t - bell))
                                if q.length > 0]
                break
            at += p.length
        t += every
    return out
