"""Loudness (ITU-R BS.1770-4, by pyloudnorm).

Each clip is measured once, and its per-block loudness is kept with it. The loudness of
a whole session is then predicted from the blocks of the clips it plays, with their
gains, through the standard's two gates, so the file meets its target without a second
pass over the audio (the sounds never overlap: silence separates them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Protocol

import numpy as np

from .. import RATE

SILENT_LUFS = -70.0
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
_OFFSET = -0.691
SILENT_BLOCK = -200.0
"""Loudness given to a block of digital silence (whose loudness is -inf)."""


def measure(samples: np.ndarray) -> tuple[float, np.ndarray]:
    """Integrated loudness of a clip and the loudness of each of its 400 ms blocks.

    The clip is padded with 400 ms of silence on each side, as it sits in a session, so
    the blocks that straddle its edges are counted as they will be there.
    """
    import pyloudnorm

    pad = np.zeros(int(0.4 * RATE))
    x = np.concatenate([pad, samples.astype(np.float64), pad])
    meter = pyloudnorm.Meter(RATE)
    value = meter.integrated_loudness(x)
    blocks = np.asarray(meter.blockwise_loudness, dtype=np.float64)
    blocks[~np.isfinite(blocks)] = SILENT_BLOCK
    return (float(value) if np.isfinite(value) else SILENT_LUFS), blocks


class Measures(Protocol):
    """Where measurements are kept by content (the speech cache)."""

    def get_array(self, key: str) -> np.ndarray | None: ...

    def put_array(self, key: str, value: np.ndarray) -> None: ...


def measure_kept(samples: np.ndarray, kept: Measures | None) -> tuple[float, np.ndarray]:
    """measure(), remembered by the samples' content: a warm render measures nothing
    again (and never loads the meter)."""
    key = hashlib.sha256(np.ascontiguousarray(samples, np.float32).tobytes()).hexdigest()
    return measure_keyed(key, lambda: samples, kept)


def measure_keyed(what: str, make: Callable[[], np.ndarray], kept: Measures | None
                  ) -> tuple[float, np.ndarray]:
    """measure() of the samples `make` gives, remembered under `what` (a description
    that fixes them: a clip's content key, its gain and ceiling), so a warm render
    neither makes them nor measures them again."""
    if kept is None:
        return measure(make())
    key = hashlib.sha256(b"bs1770-v2:" + what.encode()).hexdigest()
    found = kept.get_array(key)
    if found is not None and len(found) >= 1:
        return float(found[0]), found[1:]
    lufs, blocks = measure(make())
    kept.put_array(key, np.concatenate([[lufs], blocks]))
    return lufs, blocks


def gated(blocks: Iterable[tuple[np.ndarray, float]]) -> float:
    """Integrated loudness of a session made of clips: (block loudness, gain in dB) each."""
    parts = [b + g for b, g in blocks if len(b)]
    if not parts:
        return SILENT_LUFS
    level = np.concatenate(parts)
    power = 10 ** ((level - _OFFSET) / 10)
    above = level >= ABSOLUTE_GATE
    if not above.any():
        return SILENT_LUFS
    relative = _OFFSET + 10 * np.log10(power[above].mean()) + RELATIVE_GATE
    kept = above & (level > relative)
    return float(_OFFSET + 10 * np.log10(power[kept].mean()))
