"""Between the words, without rendering: the script fields, their errors (with lines,
before any speech), the breath guide in the plan, the beds the project makes, the loop."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_script

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.sound.bed import CROSSFADE_S, make_loop
from audio_builder.sound.beds import BEDS, write_beds
from audio_builder.sound.breath import breath_sound

SHIPPED = ROOT / "sounds"
POSE = ("poses:\n  - name: Rest\n    hold: 3..4 breaths\n    cues:\n"
        "      - \"Breathe with the sound.\"\n")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def tone(path: Path, seconds: float, freq: float = 40.0, rate: int = RATE) -> Path:
    """A WAV of a steady sine, for a teacher's own bed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    data = np.round(0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


@pytest.mark.parametrize(("head", "line", "message"), [
    ("ambience: thunder\n", 2, "unknown sound 'thunder'; available: "),
    ("ambience: ../rain\n", 2, "'ambience: ../rain' is not a sound name"),
    ("ambience: {level: -30}\n", 2, "'ambience' needs 'sound'"),
    ("ambience:\n  sound: rain\n  level: -10\n", 4,
     "'level' must be between -40 and -12, not -10"),
    ("ambience:\n  sound: rain\n  duck: 40\n", 4, "'duck' must be between 0 and 30, not 40"),
    ("ambience:\n  sound: rain\n  volume: 3\n", 4, "unknown field 'volume' in 'ambience'"),
    ("breath: {in: 2s}\n", 2, "'breath' split into in and out needs both; 'out' is missing"),
    ("breath: {in: 40s, out: 30s}\n", 2, "'breath': in and out add up to 70s; one breath "
                                         "can last at most 1m"),
    ("breath: {in: 0s, out: 3s}\n", 2, "'breath: in' must be longer than 0"),
    ("breath_guide: maybe\n", 2, "'breath_guide' must be true or false, not 'maybe'"),
])
def test_bad_fields_name_their_line(tmp_path, head, line, message):
    script = write_script(tmp_path, "title: T\n" + head + POSE)
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:{line}: {message}"), result.output
    assert len(result.output.splitlines()) == 1


