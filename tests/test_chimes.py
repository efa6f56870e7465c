"""Measure the synthesized chimes: soft, inharmonic, gentle attack, clean ending, reproducible."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import find_peaks

from audio_builder.sound.chimes import SOUNDS, write_sounds

RATE = 44100
REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "sounds"

# name, (min, max) length in seconds, (min, max) fundamental in Hz
TABLE = [
    ("bell", (3.5, 4.5), (600.0, 1000.0)),
    ("bowl", (6.0, 8.0), (180.0, 280.0)),
]
NAMES = [name for name, _, _ in TABLE]


def test_table_covers_every_sound() -> None:
    assert sorted(SOUNDS) == sorted(NAMES)


def _dbfs(x: np.ndarray) -> float:
    peak = float(np.max(np.abs(x)))
    return -np.inf if peak == 0.0 else 20.0 * np.log10(peak)


def _spectral_peaks(x: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(frequency, magnitude) of spectral peaks at least 25 Hz apart, strongest first."""
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    bins_per_hz = len(x) / rate
    idx, _ = find_peaks(spectrum, distance=max(1, int(25 * bins_per_hz)))
    idx = idx[np.argsort(spectrum[idx])[::-1]]
    return [(float(freqs[i]), float(spectrum[i])) for i in idx]


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_float32_mono(name: str) -> None:
    a = SOUNDS[name](RATE)
    b = SOUNDS[name](RATE)
    assert a.dtype == np.float32
    assert a.ndim == 1
    assert np.array_equal(a, b)


@pytest.mark.parametrize(("name", "seconds", "_f0"), TABLE)
def test_length(name: str, seconds: tuple[float, float], _f0: tuple[float, float]) -> None:
    x = SOUNDS[name](RATE)
    lo, hi = seconds
    assert lo <= len(x) / RATE <= hi


@pytest.mark.parametrize("name", NAMES)
def test_peak_is_exactly_minus_6_dbfs(name: str) -> None:
    x = SOUNDS[name](RATE)
    assert abs(float(np.max(np.abs(x))) - 0.5) < 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_starts_and_ends_in_exact_silence(name: str) -> None:
    x = SOUNDS[name](RATE)
    assert x[0] == 0.0
    assert x[-1] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_no_dc_offset(name: str) -> None:
    x = SOUNDS[name](RATE)
    assert abs(float(np.mean(x.astype(np.float64)))) < 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_attack_is_gentle(name: str) -> None:
    x = np.abs(SOUNDS[name](RATE))
    peak = float(x.max())
    first_10ms = float(x[: RATE // 100].max())
    assert first_10ms < 0.4 * peak, "the first 10 ms must only swell, never strike"
    # no sample-to-sample jump in the first 5 ms either (a click would show up here)
    assert float(np.max(np.abs(np.diff(x[: RATE // 200])))) < 0.01
    assert int(np.argmax(x)) >= int(0.015 * RATE), "the peak must bloom after >= 15 ms"


@pytest.mark.parametrize("name", NAMES)
def test_decays_below_minus_60_dbfs(name: str) -> None:
    x = SOUNDS[name](RATE)
    assert _dbfs(x[-RATE // 10 :]) < -60.0


@pytest.mark.parametrize("name", NAMES)
def test_decay_is_monotone_per_second(name: str) -> None:
    """The loudest sample of each whole second keeps falling: no late swell or re-strike."""
    x = np.abs(SOUNDS[name](RATE))
    levels = [float(x[s * RATE : (s + 1) * RATE].max()) for s in range(len(x) // RATE)]
    assert all(b < a for a, b in zip(levels, levels[1:]))


@pytest.mark.parametrize(("name", "_seconds", "f0"), TABLE)
def test_spectrum_is_inharmonic(
    name: str, _seconds: tuple[float, float], f0: tuple[float, float]
) -> None:
    peaks = _spectral_peaks(SOUNDS[name](RATE), RATE)
    assert len(peaks) >= 3
    strongest = sorted(freq for freq, _ in peaks[:3])
    lowest = strongest[0]
    assert f0[0] <= lowest <= f0[1]
    for freq in strongest[1:]:
        ratio = freq / lowest
        assert ratio > 1.5
        assert abs(ratio - round(ratio)) > 0.1, f"{freq:.1f} Hz is a near-harmonic of {lowest:.1f}"


@pytest.mark.parametrize("name", NAMES)
def test_high_partials_stay_quiet(name: str) -> None:
    """Nothing above 3 kHz comes within 30 dB of the strongest partial: never piercing."""
    peaks = _spectral_peaks(SOUNDS[name](RATE), RATE)
    strongest = peaks[0][1]
    high = [mag for freq, mag in peaks if freq > 3000.0]
    assert all(20.0 * np.log10(mag / strongest) < -30.0 for mag in high)


def test_write_sounds_matches_shipped_files(tmp_path: Path) -> None:
    written = write_sounds(tmp_path / "new", RATE)
    assert [p.name for p in written] == [f"{name}.wav" for name in SOUNDS]
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == sorted(
        f"{name}.wav" for name in SOUNDS
    ), "no temp files may be left behind"
    for path in written:
        shipped = SHIPPED / path.name
        assert shipped.is_file(), f"run `make sounds` to create {shipped}"
        assert path.read_bytes() == shipped.read_bytes()


def test_write_sounds_is_byte_identical_on_rerun(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in write_sounds(tmp_path, RATE)}
    second = {p.name: p.read_bytes() for p in write_sounds(tmp_path, RATE)}
    assert first == second


@pytest.mark.parametrize("name", NAMES)
def test_shipped_wav_format(name: str) -> None:
    with wave.open(str(SHIPPED / f"{name}.wav"), "rb") as w:
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        assert w.getframerate() == RATE
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    expected = np.round(SOUNDS[name](RATE).astype(np.float64) * 32767).astype(np.int16)
    assert np.array_equal(frames, expected)
    assert frames[0] == 0 and frames[-1] == 0
