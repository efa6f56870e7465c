"""The sound bed under a session: read once, looped block by block, faded in and out,
and ducked under speech where the plan says words are (never by listening to the mix).

Memory stays flat: only the loop (at most MAX_BED_S) is held, and each block of the
session is read from it by position, so any length costs the same. Every block is a pure
function of its position, so the encoder's parts can ask for theirs at once.
"""

from __future__ import annotations

import subprocess
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import RATE
from ..errors import ScriptError, Where
from ..ffmpeg import OWN_GROUP, ffmpeg_exe
from ..mp3.frames import FRAME
from ..plan import Plan
from ..script.model import Ambience
from .loudness import _OFFSET, SILENT_BLOCK, Measures, gated, measure_kept
from .named import resolve

MIN_BED_S = 10
"""A shorter file would repeat every few seconds, and a 3 s crossfade would be most of it."""
MAX_BED_S = 600
"""Ten minutes of music is plenty to loop; longer files would only cost memory."""
CROSSFADE_S = 3.0
"""Equal-power crossfade at the loop point: no click, no level dip for unrelated material."""
GRID_CHOICES = 24
"""Crossfade lengths tried (a frame apart) for the loop point whose ends match best."""
FADE_IN_S, FADE_OUT_S = 4.0, 6.0
DUCK_LEAD_S = 1.5
"""The bed starts going down this long before the words, so the first word is clear."""
DUCK_RELEASE_S = 3.0
"""...and comes back over this long after the words: no pumping between sentences."""
ENVELOPE_STEP = 32
"""Samples between the points where the bed's envelope is computed (see samples)."""
HOP = RATE // 10
"""BS.1770 blocks are 400 ms, every 100 ms."""


@dataclass(frozen=True)
class Bed:
    """A bed ready to play: its loop and what was measured of it."""

    name: str
    loop: np.ndarray
    """float32 at RATE; repeated end to start it has no seam."""
    lufs: float
    power: np.ndarray
    """K-weighted power of the loop's 400 ms blocks, one every HOP from its start (wrapping
    round its end): the bed's part in every block of a session, fluctuations included,
    for predicting the session's loudness through the gates."""
    peak: float
    """Sample peak of the loop, linear."""
    level_lu: float
    duck_db: float


def _decode(path: Path, limit_s: float) -> np.ndarray:
    """At most `limit_s` of any audio file, mono float32 at RATE."""
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path),
                           "-t", str(limit_s), "-f", "f32le", "-ac", "1", "-ar", str(RATE),
                           "pipe:1"], capture_output=True, process_group=OWN_GROUP)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else "ffmpeg could not read it")
    return np.frombuffer(proc.stdout, dtype="<f4").copy()


def grid_crossfade(samples: np.ndarray) -> int:
    """The crossfade that leaves a loop of whole MP3 frames: at least CROSSFADE_S, and of
    the lengths that do (a frame apart, up to GRID_CHOICES frames longer), the one whose
    two ends are most alike, so a tonal bed meets itself in phase. A loop on the frame
    grid is encoded once and its frames copied wherever the bed plays alone (mp3/loop.py);
    a resample would have changed the bed's pitch instead."""
    n = len(samples)
    first = int(CROSSFADE_S * RATE)
    first += (n - first) % FRAME
    choices = [first + k * FRAME for k in range(GRID_CHOICES) if n - first - k * FRAME >= FRAME]
    return max(choices or [first], key=lambda c: _alike(samples[:c], samples[n - c:]))


def _alike(head: np.ndarray, tail: np.ndarray) -> float:
    """Correlation of the loop's two ends (1: the same sound, in phase)."""
    a, b = head.astype(np.float64), tail.astype(np.float64)
    norm = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return float(np.sum(a * b) / norm) if norm > 0 else 0.0


