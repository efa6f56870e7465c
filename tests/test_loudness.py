"""The voice sets the level (#19): the speech alone is at -19 LUFS +/- 0.5 in every
kind of session, decoded and measured by BS.1770 over the plan's speech events; what
plays between the words keeps its distance from it; true peak stays under -1 dBTP; and
the whole file's loudness, a result, is reported as measured."""

from __future__ import annotations

import json
import re
import wave

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_script
from test_production import true_peak_db, voice_lufs

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.mp3.encode import decode
from audio_builder.speech.engines import EngineOptions, make_engine

SPARSE = """title: Sparse
voice: {engine: piper}
chime: bell
ambience: {sound: rain, level: LEVEL}
intro:
  - "Welcome. Settle in, in whatever way feels right for you today."
poses:
  - name: Long Sit
    hold: 90s
    cues: ["If you like, let your eyes close."]
  - name: Long Rest
    hold: 60s
    cues: ["Rest here, as long as you wish."]
outro:
  - "Thank you for being here."
"""
METER = pyloudnorm.Meter(RATE)


def run(*args: object) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def rendered(script, tmp_path, *args: str) -> tuple[dict, np.ndarray, str]:
    out = tmp_path / f"{script.stem}.mp3"
    said = run("render", script, "-o", out, *args)
    return json.loads(run("plan", script, "--json", *args)), decode(out), said


@pytest.mark.parametrize("level", [-12, -26, -40])
def test_a_sparse_session_keeps_its_voice_under_any_bed(tmp_path, level):
    """Two long holds, 8 s of speech: the bed fills the gating, yet the voice stays at
    -19 and the bed sits `level` LU under it in the holds."""
    script = write_script(tmp_path, SPARSE.replace("LEVEL", str(level)), f"sparse{-level}.yaml")
    plan, audio, said = rendered(script, tmp_path)
    speech = sum(e["length"] for e in plan["events"] if e["kind"] == "speech") / RATE
    assert 5 < speech < 14
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)
    assert true_peak_db(audio) <= -1.0
    hold = plan["holds"][0]
    middle = audio[hold["start"] + 10 * RATE:hold["start"] + hold["length"] - 10 * RATE]
    assert METER.integrated_loudness(middle.astype(np.float64)) == pytest.approx(
        -19.0 + level, abs=1.0)
    whole = METER.integrated_loudness(audio.astype(np.float64))
    reported = float(re.search(r"file (-?[\d.]+) LUFS", said).group(1))
    assert reported == pytest.approx(whole, abs=0.5), "the summary says what a meter reads"
    assert re.search(r"voice -19\.\d LUFS", said)


def test_a_session_of_recordings_is_at_the_voice_level(tmp_path):
    """The teacher's own voice, recorded quietly (-35 LUFS), is brought to -19 too."""
    engine = make_engine("piper", EngineOptions())
    texts = ["Welcome, and thank you for being here today.",
             "Rest here, and let the floor hold you."]
    (tmp_path / "sounds").mkdir()
    for n, spoken in enumerate(sorted(engine.speak(texts), key=lambda s: s.index)):
        with wave.open(str(tmp_path / "sounds" / f"take{n}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(spoken.rate)
            quiet = spoken.samples / max(1e-9, float(np.abs(spoken.samples).max())) * 0.05
            w.writeframes((quiet * 32767).astype("<i2").tobytes())
    script = write_script(tmp_path, f"""title: Recorded
chime: bell
intro:
  - {{recording: take0, text: "{texts[0]}"}}
poses:
  - name: Rest
    hold: 30s
    cues:
      - {{recording: take1, text: "{texts[1]}"}}
""")
    plan, audio, _ = rendered(script, tmp_path)
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)
    assert true_peak_db(audio) <= -1.0


def test_the_psoas_session_with_rain_and_the_guide(tmp_path):
    """The shipped session, a bed and a guide under it: the voice at -19."""
    script = ROOT / "scripts" / "deep-psoas-release.yaml"
    plan, audio, _ = rendered(script, tmp_path, "--length", "short", "--ambience", "rain",
                              "--breath-guide", "--voice", "joe")
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)
    assert true_peak_db(audio) <= -1.0
