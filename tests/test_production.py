"""A finished production, measured on the decoded MP3: loudness, peaks, joins, chimes,
chapters, cover, transcript. Loudness is measured by pyloudnorm and by ffmpeg's
ebur128 filter, independently of how the mixer predicted it."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from conftest import ROOT, write_script
from scipy.signal import resample_poly

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.ffmpeg import ffmpeg_exe
from audio_builder.mp3.encode import decode

SESSION = ROOT / "scripts" / "evening-wind-down.yaml"


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def session(tmp_path_factory, speech_cache):
    """The shipped evening session at full length, its plan, and its decoded samples."""
    folder = tmp_path_factory.mktemp("production")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    out = folder / "evening.mp3"
    run("render", SESSION, "-o", out, "--transcript")
    plan = json.loads(run("plan", SESSION, "--json"))
    mp.undo()
    return out, plan, decode(out)


def true_peak_db(samples: np.ndarray) -> float:
    """Peak of the 4x oversampled signal in dB (BS.1770 true peak)."""
    if not len(samples):
        return -120.0
    peak = float(np.max(np.abs(resample_poly(samples.astype(np.float64), 4, 1))))
    return 20 * float(np.log10(max(peak, 1e-6)))


def voice_lufs(audio: np.ndarray, plan: dict) -> float:
    """BS.1770 over the plan's speech events only (synthesized and recorded): the level
    the voice sets, which every session keeps whatever plays between the words."""
    parts = [audio[e["start"]:e["start"] + e["length"]] for e in plan["events"]
             if e["kind"] == "speech"]
    return pyloudnorm.Meter(RATE).integrated_loudness(np.concatenate(parts).astype(np.float64))


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak as ffmpeg's ebur128 filter measures them."""
    err = subprocess.run([ffmpeg_exe(), "-nostats", "-hide_banner", "-i", str(path), "-af",
                          "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return integrated, peak


def test_loudness_and_true_peak_by_pyloudnorm(session):
    _, plan, audio = session
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)
    # without a bed the file is about as loud as its voice: a little under it, for the
    # chimes sit 6 LU under it and the gating counts them (SPEC: a result, reported)
    whole = pyloudnorm.Meter(RATE).integrated_loudness(audio.astype(np.float64))
    assert -20.5 < whole < -18.5
    assert true_peak_db(audio) <= -1.0


def test_loudness_and_true_peak_by_ffmpeg(session):
    integrated, peak = ebur128(session[0])
    whole = pyloudnorm.Meter(RATE).integrated_loudness(session[2].astype(np.float64))
    assert integrated == pytest.approx(whole, abs=0.3)  # two meters, one reading
    assert peak <= -1.0


def test_every_sentence_at_one_level(session):
    _, plan, audio = session
    meter = pyloudnorm.Meter(RATE)
    levels = []
    for e in plan["events"]:
        if e["kind"] == "speech" and e["duration_s"] >= 1.5:
            a = int(e["start_s"] * RATE)
            levels.append(meter.integrated_loudness(
                audio[a:a + int(e["duration_s"] * RATE)].astype(np.float64)))
    assert len(levels) >= 10
    low, high = np.percentile(levels, [10, 90])
    assert high - low < 2.0, f"sentences spread over {high - low:.1f} LU"


def test_chimes_sit_under_the_voice(session):
    _, plan, audio = session
    meter = pyloudnorm.Meter(RATE)

    def level(kind: str) -> float:
        parts = [audio[int(e["start_s"] * RATE):int((e["start_s"] + e["duration_s"]) * RATE)]
                 for e in plan["events"] if e["kind"] == kind]
        return meter.integrated_loudness(np.concatenate(parts).astype(np.float64))

    assert 3.0 <= level("speech") - level("chime") <= 9.0


def test_chimes_open_each_pose_and_close(session):
    _, plan, _ = session
    chimes = [e["start_s"] for e in plan["events"] if e["kind"] == "chime"]
    starts = [c["start_s"] for c in plan["chapters"][1:]
              if c["title"] not in ("Welcome", "Closing")]
    assert chimes[0] == 0.0
    assert all(s in chimes for s in starts)
    last = plan["events"][-1]
    assert last["kind"] == "chime"
    assert last["start_s"] + last["duration_s"] == pytest.approx(plan["length_s"], abs=0.002)


def test_no_clicks_at_joins(session):
    """Where a sound starts or stops, the waveform moves no faster than inside speech."""
    _, plan, audio = session
    step = np.abs(np.diff(audio))
    typical = np.percentile(step[step > 0], 99.9)
    for e in plan["events"]:
        if e["kind"] in ("silence", "gap", "hold", "rest"):
            continue
        for edge in (e["start_s"], e["start_s"] + e["duration_s"]):
            t = int(edge * RATE)
            window = step[max(0, t - 220):t + 220]  # 5 ms either side
            assert window.max() <= typical, f"a jump at {edge:.3f}s"


def test_transcript_matches_plan(session):
    out, plan, _ = session
    vtt = out.with_suffix(".vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n")
    spoken = [e for e in plan["events"] if e["kind"] == "speech"]
    blocks = [b.splitlines() for b in vtt.split("\n\n")[2:] if b.strip()]
    assert [b[2] for b in blocks] == [e["text"] for e in spoken]
    first_start = blocks[0][1].split(" --> ")[0]
    h, m, s = first_start.split(":")
    assert float(h) * 3600 + float(m) * 60 + float(s) == pytest.approx(spoken[0]["start_s"],
                                                                       abs=0.001)


def test_other_loudness_target(tmp_path, tiny):
    out = tmp_path / "quiet.mp3"
    run("render", tiny, "-o", out, "--loudness", "-23")
    plan = json.loads(run("plan", tiny, "--json"))
    assert voice_lufs(decode(out), plan) == pytest.approx(-23.0, abs=0.5)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
       b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def test_cover_art(tmp_path, tiny):
    (tmp_path / "cover.png").write_bytes(PNG)
    script = write_script(tmp_path, tiny.read_text() + "cover: cover.png\n")
    out = tmp_path / "covered.mp3"
    run("render", script, "-o", out, "--length", "quick")
    from mutagen.id3 import ID3

    apic = ID3(out).getall("APIC")[0]
    assert (apic.mime, apic.data, apic.type) == ("image/png", PNG, 3)


@pytest.mark.parametrize(("cover", "setup", "message"), [
    ("../cover.png", None, "'cover: ../cover.png' must be the file name of a .jpg or .png "
                           "image in the script's folder (no folders in the name)"),
    ("/etc/passwd", None, "'cover: /etc/passwd' must be the file name of a .jpg or .png image "
                          "in the script's folder (no folders in the name)"),
    ("missing.jpg", None, "cover image 'missing.jpg' is not a file in the script's folder"),
    ("fake.png", b"not an image", "cover image 'fake.png' is not a JPEG or PNG image"),
])
def test_cover_errors(tmp_path, tiny, cover, setup, message):
    if setup is not None:
        (tmp_path / cover).write_bytes(setup)
    script = write_script(tmp_path, tiny.read_text() + f"cover: {cover}\n")
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.exit_code == 1
    line = len(tiny.read_text().splitlines()) + 1
    assert result.output == f"error: {script}:{line}: {message}\n"


def test_cover_link_outside_is_refused(tmp_path, tiny):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG)
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "cover.png").symlink_to(outside / "secret.png")
    script = write_script(folder, tiny.read_text() + "cover: cover.png\n")
    result = CliRunner().invoke(main, ["check", str(script)])
    assert result.exit_code == 1
    assert "is not a file in the script's folder" in result.output
