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
"""Loudness of the voice, in a mono file (as −16 LUFS stereo is heard on headphones)."""
CHIME_BELOW_LU = 6.0
"""Chimes sit this far under the voice: heard, never startling."""
PEAK_CEILING_DB = -2.6
"""Sample-peak ceiling before encoding. MP3 encoding adds to the true peak, up to 1.1 dB
on Kokoro speech (measured: a -2.0 ceiling decoded at -0.92 dBTP in the psoas session),
so -2.6 keeps the decoded file under -1 dBTP with room (bench/BED.md)."""
BED_CODEC_DB = 0.8
"""Over a bed the codec adds more (1.9 dB on Kokoro speech over rain, measured as above):
clips over a bed keep this much more room (render.bed_ceilings)."""
BLOCK = 1 << 16
BREATH_BELOW_LU = 18.0
"""The breath guide sits this far under the voice: a soft presence in the hold, under the
chimes, well over a bed at its default level."""


@dataclass(frozen=True)
class Levels:
    target_lufs: float = TARGET_LUFS
    """Integrated loudness of the speech alone: the voice sets the level."""
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


@dataclass(frozen=True)
class Gains:
    """Every clip's gain (dB), and the loudness it gives, as predicted before mixing."""

    gain: dict[Key, float]
    voice_lufs: float | None
    """The speech alone (BS.1770 over the speech events), decoded; None without words."""
    file_lufs: float
    """The whole file's integrated loudness, decoded: a result, not a target."""


def session_gains(plan: Plan, infos: dict[Key, ClipInfo], levels: Levels,
                  codec_loss_db: float = 0.0, bed: Bed | None = None,
                  heard: Callable[[Key, float], np.ndarray | None] | None = None) -> Gains:
    """The gain of every clip: the voice sets the level, everything else sits at a fixed
    distance from it.

    As broadcast anchors loudness on dialogue (ATSC A/85's anchor element), the speech
    alone, synthesized and recorded cues together, is brought to the target: each
    sentence to the target, then all of them together, through BS.1770's gates, to the
    target plus the encoder's known loss (so the decoded file meets it). Chimes, the
    breath guide and a bed keep their distance below the voice whatever the session's
    sparseness; the whole file's loudness follows from them and is reported.

    The loudness is predicted from the stored clips' 400 ms blocks (loudness.py): no
    audio is read or measured here. `heard(key, gain)` gives a clip's blocks as the
    limiter lets them through at that gain (None: untouched), so a raise the limiter
    would eat is seen and stepped again.
    """
    below = {"chime": levels.chime_below_lu, "breath": levels.breath_below_lu}
    gain = {k: min(levels.target_lufs - i.lufs - below.get(k[0], 0.0), MAX_GAIN_DB)
            for k, i in infos.items()}
    speech = [e for e in plan.events if e.kind == "speech"]
    if bed is not None:
        gain[("bed", bed.name)] = bed_lufs(levels, bed.level_lu, bool(speech)) - bed.lufs

    def voice_at(c: float) -> float:
        """The speech's loudness with every gain raised by c dB (as the limiter lets it),
        as a meter reads the speech events joined end to end: each clip's blocks that lie
        wholly inside it (a clip's blocks are measured padded with silence, as it sits in
        the session; the blocks over its edges would count that silence)."""
        def blocks(k: Key) -> tuple[np.ndarray, float]:
            b = heard(k, gain[k] + c) if heard is not None else None
            return (inside(b), 0.0) if b is not None else (inside(infos[k].blocks), gain[k] + c)
        return gated(blocks(_key(e)) for e in speech)

    correction = codec_loss_db
    if speech:
        want = levels.target_lufs + codec_loss_db
        correction = min(want - voice_at(0.0), MAX_RAISE_DB)
        c_prev, l_prev = 0.0, voice_at(0.0)
        for _ in range(4):  # the limiter gives less than asked: a few secant steps
            now = voice_at(correction)
            if abs(want - now) < 0.05 or correction in (c_prev, MAX_RAISE_DB):
                break
            slope = (now - l_prev) / (correction - c_prev)
            c_prev, l_prev = correction, now
            correction = min(correction + (want - now) / min(max(slope, 0.25), 1.0),
                             MAX_RAISE_DB)
    final = {k: g + correction for k, g in gain.items()}
    if bed is not None and speech:  # the bed keeps its distance from the voice as heard:
        # the raise that makes up what the limiter takes from the words is not the bed's
        free = gated((inside(infos[_key(e)].blocks), gain[_key(e)]) for e in speech)
        final[("bed", bed.name)] = gain[("bed", bed.name)] + min(want - free, MAX_RAISE_DB)
    voice = voice_at(correction) - codec_loss_db if speech else None
    return Gains(final, voice, _file_lufs(plan, infos, final, bed, heard) - codec_loss_db)


def inside(blocks: np.ndarray) -> np.ndarray:
    """A clip's 400 ms blocks that hold none of the 400 ms of padding either side
    (loudness.measure): all of them for a clip too short to have any."""
    return blocks[4:-4] if len(blocks) > 8 else blocks


MAX_RAISE_DB = 3.0
"""The most the voice is raised, as a whole, over its sentences' own level: past this,
the limiter would be flattening it."""
BED_ALONE_LUFS = -28.0
"""Where a bed plays at its default level when there is no voice to sit under: a
sit with rain alone is heard at the volume a guided session was set to, softly
(about 9 LU under a voice), not 26 LU under a voice that never comes."""
DEFAULT_BED_LEVEL_LU = -26.0


def bed_lufs(levels: Levels, level_lu: float, words: bool) -> float:
    """The bed's loudness: `level_lu` from the voice; without words, from BED_ALONE_LUFS
    as the default level would be (so `level` still moves it)."""
    if words:
        return levels.target_lufs + level_lu
    return BED_ALONE_LUFS + (level_lu - DEFAULT_BED_LEVEL_LU)


def _file_lufs(plan: Plan, infos: dict[Key, ClipInfo], gain: dict[Key, float],
               bed: Bed | None,
               heard: Callable[[Key, float], np.ndarray | None] | None = None) -> float:
    """The whole session's integrated loudness at these gains, each clip as the limiter
    lets it through (where `heard` says)."""
    sounding = [e for e in plan.events if e.kind.sounds]

    def level(k: Key) -> np.ndarray:
        b = heard(k, gain[k]) if heard is not None else None
        return b if b is not None else infos[k].blocks + gain[k]
    clips = [(e.start, level(_key(e)), 0.0) for e in sounding]
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
