"""Recorded cues: the teacher's voice, written by the test as WAV, FLAC and MP3 (a real
voice: Piper's, at odd levels and with silence around it), rendered with synthesized cues
and measured on the decoded MP3."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from conftest import write_script

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.ffmpeg import ffmpeg_exe
from audio_builder.mp3.encode import decode
from audio_builder.speech.engines import EngineOptions, make_engine


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def convert(wav: Path, target: Path) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(wav), str(target)],
                   check=True)


@pytest.fixture(scope="module")
def voice_lines() -> list[tuple[np.ndarray, int]]:
    """Three sentences in a real voice, as a microphone might give them."""
    engine = make_engine("piper", EngineOptions())
    texts = ["Welcome, and thank you for being here today.",
             "Let your breath find its own pace, slowly and softly.",
             "Thank you for practising with me. Take good care."]
    spoken = sorted(engine.speak(texts), key=lambda s: s.index)
    return [(s.samples, s.rate) for s in spoken]


MIXED = """\
title: Teacher and Voice
breath: 1s
intro:
  - {recording: welcome, text: "Welcome, and thank you for being here today."}
  - "If it feels right, lie down softly and rest."
poses:
  - name: Rest
    hold: 2s
    cues:
      - "Notice the weight of your body on the mat."
      - {recording: breath}
outro:
  - {recording: thanks, text: "Thank you for practising with me."}
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, speech_cache, voice_lines):
    folder = tmp_path_factory.mktemp("recordings")
    sounds = folder / "sounds"
    sounds.mkdir()
    (welcome, rate), (breath, _), (thanks, _) = voice_lines
    # quiet, loud, and padded with a second of room noise: levelling and trimming must cope
    write_wav(sounds / "welcome.wav", welcome * 0.05, rate)
    write_wav(folder / "breath.wav", breath * 0.9, rate)
    convert(folder / "breath.wav", sounds / "breath.flac")
    noise = np.random.default_rng(1).normal(0, 1e-4, rate)
    write_wav(folder / "thanks.wav", np.concatenate([noise, thanks * 0.3, noise]), rate)
    convert(folder / "thanks.wav", sounds / "thanks.mp3")
    script = write_script(folder, MIXED)
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    out = folder / "mixed.mp3"
    result = run("render", script, "-o", out, "--transcript")
    assert result.exit_code == 0, result.output
    plan = run("plan", script, "--json")
    mp.undo()
    reported = float(re.search(r"file (-?[\d.]+) LUFS", result.output).group(1))
    return out, json.loads(plan.output), decode(out), reported


def test_exact_length_and_recordings_in_the_plan(mixed):
    _, plan, audio, _ = mixed
    assert abs(len(audio) - plan["length_s"] * RATE) <= RATE // 1000  # the plan is in ms
    recorded = [e for e in plan["events"] if e.get("recording")]
    assert [e["recording"] for e in recorded] == ["welcome", "breath", "thanks"]
    assert recorded[0]["text"] == "Welcome, and thank you for being here today."
    assert "text" not in recorded[1]


def test_teacher_and_synthetic_voice_share_one_level(mixed):
    _, plan, audio, reported = mixed
    meter = pyloudnorm.Meter(RATE)
    levels = {}
    for e in plan["events"]:
        if e["kind"] == "speech":
            a = round(e["start_s"] * RATE)
            clip = audio[a:a + round(e["duration_s"] * RATE)].astype(np.float64)
            levels[e.get("recording") or e["text"]] = meter.integrated_loudness(clip)
    spread = max(levels.values()) - min(levels.values())
    assert spread <= 1.0, sorted(levels.items(), key=lambda kv: kv[1])
    # the whole file is a result (SPEC: about -19 without a bed; here a third of it is
    # chimes, 6 LU under the voice): what render reported, as a meter reads it
    whole = meter.integrated_loudness(audio.astype(np.float64))
    assert whole == pytest.approx(reported, abs=0.5) and whole == pytest.approx(-19, abs=1.5)


