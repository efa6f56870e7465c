"""The breath guide's sound: for each guided breath, a soft low tone that rises in pitch
and swells as the listener breathes in, then falls and fades as they breathe out.

Nothing here startles: the tone is low (131-196 Hz, a few quiet harmonics), every swell
rises over more than half its phase, and each phase ends at exact silence a little before
its end, so the listener hears air between the guide and whatever comes next.
"""

from __future__ import annotations

import numpy as np

from .. import RATE
from ..plan import Event, Plan
from .clips import Clip, make_clip

LOW_HZ, HIGH_HZ = 131.0, 196.0
"""The tone glides C3 -> G3 breathing in, G3 -> C3 breathing out."""
HARMONICS = ((1, 1.0), (2, 0.25), (3, 0.08))
AIR = 0.15
"""Fraction of each phase left silent at its end."""


def _phase(n: int, f0: float, f1: float, rise: float) -> np.ndarray:
    """n samples of a tone gliding f0 -> f1, swelling over `rise` of its sounding part."""
    if n <= 0:
        return np.zeros(0, np.float32)
    sounding = int(n * (1 - AIR))
    x = np.arange(sounding) / max(sounding, 1)
    freq = f0 + (f1 - f0) * (0.5 - 0.5 * np.cos(np.pi * x))
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    tone = sum(a * np.sin(k * phase) for k, a in HARMONICS)
    up = 0.5 - 0.5 * np.cos(np.pi * np.minimum(x / rise, 1.0))
    down = 0.5 - 0.5 * np.cos(np.pi * np.minimum((1 - x) / (1 - rise), 1.0))
    out = np.zeros(n)
    out[:sounding] = tone * up * down
    return out.astype(np.float32)


def breath_sound(length: int, inhale: int) -> np.ndarray:
    """One guided breath of `length` samples, the first `inhale` of them breathing in."""
    inhale = min(inhale, length)
    return np.concatenate([_phase(inhale, LOW_HZ, HIGH_HZ, 0.6),
                           _phase(length - inhale, HIGH_HZ, LOW_HZ, 0.3)])


def breath_key(e: Event) -> tuple[str, str]:
    return ("breath", f"{e.inhale}:{e.length}")


def guide_clips(plan: Plan) -> dict[tuple[str, str], Clip]:
    """Every distinct guided breath of the plan, shaped and measured like any clip."""
    out: dict[tuple[str, str], Clip] = {}
    for e in plan.events:
        if e.kind == "breath" and breath_key(e) not in out:
            out[breath_key(e)] = make_clip(breath_sound(
                e.length, e.inhale if e.inhale is not None else e.length // 2),
                                           RATE, trim_edges=False)
    return out
