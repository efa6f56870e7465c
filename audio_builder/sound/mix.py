"""Mixing: clips at their final level, placed on the timeline sample-exactly, in blocks.

The track is never held whole: blocks are made as the encoder asks for them, so memory
stays flat however long the session (pydub's += copies the whole track each time).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..plan import Event, Plan
from .clips import MAX_GAIN_DB, ClipInfo, limit
from .loudness import gated

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


def at_gain(samples: np.ndarray, gain_db: float) -> np.ndarray:
    """The samples with a gain, peaks held under the ceiling (the limiter works only
    around the few peaks a raised clip pushes over it)."""
    return limit(samples * np.float32(10 ** (gain_db / 20)),
                 PEAK_CEILING_DB)


Key = tuple[str, str]
"""("speech", text) or ("chime", sound name)."""


def session_gains(plan: Plan, infos: dict[Key, ClipInfo], levels: Levels,
                  codec_loss_db: float = 0.0) -> dict[Key, float]:
    """The gain of every clip: each sentence at one loudness, chimes a few LU under the
    voice, and the whole session at the target.

    The session's loudness is predicted from the stored clips' 400 ms blocks
    (loudness.py): no audio is read or measured here. The encoder's known loss is added
    back, so the decoded file, not the mix, meets the target.
    """
    gain = {k: min(levels.target_lufs - i.lufs - (levels.chime_below_lu if k[0] == "chime"
                                                  else 0.0), MAX_GAIN_DB)
            for k, i in infos.items()}
    predicted = gated((infos[_key(e)].blocks, gain[_key(e)]) for e in plan.events
                      if e.kind != "silence")
    correction = levels.target_lufs + codec_loss_db - predicted
    return {k: g + correction for k, g in gain.items()}


def sounding_spans(plan: Plan) -> list[tuple[int, int]]:
    """(start, length) of everything that sounds: what a cut for encoding must avoid."""
    return [(e.start, e.length) for e in plan.events if e.kind != "silence"]


def _key(e: Event) -> Key:
    return ("speech", e.speech_key) if e.kind == "speech" else ("chime", e.sound or "")


def blocks(plan: Plan, audio: Callable[[Key], np.ndarray], block: int = BLOCK,
           start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """The session's samples from `start` to `stop` (default: the end), block by block.

    `audio` gives a clip at its final level; it is asked again for each block a clip
    overlaps, so it should remember the last few it made."""
    stop = plan.total if stop is None else stop
    sounding = [e for e in plan.events if e.kind != "silence"]
    starts = [e.start for e in sounding]
    longest = max((e.length for e in sounding), default=0)
    for b0 in range(start, stop, block):
        b1 = min(b0 + block, stop)
        out = np.zeros(b1 - b0, np.float32)
        first = bisect_left(starts, b0 - longest)
        for e in sounding[first:]:
            if e.start >= b1:
                break
            if e.start + e.length <= b0:
                continue
            samples = audio(_key(e))
            a, b = max(b0, e.start), min(b1, e.start + e.length)
            out[a - b0:b - b0] += samples[a - e.start:b - e.start]
        np.clip(out, -1.0, 1.0, out=out)
        yield out
