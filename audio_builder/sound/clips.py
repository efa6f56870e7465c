"""Shaping audio clips: one rate, trimmed edges, short fades, loudness and peak figures.

Every clip, spoken or chime, passes through here once so that the mixer only places
samples. Loudness is measured per clip (loudness.py) and kept with the cached clip, so the whole
session never needs a second pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from .. import RATE
from .loudness import SILENT_BLOCK, gated, measure

FADE_IN_MS = 8
FADE_OUT_MS = 25
TRIM_DB = -45.0
"""Leading and trailing audio quieter than this (relative to the clip's peak) is cut."""
KEEP_MS = (15, 60)
"""Kept before the first and after the last audible sample: breath and natural decay."""
SHAPING = {"rate": RATE, "fade_ms": [FADE_IN_MS, FADE_OUT_MS], "trim_db": TRIM_DB,
           "keep_ms": list(KEEP_MS), "resample": "poly", "blocks": "pad400",
           "ref_lufs": -19.0, "ref_ceiling_db": -2.5, "limiter_ms": 20, "limiter": "numpy",
           "peak": "sample", "refill_db": 0.1}
"""Everything that shapes a cached clip: part of every cache key."""


@dataclass(frozen=True)
class ClipInfo:
    """What is known of a clip without its samples: enough to plan and to set levels."""

    length: int
    lufs: float
    peak_db: float
    blocks: np.ndarray


@dataclass(frozen=True)
class Clip:
    """Mono float32 samples at RATE with their measured loudness and peak."""

    samples: np.ndarray
    lufs: float
    peak_db: float
    """Sample peak in dBFS, before any gain (the limiter works on sample peaks; the
    finished file's true peak is what tests measure)."""
    blocks: np.ndarray
    """Loudness of each 400 ms block (75% overlap), for predicting a session's loudness."""

    @property
    def length(self) -> int:
        return len(self.samples)

    @property
    def info(self) -> ClipInfo:
        return ClipInfo(self.length, self.lufs, self.peak_db, self.blocks)


def to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Resample to RATE with a polyphase filter (exact length: ceil(n * RATE / rate))."""
    if rate == RATE:
        return samples.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(RATE, rate)
    return resample_poly(samples.astype(np.float64), RATE // g, rate // g).astype(np.float32)


def trim(samples: np.ndarray) -> np.ndarray:
    """Cut leading and trailing near-silence, keeping a little air at each end."""
    if not len(samples):
        return samples
    level = np.abs(samples)
    thresh = level.max() * 10 ** (TRIM_DB / 20)
    loud = np.flatnonzero(level > thresh)
    if not len(loud):
        return samples[:0]
    a = max(0, loud[0] - RATE * KEEP_MS[0] // 1000)
    b = min(len(samples), loud[-1] + 1 + RATE * KEEP_MS[1] // 1000)
    return samples[a:b]


def fade_edges(samples: np.ndarray, fade_in_ms: int = FADE_IN_MS,
               fade_out_ms: int = FADE_OUT_MS) -> np.ndarray:
    """Raised-cosine fades so no edge clicks (pydub issue #423); ends at exactly 0."""
    out = samples.astype(np.float32, copy=True)
    for n, rev in ((RATE * fade_in_ms // 1000, False), (RATE * fade_out_ms // 1000, True)):
        n = min(n, len(out) // 2)
        if n <= 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)).astype(np.float32)
        if rev:
            out[len(out) - n:] *= ramp[::-1]
        else:
            out[:n] *= ramp
    if len(out):
        out[0] = out[-1] = 0.0
    return out


REF_LUFS = -19.0
"""Every clip is stored at this loudness, its peaks limited, so that rendering only
applies small gains and seldom needs the limiter or a new measurement."""
REF_CEILING_DB = -2.5
"""Sample-peak ceiling of a stored clip: 0.5 dB of room for the session's correction."""
MAX_GAIN_DB = 40.0
"""Never lift a near-silent clip into noise."""


def make_clip(samples: np.ndarray, rate: int, trim_edges: bool = True) -> Clip:
    """Raw audio at any rate -> a shaped Clip at RATE: at REF_LUFS, peaks limited, measured.

    This is the costly part (resampling, measuring loudness); it runs once per text, in
    the parent while Piper's workers speak the next texts, and its result is cached.
    A gain moves every block's loudness by the gain, so the clip is measured again only
    if the limiter changed it.
    """
    x = to_rate(samples, rate)
    if trim_edges:
        x = trim(x)
    x = fade_edges(x)
    raw_lufs, raw_blocks = measure(x)
    gain_db = min(REF_LUFS - raw_lufs, MAX_GAIN_DB)
    scaled = x * np.float32(10 ** (gain_db / 20))
    x = limit(scaled, REF_CEILING_DB)
    if x is scaled:
        blocks = np.where(raw_blocks > SILENT_BLOCK, raw_blocks + gain_db, SILENT_BLOCK)
        lufs = gated([(blocks, 0.0)])
    else:
        lufs, blocks = _refill(x)
    peak = float(np.abs(x).max()) if len(x) else 0.0
    return Clip(x, lufs, 20 * float(np.log10(max(peak, 1e-6))), blocks)


REFILL_PASSES = 4
REFILL_DB = 0.1
MAX_REFILL_DB = 6.0


def _refill(x: np.ndarray) -> tuple[float, np.ndarray]:
    """Give back, in a few passes, the loudness the limiter took, so every stored clip sits
    at REF_LUFS whatever its crest factor: a peaky voice (Piper's, or a close microphone)
    would otherwise end up to 1.5 LU under a smooth one, sentence by sentence. Returns
    the clip's loudness and blocks; `x` is changed in place."""
    lufs, blocks = measure(x)
    added = 0.0
    for _ in range(REFILL_PASSES):
        boost = min(REF_LUFS - lufs, MAX_REFILL_DB - added)
        if boost < REFILL_DB or not np.isfinite(lufs):
            break
        x[:] = limit(x * np.float32(10 ** (boost / 20)), REF_CEILING_DB)
        added += boost
        lufs, blocks = measure(x)
    return lufs, blocks


LIMITER_MS = 20
"""Window of the limiter's gain: long enough not to ripple within a voice's period."""
_HALF = RATE * LIMITER_MS // 2000
"""Half the window, in samples: a sample's gain depends on the need within 2 * _HALF."""


def limit(samples: np.ndarray, ceiling_db: float) -> np.ndarray:
    """A look-ahead peak limiter: smooth gain that keeps |x| under the ceiling.

    The needed gain is min-filtered then averaged over the same window, so the smoothed
    gain never exceeds what any sample needs, and changes over ~20 ms, not at once.
    Gain is computed only around the samples over the ceiling (it is exactly 1 farther
    than a window from all of them), in plain numpy: a render should not pay for
    importing scipy.ndimage, nor for filtering seconds of speech that need nothing.
    """
    ceiling = 10 ** (ceiling_db / 20)
    over = np.flatnonzero(np.abs(samples) > ceiling)
    if not len(over):
        return samples
    reach = 2 * _HALF + 1
    out = samples.copy()
    breaks = np.flatnonzero(np.diff(over) > 2 * reach)
    for first, last in zip(np.r_[over[0], over[breaks + 1]], np.r_[over[breaks], over[-1]]):
        a, b = max(0, first - reach), min(len(samples), last + reach + 1)
        out[a:b] = _limit_span(samples[a:b], ceiling)
    return out


def _limit_span(samples: np.ndarray, ceiling: float) -> np.ndarray:
    width = 2 * _HALF + 1
    level = np.abs(samples).astype(np.float64)
    need = np.minimum(1.0, ceiling / np.maximum(level, 1e-9))
    floor = running_min(np.pad(need, 2 * _HALF, constant_values=1.0), width)
    sums = np.concatenate(([0.0], np.cumsum(floor)))
    gain = (sums[width:] - sums[:-width]) / width
    return (samples * np.minimum(gain, need)).astype(np.float32)


def running_min(x: np.ndarray, width: int) -> np.ndarray:
    """min(x[i:i + width]) for every whole window (van Herk/Gil-Werman: O(n), any width)."""
    n = len(x)
    blocks = -(-n // width)
    padded = np.pad(x, (0, blocks * width - n), constant_values=np.inf).reshape(blocks, width)
    ahead = np.minimum.accumulate(padded, axis=1).ravel()
    behind = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(behind[:n - width + 1], ahead[width - 1:n])