def make_loop(samples: np.ndarray, crossfade: int) -> np.ndarray:
    """The file's end crossfaded into its start: a loop len - crossfade long whose last
    sample leads into its first as the file's own samples do.

    The crossfade keeps the power constant whatever the two ends have in common: equal
    power for unrelated sound (noise, most music), equal gain for the same sound (a steady
    tone), and in between by their measured correlation r: a² + b² + 2rab = 1.
    """
    n = len(samples)
    head = samples[:crossfade].astype(np.float64)
    tail = samples[n - crossfade:].astype(np.float64)
    norm = float(np.sqrt(np.sum(head ** 2) * np.sum(tail ** 2)))
    r = float(np.clip(np.sum(head * tail) / norm, -0.8, 1.0)) if norm > 0 else 0.0
    theta = np.arange(crossfade) / crossfade * (np.pi / 2)
    k = 1 / np.sqrt(1 + r * np.sin(2 * theta))
    loop = samples[:n - crossfade].astype(np.float32, copy=True)
    loop[:crossfade] = (k * (head * np.sin(theta) + tail * np.cos(theta))).astype(np.float32)
    return loop


def load_bed(ambience: Ambience, script_path: Path | None, kept: Measures | None = None
             ) -> Bed:
    """The named bed, checked and measured (the measures `kept` by content, so a warm
    render does not measure it again); ScriptError at the ambience's line if it is
    unknown, leads out of its folder, is not audio, is silent, too short or too long."""
    where = Where(script_path, ambience.line or None)
    name = ambience.sound
    path = resolve(name, script_path, ambience.line or None)
    try:
        samples = _decode(path, MAX_BED_S + 1)
    except (ValueError, OSError) as exc:
        reason = str(exc).strip()[:80] or type(exc).__name__
        raise ScriptError(f"ambience '{name}' ({path.name}) is not readable audio: {reason}",
                          where) from None
    seconds = len(samples) / RATE
    if len(samples) < 100 or not np.any(samples):
        raise ScriptError(f"ambience '{name}' ({path.name}) is empty or silent", where)
    if seconds < MIN_BED_S:
        raise ScriptError(f"ambience '{name}' ({path.name}) lasts {seconds:.1f}s; a bed must "
                          f"last at least {MIN_BED_S}s to loop without repeating audibly", where)
    if seconds > MAX_BED_S:
        raise ScriptError(f"ambience '{name}' ({path.name}) lasts more than {MAX_BED_S // 60}m;"
                          " a bed is looped, so cut it to 10 minutes or less", where)
    loop = make_loop(samples, grid_crossfade(samples))
    lufs, _ = measure_kept(loop, kept)
    _, blocks = measure_kept(np.concatenate([loop, loop[:4 * HOP]]), kept)  # round the seam
    count = -(-len(loop) // HOP)
    power = 10 ** ((blocks[4:4 + count] - _OFFSET) / 10)
    return Bed(name, loop, lufs, power, float(np.abs(loop).max()), ambience.level_lu,
               ambience.duck_db)


def _rc(x: np.ndarray) -> np.ndarray:
    """Raised-cosine 0 -> 1 over x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


class BedTrack:
    """The bed along one plan: gain envelope (fades, duck) and samples for any stretch."""

    def __init__(self, bed: Bed, plan: Plan, gain_db: float) -> None:
        self.bed = bed
        self.total = plan.total
        self.gain = float(10 ** (gain_db / 20))
        words = [e for e in plan.events if e.kind == "speech"]
        self.starts = [e.start for e in words]
        self.ends = [e.start + e.length for e in words]
        self.lead, self.release = int(DUCK_LEAD_S * RATE), int(DUCK_RELEASE_S * RATE)

    def duck_weight(self, a: int, b: int, step: int = 1) -> np.ndarray:
        """How far ducked (0: not, 1: fully) at positions a, a + step, ... < b."""
        pos = np.arange(a, b, step, dtype=np.int64)
        w = np.zeros(len(pos))
        first = bisect_right(self.ends, a - self.release)
        last = bisect_left(self.starts, b + self.lead)
        for s, e in zip(self.starts[first:last], self.ends[first:last]):
            lo = np.searchsorted(pos, s - self.lead)
            hi = np.searchsorted(pos, e + self.release)
            p = pos[lo:hi]
            shape = np.minimum(_rc((p - (s - self.lead)) / self.lead),
                               _rc(((e + self.release) - p) / self.release))
            np.maximum(w[lo:hi], shape, out=w[lo:hi])
        return w

    def envelope(self, a: int, b: int, step: int = 1) -> np.ndarray:
        """Linear gain (bed level, fades and duck) at positions a, a + step, ... < b."""
        gain = np.full(len(range(a, b, step)), self.gain)
        fade_in, fade_out = FADE_IN_S * RATE, FADE_OUT_S * RATE
        if a < fade_in or b > self.total - fade_out:  # only near the ends: cos is costly
            pos = np.arange(a, b, step, dtype=np.float64)
            gain *= np.minimum(_rc(pos / fade_in), _rc((self.total - pos) / fade_out))
        w = self.duck_weight(a, b, step)
        ducked = np.flatnonzero(w)
        if len(ducked):
            lo, hi = ducked[0], ducked[-1] + 1
            gain[lo:hi] *= 10 ** (-self.bed.duck_db * w[lo:hi] / 20)
        return gain

    def changing(self) -> list[tuple[int, int]]:
        """(start, length) of every stretch where the bed is not at its steady level:
        the fades, and each duck from its lead to its release. Elsewhere (sounds apart)
        the session is the loop at `gain`, which mp3/loop.py copies as frames."""
        fade_in, fade_out = int(FADE_IN_S * RATE), int(FADE_OUT_S * RATE)
        spans = [(0, fade_in), (self.total - fade_out, fade_out)]
        spans += [(s - self.lead, e - s + self.lead + self.release)
                  for s, e in zip(self.starts, self.ends)]
        return [(max(0, a), min(self.total, a + n) - max(0, a)) for a, n in spans]

    def samples(self, a: int, b: int) -> np.ndarray:
        """The bed's samples for [a, b) of the session: the loop from its position, times
        the envelope, which is smooth (its shortest ramp is 1.5 s), so it is computed every
        ENVELOPE_STEP samples on a fixed grid and drawn straight between (exact at the
        steady level; an error under 1e-6 in the ramps): the same samples in any part."""
        loop, n = self.bed.loop, b - a
        g0 = a - a % ENVELOPE_STEP
        grid = self.envelope(g0, b + ENVELOPE_STEP, ENVELOPE_STEP)
        ramp = np.arange(ENVELOPE_STEP) / ENVELOPE_STEP
        env = (grid[:-1, None] + np.diff(grid)[:, None] * ramp).ravel()[a - g0:a - g0 + n]
        out = np.empty(n, np.float32)
        done, at = 0, a % len(loop)
        while done < n:  # the loop from its position, wrapping round its end
            take = min(n - done, len(loop) - at)
            out[done:done + take] = loop[at:at + take]
            done, at = done + take, 0
        out *= env
        return out


def predict_loudness(track: BedTrack, clips: list[tuple[int, np.ndarray, float]]) -> float:
    """Integrated loudness of a session with a bed: the clips' 400 ms blocks (start, block
    loudness, gain) placed on the session's block grid, the bed's power added to every
    block as its envelope says (powers of unrelated sounds add), then the two gates."""
    n = max(1, (track.total - 4 * HOP) // HOP + 1)
    power = np.zeros(n)
    for start, blocks, gain in clips:
        j = round(start / HOP) - 4 + np.arange(len(blocks))
        ok = (j >= 0) & (j < n) & (blocks > SILENT_BLOCK)
        power[j[ok]] += 10 ** ((blocks[ok] + gain - _OFFSET) / 10)
    step = RATE // 100
    env = track.envelope(0, (n + 3) * HOP, step) / track.gain
    segment = (env[:len(env) // 10 * 10] ** 2).reshape(-1, 10).mean(axis=1)
    segment = np.pad(segment, (0, max(0, n + 3 - len(segment))))
    bed = (segment[:n] + segment[1:n + 1] + segment[2:n + 2] + segment[3:n + 3]) / 4
    loop = track.bed.power
    where = np.round((np.arange(n) * HOP % len(track.bed.loop)) / HOP).astype(np.int64)
    power += bed * loop[where % len(loop)] * track.gain ** 2
    level = np.where(power > 0, _OFFSET + 10 * np.log10(np.maximum(power, 1e-30)),
                     SILENT_BLOCK)
    return gated([(level, 0.0)])