def test_recordings_are_trimmed(mixed):
    _, plan, _, _ = mixed
    thanks = next(e for e in plan["events"] if e.get("recording") == "thanks")
    assert thanks["duration_s"] < 3.9  # the sentence, not the two seconds of room noise


def test_transcript_has_the_recordings_text(mixed):
    vtt = mixed[0].with_suffix(".vtt").read_text(encoding="utf-8")
    assert "Welcome, and thank you for being here today." in vtt
    assert "Thank you for practising with me." in vtt
    assert vtt.count("-->") == 4  # two spoken cues and two recordings with text


ONLY = """\
title: Only Me
poses:
  - name: Rest
    hold: 1s
    cues:
      - {recording: welcome}
"""


def test_a_script_of_recordings_only_loads_no_speech_engine(tmp_path, voice_lines):
    (tmp_path / "sounds").mkdir()
    write_wav(tmp_path / "sounds" / "welcome.wav", *voice_lines[0])
    script = write_script(tmp_path, ONLY)
    code = (
        "import sys\n"
        "from audio_builder.cli import main\n"
        "try:\n"
        f"    main(['render', {str(script)!r}, '-o', 'only.mp3', '--engine', 'kokoro'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "loaded = [m for m in ('piper', 'kokoro_onnx', 'gtts', 'onnxruntime') "
        "if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    audio = decode(tmp_path / "only.mp3")
    plan = json.loads(run("plan", script, "--json").output)
    assert abs(len(audio) - plan["length_s"] * RATE) <= RATE // 1000
    (me,) = [e for e in plan["events"] if e["kind"] == "speech"]
    a = round(me["start_s"] * RATE)
    level = pyloudnorm.Meter(RATE).integrated_loudness(
        audio[a:a + round(me["duration_s"] * RATE)].astype(np.float64))
    assert level == pytest.approx(-19, abs=1.5)  # a 2 s clip between two chimes


BAD_HEAD = "title: T\nposes:\n  - name: Rest\n    cues:\n      - \"Rest.\"\n"


def _bad(tmp_path: Path, make) -> str:
    sounds = tmp_path / "sounds"
    sounds.mkdir()
    make(sounds)
    script = write_script(tmp_path, BAD_HEAD + "      - {recording: me}\n")
    result = run("check", script)
    assert result.exit_code == 1
    line = result.output.strip()
    assert line.startswith(f"error: {script}:6: "), line
    assert "recording 'me'" in line
    assert "\n" not in line
    return line


def test_a_recording_that_is_not_audio(tmp_path):
    line = _bad(tmp_path, lambda s: (s / "me.wav").write_text("hello, I am text"))
    assert "is not readable audio" in line


def test_a_silent_recording(tmp_path):
    line = _bad(tmp_path, lambda s: write_wav(s / "me.wav", np.zeros(44100), 44100))
    assert "is empty or silent" in line


def test_a_recording_longer_than_a_cue(tmp_path):
    tone = 0.1 * np.sin(np.arange(8000 * 181) * 0.3)
    line = _bad(tmp_path, lambda s: write_wav(s / "me.wav", tone, 8000))
    assert "lasts 181s; a recorded cue can last at most 180s" in line


def test_an_unknown_recording_lists_what_there_is(tmp_path):
    line = _bad(tmp_path, lambda s: write_wav(s / "hello.wav", np.ones(9000) * 0.1, 8000))
    assert "unknown recording 'me'; available: " in line and "hello" in line
    assert "none" not in line


def test_a_recording_linking_outside_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.wav"
    write_wav(outside, 0.1 * np.sin(np.arange(8000) * 0.3), 8000)
    line = _bad(tmp_path, lambda s: (s / "me.wav").symlink_to(outside))
    assert "leads outside its sounds folder" in line


def test_a_recording_given_as_a_path_is_refused(tmp_path):
    script = write_script(tmp_path, BAD_HEAD + "      - {recording: ../me}\n")
    result = run("check", script)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:6: 'recording: ../me' is not a sound "
                                    "name")
