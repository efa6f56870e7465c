"""The gTTS engine against a local stand-in for Google's endpoint (no internet here),
and the synthesis cache under it: retries, resumable failures, offline re-renders."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, write_script
from gtts_standin import StandIn
from test_production import voice_lufs

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.ffmpeg import ffmpeg_exe
from audio_builder.mp3.encode import decode
from audio_builder.plan import texts_to_speak
from audio_builder.script.loader import load_script
from audio_builder.speech.engines import EngineOptions, gtts_engine
from audio_builder.speech.engines.piper_engine import PiperEngine

TINY = DATA / "tiny.yaml"
N_TEXTS = len(texts_to_speak(load_script(TINY)))


@pytest.fixture(scope="session")
def standin_mp3() -> bytes:
    """Real MP3 audio for the stand-in: a Piper recording, encoded as gTTS sends it
    (24 kHz mono MP3)."""
    spoken = next(PiperEngine(EngineOptions()).speak(["This is the stand-in voice."]))
    pcm = spoken.samples.astype("<f4").tobytes()
    return subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(spoken.rate),
                           "-ac", "1", "-i", "pipe:0", "-ar", "24000", "-c:a", "libmp3lame",
                           "-b:a", "32k", "-f", "mp3", "pipe:1"],
                          input=pcm, capture_output=True, check=True).stdout


@pytest.fixture
def standin(standin_mp3, monkeypatch, tmp_path):
    server = StandIn(standin_mp3)
    monkeypatch.setenv(gtts_engine.URL_ENV, server.url)
    monkeypatch.setattr(gtts_engine, "BACKOFF_S", 0.01)
    monkeypatch.setattr(gtts_engine, "WORKERS", 1)  # one at a time: exact request counts
    monkeypatch.setenv("AUDIO_BUILDER_CACHE_DIR", str(tmp_path / "gtts-cache"))
    yield server
    server.close()


def render(*args):
    return CliRunner().invoke(main, ["render", str(TINY), "--engine", "gtts", *map(str, args)])


def test_renders_the_session(standin, tmp_path):
    result = render("-o", tmp_path / "g.mp3", "--length", "40s")
    assert result.exit_code == 0, result.output
    assert sorted(standin.texts()) == sorted(texts_to_speak(load_script(TINY)))
    assert {r["lang"] for r in standin.requests} == {"en"}
    assert {r["path"] for r in standin.requests} == {"/_/TranslateWebserverUi/data/batchexecute"}
    audio = decode(tmp_path / "g.mp3")
    assert len(audio) == 40 * RATE
    # the voice at the same level whichever engine spoke
    plan = json.loads(CliRunner().invoke(main, ["plan", str(TINY), "--engine", "gtts",
                                                "--length", "40s", "--json"]).output)
    assert voice_lufs(audio, plan) == pytest.approx(-19.0, abs=0.5)


def test_concurrent_requests(standin, tmp_path, monkeypatch):
    monkeypatch.setattr(gtts_engine, "WORKERS", 4)
    assert render("-o", tmp_path / "g.mp3").exit_code == 0
    assert len(standin.requests) == N_TEXTS


def test_slow_mode_below_threshold(standin, tmp_path):
    assert render("-o", tmp_path / "g.mp3", "--speed", "0.7").exit_code == 0
    assert {r["speed"] for r in standin.requests} == {True}


@pytest.mark.parametrize("failure", ["429", "500", "drop"])
def test_transient_failure_is_retried(standin, tmp_path, failure):
    standin.behaviours.extend([failure, failure])
    result = render("-o", tmp_path / "g.mp3")
    assert result.exit_code == 0, result.output
    assert len(standin.requests) == N_TEXTS + 2
    assert standin.texts()[0] == standin.texts()[1] == standin.texts()[2]


@pytest.mark.parametrize(("failure", "reason"), [
    ("403", "403 (Forbidden) from TTS API. Probable cause: Bad token or upstream API changes; "
            "gTTS may need an upgrade (pip install -U gTTS)"),
    ("noaudio", "an answer without audio; gTTS may need an upgrade (pip install -U gTTS)"),
])
def test_permanent_failure_is_not_retried(standin, tmp_path, failure, reason):
    standin.behaviours.append(failure)
    result = render("-o", tmp_path / "g.mp3")
    assert result.exit_code == 1
    assert result.output == (f"error: {TINY}: gTTS failed: {reason}; 0 of {N_TEXTS} segments are "
                             "cached, run again to resume\n")
    assert len(standin.requests) == 1
    assert not (tmp_path / "g.mp3").exists()


def test_gives_up_after_retries(standin, tmp_path):
    standin.behaviours.extend(["drop"] * 10)
    result = render("-o", tmp_path / "g.mp3")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {TINY}: gTTS failed after {gtts_engine.ATTEMPTS} "
                                    "tries: ")
    assert len(standin.requests) == gtts_engine.ATTEMPTS


def test_failure_halfway_then_resume(standin, tmp_path):
    standin.behaviours.extend(["ok", "ok", "ok", "403"])
    first = render("-o", tmp_path / "g.mp3")
    assert first.exit_code == 1
    assert first.output.endswith(f"3 of {N_TEXTS} segments are cached, run again to resume\n")
    asked_first = standin.texts()
    standin.requests.clear()
    second = render("-o", tmp_path / "g.mp3")
    assert second.exit_code == 0, second.output
    assert sorted(standin.texts()) == sorted(set(texts_to_speak(load_script(TINY)))
                                             - set(asked_first[:3]))


def test_cache_hit_makes_no_request_and_works_offline(standin, tmp_path, monkeypatch):
    assert render("-o", tmp_path / "a.mp3").exit_code == 0
    standin.requests.clear()
    standin.close()  # the network is gone
    monkeypatch.setenv(gtts_engine.URL_ENV, "http://127.0.0.1:9")
    result = render("-o", tmp_path / "b.mp3", "--length", "40s")
    assert result.exit_code == 0, result.output
    assert standin.requests == []


def test_no_network_and_nothing_cached(standin, tmp_path, monkeypatch):
    monkeypatch.setenv(gtts_engine.URL_ENV, "http://127.0.0.1:9")  # nothing listens there
    result = render("-o", tmp_path / "g.mp3")
    assert result.exit_code == 1
    assert result.output == (f"error: {TINY}: gTTS failed after {gtts_engine.ATTEMPTS} tries: "
                             "could not connect to Google Translate (is there a network?); 0 of "
                             f"{N_TEXTS} segments are cached, run again to resume\n")


def test_corrupt_cache_entry_is_spoken_again(standin, tmp_path):
    assert render("-o", tmp_path / "a.mp3").exit_code == 0
    entries = sorted((tmp_path / "gtts-cache").glob("clips/*/*.npz"))
    assert len(entries) == N_TEXTS + 1  # the speech, and the bell shaped for mixing
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:100])  # truncated, as by a crash
    standin.requests.clear()
    assert render("-o", tmp_path / "b.mp3").exit_code == 0
    assert len(standin.requests) == N_TEXTS


def test_language_is_checked_before_any_request(standin, tmp_path):
    script = write_script(tmp_path, "title: X\nlanguage: xx\nposes:\n  - name: A\n"
                                    "    cues: [\"Rest.\"]\n")
    result = CliRunner().invoke(main, ["render", str(script), "--engine", "gtts"])
    assert result.exit_code == 1
    assert result.output == (f"error: {script}: gTTS does not speak language 'xx'; "
                             "see 'audio-builder voices'\n")
    assert standin.requests == []


def test_two_renders_at_once_share_the_cache(standin, tmp_path):
    env = {**os.environ, "AUDIO_BUILDER_CACHE_DIR": str(tmp_path / "shared-cache")}
    outs = [tmp_path / "one.mp3", tmp_path / "two.mp3"]
    procs = [subprocess.Popen([sys.executable, "-m", "audio_builder", "render", str(TINY),
                               "--engine", "gtts", "-o", str(out)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for out in outs]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    digests = {hashlib.sha256(Path(o).read_bytes()).hexdigest() for o in outs}
    assert len(digests) == 1
    assert not list((tmp_path / "shared-cache").rglob(".tmp-*"))
