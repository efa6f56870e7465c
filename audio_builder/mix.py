"""Mixing: clips at their final level, placed on the timeline sample-exactly, in blocks.

The track is never held whole: blocks are made as the encoder asks for them, so memory
stays flat however long the session (pydub's += copies the whole track each time).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .clips import Clip, limit
from .plan import Plan

TARGET_LUFS = -19.0
"""Integrated loudness of a mono file (as −16 LUFS stereo is heard on headphones)."""
CHIME_BELOW_LU = 6.0
"""Chimes sit this far under the voice: heard, never startling."""
PEAK_CEILING_DB = -2.0
"""Sample-peak ceiling before encoding; MP3 encoding adds up to ~0.5 dB of true peak."""
BLOCK = 1 << 16


@dataclass(frozen=True)
class Levels:
    speech_lufs: float = TARGET_LUFS
    chime_lufs: float = TARGET_LUFS - CHIME_BELOW_LU


def at_level(clip: Clip, lufs: float) -> np.ndarray:
    """The clip brought to a loudness, its peaks held under the ceiling."""
    gain_db = lufs - clip.lufs
    gain_db = min(gain_db, 40.0)  # never lift near-silence into noise
    return limit((clip.samples * np.float32(10 ** (gain_db / 20))).astype(np.float32),
                 PEAK_CEILING_DB)


def leveled(clips: dict[str, Clip], lufs: float) -> dict[str, np.ndarray]:
    return {k: at_level(c, lufs) for k, c in clips.items()}


def blocks(plan: Plan, speech: dict[str, np.ndarray], chimes: dict[str, np.ndarray],
           block: int = BLOCK) -> Iterator[np.ndarray]:
    """The session's samples, block by block; exactly plan.total samples in all."""
    sounding = [e for e in plan.events if e.kind != "silence"]
    starts = [e.start for e in sounding]
    longest = max((e.length for e in sounding), default=0)
    for b0 in range(0, plan.total, block):
        b1 = min(b0 + block, plan.total)
        out = np.zeros(b1 - b0, np.float32)
        first = bisect_left(starts, b0 - longest)
        for e in sounding[first:]:
            if e.start >= b1:
                break
            if e.start + e.length <= b0:
                continue
            audio = speech[e.text] if e.kind == "speech" else chimes[e.sound]
            a, b = max(b0, e.start), min(b1, e.start + e.length)
            out[a - b0:b - b0] += audio[a - e.start:b - e.start]
        np.clip(out, -1.0, 1.0, out=out)
        yield out
