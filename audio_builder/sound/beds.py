"""The sound beds the project ships (`ambience: rain`, `ambience: ocean`), synthesized.

A bed plays under a whole session, for half an hour or more, so it must be calm and
must not draw attention to itself:

* periodic by construction: the noise is shaped in the frequency domain (a circular
  filter) and every event wraps around the end, so the file loops with no seam at all
  (the player still crossfades at the loop point, for beds that are not made here);
* long loops (45 s of rain, 64 s of ocean: seven waves of different sizes), so nothing
  audibly repeats; stored at the rate their spectrum needs (24 and 16 kHz), so the files
  stay near 2 MB each;
* no sharp edges: the spectrum rolls off above a few kHz (no hiss), raindrops rise over
  4 ms, waves swell over seconds.

The noise comes from splitmix64 over the sample index, written out in numpy, so the
files are the same bytes on every run and every machine; `make sounds` regenerates them::

    python -m audio_builder.sound.beds [FOLDER]
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .chimes import _write_wav

PEAK = 0.5
"""Peak of every stored bed (-6 dBFS); its level in a session is set by measuring it."""


def noise(n: int, seed: int) -> np.ndarray:
    """n uniform values in [-1, 1) from splitmix64: the same on every machine."""
    with np.errstate(over="ignore"):
        z = (np.arange(n, dtype=np.uint64) + np.uint64(seed)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -52 - 1.0


def shaped(n: int, rate: int, seed: int, gain: Callable[[np.ndarray], np.ndarray]
           ) -> np.ndarray:
    """Noise of n samples whose spectrum is `gain(frequency)`: a circular filter, so the
    result loops seamlessly."""
    spectrum = np.fft.rfft(noise(n, seed))
    f = np.fft.rfftfreq(n, 1 / rate)
    out = np.fft.irfft(spectrum * gain(f), n)
    return out / np.sqrt(np.mean(out ** 2))


def soften(x: np.ndarray, rate: int, cutoff: float) -> np.ndarray:
    """A gentle low-pass (2nd order) over the whole loop, circular so it stays seamless."""
    f = np.fft.rfftfreq(len(x), 1 / rate)
    return np.fft.irfft(np.fft.rfft(x) / np.sqrt(1 + (f / cutoff) ** 4), len(x))


def _band(lo: float, hi: float, order: int = 2) -> Callable[[np.ndarray], np.ndarray]:
    """Butterworth-like magnitude: high-pass at lo, low-pass at hi."""
    def gain(f: np.ndarray) -> np.ndarray:
        f = np.maximum(f, 1e-3)
        return 1 / np.sqrt(1 + (lo / f) ** (2 * order)) / np.sqrt(1 + (f / hi) ** (2 * order))
    return gain


def _cycle(t: np.ndarray, period: float, *terms: tuple[int, float, float]) -> np.ndarray:
    """1 + sum(depth * sin(2 pi k t / period + phase)): a slow drift that loops exactly."""
    out = np.ones_like(t)
    for k, depth, phase in terms:
        out += depth * np.sin(2 * np.pi * k * t / period + phase)
    return out


def _normalize(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    return (x * (PEAK / np.abs(x).max())).astype(np.float32)


RAIN_RATE, RAIN_SECONDS = 24000, 45
OCEAN_RATE, OCEAN_SECONDS = 16000, 64


def rain(rate: int = RAIN_RATE) -> np.ndarray:
    """Gentle rain: a soft hush (400 Hz - 5 kHz, tilted down) drifting by a dB or two,
    and a patter of small drops, none louder than the rest."""
    n = rate * RAIN_SECONDS
    t = np.arange(n) / rate
    tilt = _band(400, 5000)
    hush = shaped(n, rate, 1, lambda f: tilt(f) * (np.maximum(f, 100) / 1000) ** -0.3)
    hush *= _cycle(t, RAIN_SECONDS, (3, 0.12, 0.0), (7, 0.08, 1.3))
    drops = np.zeros(n)
    count = 22 * RAIN_SECONDS
    u = (noise(4 * count, 7) + 1) / 2
    when = np.sort((u[:count] * n).astype(np.int64))
    width = int(0.06 * rate)
    k = np.arange(width) / rate
    for i, start in enumerate(when):
        freq = 900 + 2100 * u[count + i]
        size = 0.35 + 0.65 * u[2 * count + i]
        decay = 0.008 + 0.02 * u[3 * count + i]
        rise = 0.5 - 0.5 * np.cos(np.pi * np.minimum(k / 0.004, 1.0))
        grain = size * rise * np.exp(-k / decay) * np.sin(2 * np.pi * freq * k)
        idx = (start + np.arange(width)) % n  # a drop near the end wraps to the start
        drops[idx] += grain
    drops *= 0.9 / np.sqrt(np.mean(drops ** 2))
    return _normalize(soften(hush + 0.45 * drops, rate, 4500))


def ocean(rate: int = OCEAN_RATE) -> np.ndarray:
    """A soft ocean: seven waves of different sizes and lengths (7-11 s), each a slow
    swell and a long wash, over a low rumble that never stops."""
    n = rate * OCEAN_SECONDS
    t = np.arange(n) / rate
    u = (noise(32, 11) + 1) / 2
    periods = 7 + 4 * u[:7]
    periods *= OCEAN_SECONDS / periods.sum()
    starts = np.concatenate(([0.0], np.cumsum(periods)[:-1])) + 2.0
    env = np.zeros(n)
    for i, (start, period) in enumerate(zip(starts, periods)):
        size = 0.55 + 0.45 * u[8 + i]
        rise = 0.4 * period
        local = (t - start) % OCEAN_SECONDS  # waves wrap around the loop
        swell = np.where(local < rise, 0.5 - 0.5 * np.cos(np.pi * local / rise), 0.0)
        wash = np.where(local >= rise, np.exp(-(local - rise) / (0.3 * period)), 0.0)
        env = np.maximum(env, size * (swell + wash))
    rumble = shaped(n, rate, 2, _band(40, 300))
    body = shaped(n, rate, 3, lambda f: _band(250, 2500)(f) * (np.maximum(f, 50) / 500) ** -0.5)
    foam = shaped(n, rate, 4, _band(1200, 4500))
    x = (0.5 * rumble * (0.6 + 0.4 * env) + 0.8 * body * (0.12 + env ** 1.5)
         + 0.25 * foam * env ** 3)
    return _normalize(x)


BEDS: dict[str, tuple[Callable[[int], np.ndarray], int]] = {
    "rain": (rain, RAIN_RATE), "ocean": (ocean, OCEAN_RATE)}
"""Every bed by name, with the rate its file is stored at."""


def write_beds(folder: Path) -> list[Path]:
    """Write `<name>.wav` for every bed into `folder`: byte-identical on every run."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (make, rate) in BEDS.items():
        path = folder / f"{name}.wav"
        _write_wav(path, make(rate), rate)
        written.append(path)
    return written
