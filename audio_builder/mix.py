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
from .loudness import gated, measure
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
    target_lufs: float = TARGET_LUFS
    """Integrated loudness of the whole file."""
    chime_below_lu: float = CHIME_BELOW_LU


MAX_GAIN_DB = 40.0
"""Never lift a near-silent clip into noise."""


def _at_gain(samples: np.ndarray, gain_db: float) -> tuple[np.ndarray, bool]:
    """The samples with a gain, peaks held under the ceiling; and whether it limited."""
    out = (samples * np.float32(10 ** (gain_db / 20))).astype(np.float32)
    limited = limit(out, PEAK_CEILING_DB)
    return limited, limited is not out


def level_session(plan: Plan, speech: dict[str, Clip], chimes: dict[str, Clip],
                  levels: Levels, codec_loss_db: float = 0.0
                  ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every clip at its final level: each sentence at one loudness, chimes a few LU under
    the voice, and the whole session at the target.

    The session's loudness is predicted from the clips' 400 ms blocks (loudness.py),
    re-measuring only the clips the limiter touched, then corrected once; the encoder's
    known loss is added back so the decoded file, not the mix, meets the target.
    """
    clips = {("speech", t): c for t, c in speech.items()}
    clips |= {("chime", n): c for n, c in chimes.items()}
    gain = {k: min(levels.target_lufs - c.lufs - (levels.chime_below_lu if k[0] == "chime"
                                                  else 0.0), MAX_GAIN_DB)
            for k, c in clips.items()}
    blocks_at: dict[tuple[str, str], tuple[np.ndarray, float]] = {}
    for k, c in clips.items():
        samples, limited = _at_gain(c.samples, gain[k])
        blocks_at[k] = (measure(samples)[1], 0.0) if limited else (c.blocks, gain[k])
    played = [blocks_at[("speech", e.text) if e.kind == "speech" else ("chime", e.sound)]
              for e in plan.events if e.kind != "silence"]
    correction = levels.target_lufs + codec_loss_db - gated(played)
    final = {k: _at_gain(c.samples, gain[k] + correction)[0] for k, c in clips.items()}
    return ({k[1]: v for k, v in final.items() if k[0] == "speech"},
            {k[1]: v for k, v in final.items() if k[0] == "chime"})


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
