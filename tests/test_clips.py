"""The peak limiter: plain numpy, held to what scipy.ndimage's filters would give."""

import numpy as np
import pytest
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from audio_builder import RATE
from audio_builder.sound.clips import LIMITER_MS, limit, running_min


@pytest.mark.parametrize("width", [1, 2, 3, 8, 881, 5000])
def test_running_min_is_a_minimum_filter(width):
    x = np.random.default_rng(width).random(5000)
    expected = [x[i:i + width].min() for i in range(len(x) - width + 1)]
    assert np.array_equal(running_min(x, width), expected)


def test_limiter_keeps_the_ceiling_and_leaves_quiet_audio_alone():
    rng = np.random.default_rng(7)
    quiet = (rng.standard_normal(RATE) * 0.05).astype(np.float32)
    assert limit(quiet, -2.0) is quiet
    loud = np.concatenate([quiet, (rng.standard_normal(RATE) * 0.5).astype(np.float32), quiet])
    out = limit(loud, -2.0)
    assert out.dtype == np.float32 and len(out) == len(loud)
    assert np.abs(out).max() <= 10 ** (-2.0 / 20) * (1 + 1e-6)
    # far from the loud second, nothing changes
    margin = RATE * LIMITER_MS // 1000
    assert np.array_equal(out[:RATE - margin], loud[:RATE - margin])
    assert np.array_equal(out[2 * RATE + margin:], loud[2 * RATE + margin:])


def test_limiter_gain_is_smooth_and_matches_scipy():
    """Gain changes over the 20 ms window, never at once; same as the scipy recipe
    (minimum filter then moving average) away from the edges."""
    t = np.arange(2 * RATE) / RATE
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    x[RATE:RATE + 100] *= 4  # a short spike
    out = limit(x, -6.0)
    gain = np.divide(out, x, out=np.ones_like(out), where=np.abs(x) > 1e-3)
    width = RATE * LIMITER_MS // 1000 | 1
    ceiling = 10 ** (-6.0 / 20)
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(x), 1e-9))
    ref = uniform_filter1d(minimum_filter1d(need, width), width)
    inside = slice(width, len(x) - width)
    loud = np.abs(x[inside]) > 1e-3
    assert np.allclose(gain[inside][loud], ref[inside][loud], atol=1e-5)
    assert np.abs(np.diff(ref[inside])).max() < 0.01  # ~20 ms ramps


def test_limiting_only_around_peaks_changes_nothing():
    """Gain computed only near the samples over the ceiling equals gain computed over
    the whole clip: it is exactly 1 farther away."""
    from audio_builder.sound.clips import _limit_span

    rng = np.random.default_rng(3)
    x = (rng.standard_normal(10 * RATE) * 0.1).astype(np.float32)
    for at in (5, 3000, 3900, 90_000, 200_000, 10 * RATE - 3):  # near and far apart
        x[at] = 0.95
    assert np.array_equal(limit(x, -3.0), _limit_span(x, 10 ** (-3.0 / 20)))


@pytest.mark.parametrize("amplitude, spike", [(0.02, False), (0.02, True), (0.9, True)])
def test_a_clip_keeps_what_measuring_its_samples_gives(amplitude, spike, monkeypatch):
    """Loudness and blocks kept with a clip are those of its stored samples, whether the
    gain alone made them (quiet clips, measured once) or the limiter changed them."""
    from audio_builder.sound.clips import REF_LUFS, make_clip
    from audio_builder.sound.loudness import measure

    rng = np.random.default_rng(1)
    n = 22050 * 5
    x = np.sin(np.arange(n) * 0.05) * amplitude + rng.standard_normal(n) * amplitude / 5
    x[40000:60000] = 0  # a silent stretch inside
    if spike:
        x[70000] = amplitude * 40  # one spike that only the limiter can hold
    measured = []
    monkeypatch.setattr("audio_builder.sound.clips.measure",
                        lambda s: measured.append(1) or measure(s))
    clip = make_clip(x.astype(np.float32), 22050)
    # again only when the limiter worked: then once per pass giving back what it took
    assert (len(measured) > 1) == spike
    lufs, blocks = measure(clip.samples)
    audible = blocks > -100
    assert clip.lufs == pytest.approx(lufs, abs=1e-4)
    assert np.allclose(clip.blocks[audible], blocks[audible], atol=1e-4)
    assert (clip.blocks[~audible] < -100).all()
    assert clip.lufs == pytest.approx(REF_LUFS, abs=0.1 if spike else 0.5)
    assert clip.peak_db == pytest.approx(20 * np.log10(np.abs(clip.samples).max()))
