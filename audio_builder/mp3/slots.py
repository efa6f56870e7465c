"""Which frame slots of a session an encoder must make, and in which runs ("parts").

Slot k of the stream decodes to the samples LAME placed there. A part is one encoder run
over the session's samples [first * FRAME, last * FRAME): LAME gives back exactly
last - first + 1 frames (its delay shifts the audio by a fraction of a frame, so a part
spills into one more slot), the first of which reads nothing from a bit reservoir. Each
sound is encoded with MARGIN silent frames either side inside its part, so a part's edges
meet only silence and the hand-made silent frames around it (frames.py) fit seamlessly.

Parts depend on the plan alone, never on the machine, so every machine writes the same
bytes (SPEC.md: repeatable).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .. import RATE
from .frames import FRAME

MARGIN = 2
"""Silent frames encoded either side of every sound: LAME's look-ahead and the decoder's
overlap at the part's edges then meet only silence."""
MERGE_GAP = round(3 * RATE / FRAME)
"""Two parts closer than this many free slots (about 3 s) are encoded as one: starting an
encoder (~20 ms) costs more than encoding that much silence (~270x real time)."""


@dataclass(frozen=True)
class Part:
    """One encoder run: input samples [first * FRAME, last * FRAME), slots first..last."""

    first: int
    last: int

    @property
    def frames(self) -> int:
        """The frames the encoder gives back, one slot more than its input fills."""
        return self.last - self.first + 1

    @property
    def start(self) -> int:
        return self.first * FRAME

    @property
    def stop(self) -> int:
        return self.last * FRAME


def slot_count(total: int) -> int:
    """Audio frames of a session of `total` samples: its frames of input, whole, and the
    one the encoder's delay spills into. (The stream never asks LAME to pad a part
    itself: its padding field is 46 samples short when total % 1152 is 1..47.)"""
    return -(-total // FRAME) + 1


def whole(total: int) -> list[Part]:
    """The session as one part: what a session with no silence to skip is."""
    return [Part(0, slot_count(total) - 1)]


def parts_for(sounding: Iterable[tuple[int, int]], total: int, merge_gap: int | None = None
              ) -> list[Part]:
    """The parts that cover every (start, length) sound with MARGIN frames either side,
    in slot order, none sharing a slot, any two closer than `merge_gap` (default
    MERGE_GAP) free slots joined."""
    gap = MERGE_GAP if merge_gap is None else merge_gap
    last_slot = slot_count(total) - 1
    parts: list[Part] = []
    for start, length in sorted(sounding):
        if length <= 0:
            continue
        first = max(0, start // FRAME - MARGIN)
        last = min(last_slot, -(-(start + length) // FRAME) + MARGIN)
        if parts and first <= parts[-1].last + gap:
            parts[-1] = Part(parts[-1].first, max(parts[-1].last, last))
        else:
            parts.append(Part(first, last))
    return parts
