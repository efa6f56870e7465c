"""Where to cut a session so that its parts can be encoded at once, one per core.

A cut must fall on an MP3 frame boundary, inside silence: the part before it is encoded
one frame short (its padding and the next part's encoder delay fill that frame), so the
frame before the cut, and a guard either side, must be silent for the join to be
inaudible and sample-exact (infotag.join).
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import RATE
from .infotag import FRAME

GUARD = 2 * FRAME
"""Silence kept either side of the frame the join fills, so the encoder's look-ahead and
the decoder's overlap at the seam meet only silence."""
MIN_PART = 15 * RATE
"""Samples below which a part is not worth its own encoder (about 30 ms to start one)."""


def silent_gaps(sounding: Iterable[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """The [start, end) stretches of [0, total) where no (start, length) sound plays."""
    gaps, reached = [], 0
    for start, length in sorted(sounding):
        if start > reached:
            gaps.append((reached, start))
        reached = max(reached, start + length)
    if total > reached:
        gaps.append((reached, total))
    return gaps


def _nearest(gaps: list[tuple[int, int]], target: float) -> int | None:
    """The frame-aligned cut nearest `target` that has the silence it needs."""
    best = None
    for g0, g1 in gaps:
        lo = -(-(g0 + FRAME + GUARD) // FRAME) * FRAME
        hi = (g1 - GUARD) // FRAME * FRAME
        if lo > hi:
            continue
        cut = min(max(round(target / FRAME) * FRAME, lo), hi)
        if best is None or abs(cut - target) < abs(best - target):
            best = cut
    return best


def cut_points(sounding: Iterable[tuple[int, int]], total: int, parts: int) -> list[int]:
    """Up to parts - 1 cuts, each near an equal share of the session, in silence.

    Fewer (possibly none) when the session is short or has no silence where needed;
    every part is at least MIN_PART samples long."""
    parts = min(parts, total // MIN_PART)
    gaps = silent_gaps(sounding, total)
    cuts: list[int] = []
    for i in range(1, parts):
        cut = _nearest(gaps, total * i / parts)
        if cut is not None and cut - (cuts[-1] if cuts else 0) >= MIN_PART \
                and total - cut >= MIN_PART:
            cuts.append(cut)
    return cuts
