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
from .bed import Bed, BedTrack, predict_loudness
from .clips import MAX_GAIN_DB, ClipInfo, limit
from .loudness import gated

TARGET_LUFS = -19.0
"""Integrated loudness of a mono file (as −16 LUFS stereo is heard on headphones)."""
CHIME_BELOW_LU = 6.0
"""Chimes sit this far under the voice: heard, never startling."""
PEAK_CEILING_DB = -2.0
"""Sample-peak ceiling before encoding; MP3 encoding adds up to ~0.5 dB of true peak."""
BLOCK = 1 << 16
BREATH_BELOW_LU = 18.0
"""The breath guide sits this far under the voice: a soft presence in the hold, under the
chimes, well over a bed at its default level."""


@dataclass(frozen=True)
class Levels:
    target_lufs: float = TARGET_LUFS
    """Integrated loudness of the whole file."""
    chime_below_lu: float = CHIME_BELOW_LU
    breath_below_lu: float = BREATH_BELOW_LU


def at_gain(samples: np.ndarray, gain_db: float, ceiling_db: float = PEAK_CEILING_DB
            ) -> np.ndarray:
    """The samples with a gain, peaks held under the ceiling (the limiter works only
    around the few peaks a raised clip pushes over it)."""
    return limit(samples * np.float32(10 ** (gain_db / 20)),
                 ceiling_db)


Key = tuple[str, str]
"""("speech", text), ("chime", sound name), ("breath", "inhale:length") or ("bed", name)."""


def session_gains(plan: Plan, infos: dict[Key, ClipInfo], levels: Levels,
                  codec_loss_db: float = 0.0, bed: Bed | None = None,
                  heard: Callable[[Key, float], np.ndarray | None] | None = None
                  ) -> dict[Key, float]:
    """The gain of every clip: each sentence at one loudness, chimes a few LU under the
    voice, and the whole session at the target.

    The session's loudness is predicted from the stored clips' 400 ms blocks
    (loudness.py): no audio is read or measured here. The encoder's known loss is added
    back, so the decoded file, not the mix, meets the target. A bed (`bed`, gain under
    ("bed", name)) sits `level_lu` under the voice and is part of the prediction.

    `heard(key, gain)` gives a clip's blocks as the limiter lets them through at that
    gain (None: untouched). With quiet sounds near the relative gate (a bed, a breath
    guide) the correction is larger and the limiter's loss matters, so the prediction is
    made again with the clips as they will be heard.
    """
    words = any(e.kind == "speech" for e in plan.events)  # without words, chimes lead
    below = {"chime": levels.chime_below_lu if words else 0.0,
             "breath": levels.breath_below_lu}
    gain = {k: min(levels.target_lufs - i.lufs - below.get(k[0], 0.0), MAX_GAIN_DB)
            for k, i in infos.items()}
    if bed is not None:
        gain[("bed", bed.name)] = levels.target_lufs - bed.lufs + bed.level_lu
    sounding = [e for e in plan.events if e.kind.sounds]

    def loudness_at(c: float) -> float:
        """The session's loudness with every gain raised by c dB."""
        blocks = {k: heard(k, gain[k] + c) if heard is not None else None for k in infos}
        shift = {k: (0.0, b) if b is not None else (gain[k] + c, infos[k].blocks)
                 for k, b in blocks.items()}
        if bed is None:
            return gated((shift[_key(e)][1], shift[_key(e)][0]) for e in sounding)
        return predict_loudness(BedTrack(bed, plan, gain[("bed", bed.name)] + c),
                                [(e.start, shift[_key(e)][1] + shift[_key(e)][0], 0.0)
                                 for e in sounding])

    want = levels.target_lufs + codec_loss_db
    before = loudness_at(0.0) if heard is None else predict_loudness_plain(infos, gain, plan,
                                                                          bed, sounding)
    correction = want - before
    if heard is not None:  # the limiter gives less than asked: a few secant steps
        correction = min(correction, MAX_RAISE_DB)
        c_prev, l_prev = 0.0, before
        for _ in range(4):
            if correction == c_prev:  # at the most it may raise: nothing more to gain
                break
            now = loudness_at(correction)
            if abs(want - now) < 0.05:
                break
            slope = (now - l_prev) / (correction - c_prev)
            c_prev, l_prev = correction, now
            correction = min(correction + (want - now) / min(max(slope, 0.25), 1.0),
                             MAX_RAISE_DB)
    return {k: g + correction for k, g in gain.items()}


MAX_RAISE_DB = 3.0
"""The most the whole session is raised to meet its loudness: past this, the limiter would
be flattening the voice."""


def predict_loudness_plain(infos: dict[Key, ClipInfo], gain: dict[Key, float], plan: Plan,
                           bed: Bed | None, sounding: list[Event]) -> float:
    """The session's loudness at these gains, the limiter left out."""
    clips = [(e.start, infos[_key(e)].blocks + gain[_key(e)], 0.0) for e in sounding]
    if bed is None:
        return gated((b, g) for _, b, g in clips)
    return predict_loudness(BedTrack(bed, plan, gain[("bed", bed.name)]), clips)


def sounding_spans(plan: Plan) -> list[tuple[int, int]]:
    """(start, length) of everything that sounds: what a cut for encoding must avoid.
    Under a bed, the whole session sounds."""
    if plan.bed is not None:
        return [(0, plan.total)]
    return [(e.start, e.length) for e in plan.events if e.kind.sounds]


def _key(e: Event) -> Key:
    if e.kind == "breath":
        return ("breath", f"{e.inhale}:{e.length}")
    return ("speech", e.speech_key) if e.kind == "speech" else ("chime", e.sound or "")


def blocks(plan: Plan, audio: Callable[[Key], np.ndarray], block: int = BLOCK,
           start: int = 0, stop: int | None = None,
           bed: Callable[[int, int], np.ndarray] | None = None) -> Iterator[np.ndarray]:
    """The session's samples from `start` to `stop` (default: the end), block by block.

    `audio` gives a clip at its final level; it is asked again for each block a clip
    overlaps, so it should remember the last few it made. `bed` gives the sound bed's
    samples for a stretch, mixed under everything."""
    stop = plan.total if stop is None else stop
    sounding = [e for e in plan.events if e.kind.sounds]
    starts = [e.start for e in sounding]
    longest = max((e.length for e in sounding), default=0)
    for b0 in range(start, stop, block):
        b1 = min(b0 + block, stop)
        out = np.zeros(b1 - b0, np.float32) if bed is None else bed(b0, b1)
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
