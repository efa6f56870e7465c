"""Between the words, rendered: the real voice, the real ffmpeg, the MP3 decoded and
measured. The bed's level in a hold, its duck under speech (against the same session
without it), its loop point, the breath guide where the plan puts it and nowhere else,
loudness and peaks, and a session without words rendered with the network closed."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from conftest import DATA, write_script
from scipy.signal import butter, sosfiltfilt
from test_between import tone
from test_production import true_peak_db, voice_lufs

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.mp3.encode import decode
from audio_builder.mp3.tags import read_chapters
from audio_builder.sound.bed import CROSSFADE_S, DUCK_LEAD_S, DUCK_RELEASE_S
from audio_builder.sound.beds import RAIN_SECONDS

SESSION = """title: Between
breath: {in: 2s, out: 3s}
chime: bell
intro:
  - "Welcome. Find a position that feels comfortable to you, lying down or seated."
  - "Everything here is an invitation; you can stop or change anything at any time."
poses:
  - name: Long Rest
    hold: 51s
    cues:
      - "When you're ready, lie down softly and let the floor hold your weight."
      - "If it feels right, let your eyes close, or rest your gaze on one spot."
  - name: Breathing
    hold: 3..4 breaths
    cues:
      - "Now, if you like, breathe with the sound: in as it rises, out as it falls."
outro:
  - "Thank you for practising with me. Take your time before you get up."
"""
METER = pyloudnorm.Meter(RATE)


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def renders(tmp_path_factory, speech_cache):
    """The session rendered plain, with rain and the guide, with the guide alone, and over
    a teacher's own bed (a 40 Hz tone, which the voice barely reaches, ducked 10 dB)."""
    folder = tmp_path_factory.mktemp("between")
    script = write_script(folder, SESSION)
    tone(folder / "sounds" / "hum.wav", 12.0)
    hum = write_script(folder, SESSION.replace("chime: bell", "chime: bell\nambience: "
                                               "{sound: hum, duck: 10}"), "hum.yaml")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    out = {}
    for name, path, args in (("plain", script, ()),
                             ("rain", script, ("--ambience", "rain", "--breath-guide")),
                             ("guide", script, ("--breath-guide",)),
                             ("hum", hum, ())):
        run("render", path, "-o", folder / f"{name}.mp3", *args)
        plan = json.loads(run("plan", path, "--json", *args))
        out[name] = (folder / f"{name}.mp3", plan, decode(folder / f"{name}.mp3"))
    mp.undo()
    return out


def span(audio: np.ndarray, a: float, b: float) -> np.ndarray:
    return audio[int(a * RATE):int(b * RATE)].astype(np.float64)


def events(plan: dict, kind: str) -> list[dict]:
    return [e for e in plan["events"] if e["kind"] == kind]


@pytest.mark.parametrize("name", ["plain", "rain", "guide", "hum"])
def test_loudness_peak_length_and_chapters(renders, name):
    path, plan, audio = renders[name]
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)  # the voice sets it
    assert true_peak_db(audio) <= -1.0
    assert abs(len(audio) / RATE - plan["length_s"]) < 0.001
    chapters = read_chapters(path)
    assert [c.title for c in chapters] == ["Welcome", "Long Rest", "Breathing", "Closing"]
    for got, want in zip(chapters, plan["chapters"]):
        assert abs(got.start_ms / 1000 - want["start_s"]) <= 0.05


def test_plan_is_the_same_with_and_without_a_bed(renders):
    strip = [{k: v for k, v in e.items()} for e in renders["guide"][1]["events"]]
    assert renders["rain"][1]["events"] == strip
    assert renders["rain"][1]["ambience"] == "rain"


def _voice_and_hold(render) -> tuple[float, float, tuple[float, float]]:
    _, plan, audio = render
    words = np.concatenate([span(audio, e["start_s"], e["start_s"] + e["duration_s"])
                            for e in events(plan, "speech")])
    hold = next(e for e in events(plan, "hold") if e["duration_s"] >= 50)
    quiet = (hold["start_s"] + DUCK_RELEASE_S + 1, hold["start_s"] + hold["duration_s"] - 1)
    return METER.integrated_loudness(words), METER.integrated_loudness(span(audio, *quiet)), quiet


def test_bed_level_in_a_hold_is_what_was_asked(renders):
    voice, bed, _ = _voice_and_hold(renders["rain"])
    assert bed - voice == pytest.approx(-26.0, abs=2.0)  # the default level
    plain_voice, _, quiet = _voice_and_hold(renders["plain"])
    assert np.abs(span(renders["plain"][2], *quiet)).max() < 1e-3  # no bed: digital silence
    assert voice == pytest.approx(plain_voice, abs=1.0)  # the bed does not change the voice


def _hum(audio: np.ndarray) -> np.ndarray:
    """The 40 Hz bed's level, in dB, every 100 ms (a narrow band the voice barely reaches)."""
    band = sosfiltfilt(butter(4, [30, 50], "bandpass", fs=RATE, output="sos"),
                       audio.astype(np.float64))
    win = RATE // 10
    n = len(band) // win
    rms = np.sqrt(np.mean(band[:n * win].reshape(n, win) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9))