def _bed_file(tmp_path: Path, kind: str) -> None:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    if kind == "not audio":
        (sounds / "mine.wav").write_text("these are not the sounds you are looking for")
    elif kind == "too short":
        tone(sounds / "mine.wav", 5.0)
    elif kind == "silent":
        with wave.open(str(sounds / "mine.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(b"\0\0" * RATE * 12)
    elif kind == "link out":
        tone(tmp_path / "elsewhere" / "real.wav", 12.0)
        (sounds / "mine.wav").symlink_to(tmp_path / "elsewhere" / "real.wav")


@pytest.mark.parametrize(("kind", "message"), [
    ("not audio", "ambience 'mine' (mine.wav) is not readable audio"),
    ("too short", "ambience 'mine' (mine.wav) lasts 5.0s; a bed must last at least 10s"),
    ("silent", "ambience 'mine' (mine.wav) is empty or silent"),
    ("link out", "sound 'mine' ("),
])
def test_bad_bed_files_fail_before_any_speech(tmp_path, kind, message):
    _bed_file(tmp_path, kind)
    script = write_script(tmp_path, "title: T\nambience:\n  sound: mine\n" + POSE)
    cache = tmp_path / "cache"
    result = invoke("render", script, "--cache-dir", cache)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:3: {message}"), result.output
    assert len(result.output.splitlines()) == 1
    assert not cache.exists(), "nothing may be spoken before the bed is checked"
    assert not (tmp_path / "out").exists()
    if kind == "link out":
        assert "leads outside its sounds folder" in result.output


def test_bad_ambience_option_is_one_line(tmp_path):
    script = write_script(tmp_path, "title: T\n" + POSE)
    result = invoke("check", script, "--ambience", "../rain")
    assert result.exit_code == 1
    assert result.output == (f"error: {script}: --ambience ../rain: a bed is named (letters, "
                             "digits, '-' or '_'), never given as a path\n")
    result = invoke("check", script, "--ambience", "nosuch")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}: unknown sound 'nosuch'; available: ")


def test_good_fields_are_read(tmp_path):
    from audio_builder.script.loader import load_script

    script = load_script(write_script(
        tmp_path, "title: T\nbreath: {in: 2s, out: 3s}\nbreath_guide: true\n"
                  "ambience: {sound: ocean, level: -30, duck: 8}\n" + POSE))
    assert (script.breath_ms, script.breath_in_ms, script.breath_guide) == (5000, 2000, True)
    assert script.ambience is not None
    assert (script.ambience.sound, script.ambience.level_lu, script.ambience.duck_db,
            script.ambience.line) == ("ocean", -30.0, 8.0, 4)
    assert script.poses[0].hold is not None and script.poses[0].hold.breaths
    plain = load_script(write_script(tmp_path, "title: T\nambience: none\n" + POSE, "b.yaml"))
    assert plain.ambience is None and not plain.breath_guide


# ------------------------------------------------------------------ the guide in the plan

GUIDED = ("title: Guided\nbreath: {in: 2s, out: 3s}\nchime: none\npace: off\nposes:\n"
          "  - name: Rest\n    hold: 3..4 breaths\n    cues:\n      - \"Breathe in and out.\"\n"
          "  - name: Still\n    hold: 5s\n    cues:\n      - \"Stay still.\"\n")


def plan_json(script: Path, *args: str) -> dict:
    result = invoke("plan", script, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_guide_is_off_unless_asked(tmp_path):
    script = write_script(tmp_path, GUIDED)
    assert not [e for e in plan_json(script)["events"] if e["kind"] == "breath"]
    on = plan_json(script, "--breath-guide")
    breaths = [e for e in on["events"] if e["kind"] == "breath"]
    assert len(breaths) == 4  # the full hold: 4 breaths, every one guided
    assert all(e["duration_s"] == 5.0 and e["inhale_s"] == 2.0 for e in breaths)
    assert all(e["pose"] == "Rest" for e in breaths), "only holds counted in breaths"
    script_on = write_script(tmp_path, GUIDED.replace("chime: none", "chime: none\n"
                                                      "breath_guide: true"), "on.yaml")
    assert plan_json(script_on) == on


def test_guided_breaths_sit_inside_the_hold(tmp_path):
    events = plan_json(write_script(tmp_path, GUIDED), "--breath-guide")["events"]
    kinds = [e["kind"] for e in events]
    first, last = kinds.index("breath"), len(kinds) - 1 - kinds[::-1].index("breath")
    assert kinds[first - 1] == "speech"  # starts once the cue is said
    assert set(kinds[first:last + 1]) == {"breath"}  # whole breaths, back to back
    after = events[last]["start_s"] + events[last]["duration_s"]
    assert events[last + 1]["start_s"] == pytest.approx(after, abs=0.001)
    assert events[last + 1]["kind"] in ("hold", "gap", "speech")


def test_shorter_length_guides_fewer_whole_breaths(tmp_path):
    script = write_script(tmp_path, GUIDED)
    full = plan_json(script, "--breath-guide")
    shorter = plan_json(script, "--breath-guide", "--length", f"{full['length_s'] - 3}s")
    breaths = [e for e in shorter["events"] if e["kind"] == "breath"]
    assert len(breaths) == 3
    assert all(e["duration_s"] == 5.0 for e in breaths)
    hold = sum(e["duration_s"] for e in shorter["events"]
               if e["pose"] == "Rest" and e["kind"] in ("breath", "hold"))
    assert hold == pytest.approx(17.0, abs=0.01)
    assert [h["duration_s"] for h in shorter["holds"]] == [pytest.approx(17.0, abs=0.001), 5.0]
    assert all(e.get("hold") == 0 for e in breaths)


def test_plan_names_the_bed_only_when_there_is_one(tmp_path):
    script = write_script(tmp_path, GUIDED)
    assert "ambience" not in plan_json(script)
    assert plan_json(script, "--ambience", "rain")["ambience"] == "rain"


def test_a_bed_makes_the_whole_session_sound(tmp_path):
    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.render import prepare
    from audio_builder.plan import make_plan
    from audio_builder.plan.outline import texts_to_speak
    from audio_builder.sound.mix import sounding_spans

    script = write_script(tmp_path, GUIDED)
    for options, whole in ((RenderOptions(), False), (RenderOptions(ambience="rain"), True)):
        prep = prepare(script, options)
        speech = {t: RATE for t in texts_to_speak(prep.script)}
        plan = make_plan(prep.script, speech, {})
        assert (sounding_spans(plan) == [(0, plan.total)]) is whole
    guided = prepare(script, RenderOptions(breath_guide=True)).script
    plan = make_plan(guided, {t: RATE for t in texts_to_speak(guided)}, {})
    spans = sounding_spans(plan)
    assert all(any(s <= e.start and e.start + e.length <= s + n for s, n in spans)
               for e in plan.events if e.kind == "breath"), "guided breaths count as sound"


# ------------------------------------------------------------------ sounds the project makes

def test_beds_match_the_shipped_files_byte_for_byte(tmp_path):
    written = write_beds(tmp_path)
    assert [p.name for p in written] == [f"{name}.wav" for name in BEDS]
    for path in written:
        assert path.read_bytes() == (SHIPPED / path.name).read_bytes(), \
            "run `make sounds` to regenerate the shipped beds"


@pytest.mark.parametrize("name", list(BEDS))
def test_shipped_beds_loop_seamlessly_and_are_small(name):
    make, rate = BEDS[name]
    x = make(rate).astype(np.float64)
    assert (SHIPPED / f"{name}.wav").stat().st_size < 2_500_000
    jump = abs(x[0] - x[-1])  # the file itself is periodic: its end leads into its start
    steps = np.abs(np.diff(x))
    assert jump <= np.percentile(steps, 99.9)
    assert np.abs(x).max() == pytest.approx(0.5, abs=1e-3)
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / rate)
    assert spectrum[f > 6000].sum() / spectrum.sum() < 0.02, "no hiss"


@pytest.mark.parametrize("kind", ["noise", "tone"])
def test_loop_point_has_no_click_and_no_dip(kind):
    n = 12 * RATE
    t = np.arange(n) / RATE
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(n) * 0.1 if kind == "noise"
         else 0.3 * np.sin(2 * np.pi * 40 * t)).astype(np.float32)
    loop = make_loop(x, int(CROSSFADE_S * RATE))
    twice = np.concatenate([loop, loop]).astype(np.float64)
    seam = len(loop)
    steps = np.abs(np.diff(twice))
    assert steps[seam - 2:seam + 2].max() <= np.percentile(steps, 99.99)
    win = RATE // 5

    def rms(a: int) -> float:
        return float(np.sqrt(np.mean(twice[a:a + win] ** 2)))

    ref = rms(seam + 6 * RATE)
    for a in range(0, int(CROSSFADE_S * RATE), win):  # across the whole crossfade
        assert 20 * np.log10(rms(seam + a) / ref) == pytest.approx(0.0, abs=1.0)


def test_breath_sound_is_soft_low_and_gentle():
    x = breath_sound(5 * RATE, 2 * RATE).astype(np.float64)
    assert x[0] == 0 and abs(x[-1]) < 1e-6
    spectrum = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    assert f[np.argmax(spectrum)] < 250
    win = RATE // 10
    levels = np.array([np.sqrt(np.mean(x[a:a + win] ** 2)) for a in range(0, len(x), win)])
    assert levels[0] < 0.1 * levels.max()  # it rises from nothing, never starts at once
    assert levels[-1] < 1e-3  # air before whatever comes next