def test_duck_under_speech_follows_the_plan(renders):
    _, plan, audio = renders["hum"]
    level = _hum(audio)
    baseline = _hum(renders["plain"][2])  # the same session without the bed

    def at(t: float) -> float:
        return float(level[int(t * 10)])

    hold = next(e for e in events(plan, "hold") if e["duration_s"] >= 50)
    full = np.median(level[int((hold["start_s"] + 5) * 10):int((hold["start_s"] + 45) * 10)])
    words = events(plan, "speech")
    for n, e in enumerate(words):
        start, end = e["start_s"], e["start_s"] + e["duration_s"]
        under = at((start + end) / 2)
        assert full - under == pytest.approx(10.0, abs=1.0), f"duck under '{e['text']}'"
        # it is the bed we hear: well over what the voice itself has at 40 Hz
        assert under > float(baseline[int((start + end) * 5)]) + 6
        previous = words[n - 1]["start_s"] + words[n - 1]["duration_s"] if n else -99.0
        if start - previous > DUCK_LEAD_S + DUCK_RELEASE_S:  # after a quiet stretch:
            before = at(start - DUCK_LEAD_S / 2)  # already going down before the word
            assert under + 2 < before < full - 2
    last = plan["events"][-1]
    e = events(plan, "speech")[3]  # the last cue before the long hold
    end = e["start_s"] + e["duration_s"]
    assert at(end + DUCK_RELEASE_S / 2) < full - 2  # still coming back
    assert at(end + DUCK_RELEASE_S + 0.3) == pytest.approx(full, abs=1.0)  # back
    assert at(1.0) < full - 6 and at(last["start_s"] + last["duration_s"] - 0.5) < full - 6


def test_no_discontinuity_at_the_loop_points(renders):
    _, plan, audio = renders["rain"]
    hold = next(e for e in events(plan, "hold") if e["duration_s"] >= 50)
    seam = RAIN_SECONDS - CROSSFADE_S  # the loop's length: the bed's first loop point
    assert hold["start_s"] + DUCK_RELEASE_S + 1 < seam < hold["start_s"] + hold["duration_s"] - 2
    x = span(audio, seam - 2.0, seam + 2.0)
    win = RATE // 20
    rms = np.array([np.sqrt(np.mean(x[a:a + win] ** 2)) for a in range(0, len(x) - win, win)])
    db = 20 * np.log10(rms / np.median(rms))
    assert np.abs(db).max() < 3.0  # no dip, no bump around the seam
    steps = np.abs(np.diff(x))
    middle = len(x) // 2
    assert steps[middle - 200:middle + 200].max() < 4 * np.percentile(steps, 99)


def test_guide_sounds_where_the_plan_puts_it_and_nowhere_else(renders):
    _, plan, audio = renders["guide"]
    breaths = events(plan, "breath")
    assert len(breaths) == 4
    margin = 0.06
    for e in plan["events"]:
        part = span(audio, e["start_s"] + margin, e["start_s"] + e["duration_s"] - margin)
        if e["kind"] in ("silence", "gap", "hold", "rest"):
            assert np.abs(part).max() < 1e-3, f"sound in the silence at {e['start_s']}s"
        elif e["kind"] == "breath":
            win = RATE // 10
            levels = np.array([np.sqrt(np.mean(part[a:a + win] ** 2))
                               for a in range(0, len(part) - win, win)])
            assert levels.max() > 0.003, f"no breath sound at {e['start_s']}s"
            assert levels[0] < 0.2 * levels.max()  # a gentle onset, never a start
            peak_at = np.argmax(np.abs(np.fft.rfft(part)))
            assert peak_at / (len(part) / RATE) < 250  # low
    words = METER.integrated_loudness(np.concatenate(
        [span(audio, e["start_s"], e["start_s"] + e["duration_s"])
         for e in events(plan, "speech")]))
    guide = METER.integrated_loudness(np.concatenate(
        [span(audio, e["start_s"], e["start_s"] + e["duration_s"]) for e in breaths]))
    assert 8 < words - guide < 20  # soft, under the voice


def test_bed_render_is_repeatable(renders, tmp_path, speech_cache):
    first = renders["rain"][0]
    again = tmp_path / "again.mp3"
    script = write_script(tmp_path, SESSION)
    run("render", script, "-o", again, "--ambience", "rain", "--breath-guide")
    assert hashlib.sha256(again.read_bytes()).digest() == \
        hashlib.sha256(first.read_bytes()).digest()


WORDLESS = """title: Silent Practice
voice: {engine: gtts}
breath: 4s
breath_guide: true
ambience: ocean
intro:
  - "[chime bowl] [pause 3s]"
poses:
  - name: Sit
    hold: 3 breaths
    cues:
      - "[breaths 2]"
  - name: Lie Down
    hold: 20s
    cues:
      - "[pause 2s] [chime]"
outro:
  - "[pause 2s]"
"""


def test_a_session_without_words_renders_offline(tmp_path, monkeypatch):
    from audio_builder.speech.engines import gtts_engine

    monkeypatch.setenv(gtts_engine.URL_ENV, "http://127.0.0.1:9")  # nothing listens there
    script = write_script(tmp_path, WORDLESS)
    out = tmp_path / "silent.mp3"
    run("check", script)
    run("render", script, "-o", out, "--cache-dir", tmp_path / "cache")
    plan = json.loads(run("plan", script, "--json"))
    assert not events(plan, "speech") and len(events(plan, "breath")) == 3
    audio = decode(out)
    assert abs(len(audio) / RATE - plan["length_s"]) < 0.001
    assert [c.title for c in read_chapters(out)] == ["Welcome", "Sit", "Lie Down", "Closing"]
    # without a voice, each sound keeps the level it has beside one (a bell rings as it
    # does in a session with words), and the bed, the voice's stand-in, plays at a
    # comfortable -28 LUFS, not 26 LU under a voice that never comes
    bare = tmp_path / "bare.mp3"
    run("render", script, "-o", bare, "--cache-dir", tmp_path / "cache", "--ambience", "none")
    worded = tmp_path / "worded.mp3"
    run("render", DATA / "tiny.yaml", "-o", worded)

    def bell(path, plan) -> float:
        e = next(e for e in events(plan, "chime") if e["sound"] == "bell")
        return METER.integrated_loudness(
            decode(path)[e["start"]:e["start"] + e["length"]].astype(np.float64))
    # within the voice's own correction: a session with words moves its chimes with the
    # voice when it sets the voice's level (tiny's short cues: 0.8 dB down)
    assert bell(bare, plan) == pytest.approx(
        bell(worded, json.loads(run("plan", DATA / "tiny.yaml", "--json"))), abs=1.2)
    hold = next(h for h in plan["holds"] if h["pose"] == "Lie Down")
    bed = audio[hold["start"] + 2 * RATE:hold["start"] + hold["length"] - 2 * RATE]
    assert METER.integrated_loudness(bed.astype(np.float64)) == pytest.approx(-28.0, abs=1.5)
    assert true_peak_db(audio) <= -1.0


def test_a_session_without_words_loads_no_engine(tmp_path, monkeypatch):
    from audio_builder.pipeline import render

    def refuse(*args, **kwargs):
        raise AssertionError("an engine was made for a session without words")

    monkeypatch.setattr(render, "make_engine", refuse)
    prep = render.prepare(write_script(tmp_path, WORDLESS))
    assert prep.engine is None
    assert not len(render.speak(prep, render.Cache(tmp_path / "c")))


def test_memory_does_not_depend_on_the_session_length(tmp_path):
    """The bed is read by position from its loop: a block far into a long session costs
    the same as the first, and nothing session-long is allocated."""
    import tracemalloc

    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.render import prepare
    from audio_builder.plan import make_plan
    from audio_builder.plan.outline import texts_to_speak
    from audio_builder.sound.bed import BedTrack

    long = write_script(tmp_path, SESSION.replace("hold: 51s", "hold: 59m"))
    prep = prepare(long, RenderOptions(ambience="rain"))
    assert prep.bed is not None
    plan = make_plan(prep.script, {t: RATE for t in texts_to_speak(prep.script)},
                     {"bell": 4 * RATE})
    track = BedTrack(prep.bed, plan, -30.0)
    tracemalloc.start()
    for a in range(0, plan.total, plan.total // 50):
        track.samples(a, min(a + (1 << 16), plan.total))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8_000_000  # a few blocks' worth, not an hour of audio (600 MB as float32)


def _pitch(part: np.ndarray) -> float:
    """The strongest frequency between 100 and 250 Hz (the guide's fundamental)."""
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)), 1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / RATE)
    band = (freqs > 100) & (freqs < 250)
    return float(freqs[band][np.argmax(spectrum[band])])


def test_the_guide_rises_breathing_in_and_falls_breathing_out(renders):
    """In the decoded file: each guided breath glides up in pitch and swells while the
    plan says inhale, then glides down and fades while it says exhale."""
    _, plan, audio = renders["guide"]
    window = RATE // 4
    for e in events(plan, "breath"):
        a, inhale, end = e["start"], e["start"] + e["inhale"], e["start"] + e["length"]

        def at(t: int) -> np.ndarray:
            return audio[t - window // 2:t + window // 2].astype(np.float64)

        early_in, late_in = a + (inhale - a) // 4, a + (inhale - a) * 3 // 4
        early_out, late_out = inhale + (end - inhale) // 5, inhale + (end - inhale) * 3 // 5
        assert _pitch(at(early_in)) + 15 < _pitch(at(late_in)), "rises breathing in"
        assert _pitch(at(early_out)) > _pitch(at(late_out)) + 15, "falls breathing out"
        def rms(t: int) -> float:
            return float(np.sqrt(np.mean(at(t) ** 2)))
        out_peak, out_end = inhale + (end - inhale) * 3 // 10, inhale + (end - inhale) * 4 // 5
        assert rms(a + window) < rms(late_in), "swells breathing in"
        assert rms(out_end) < rms(out_peak) / 2, "fades breathing out"
