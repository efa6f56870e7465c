"""The command line with click's CliRunner: exact output, exit codes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import ROOT, SHIPPED, write_script

from audio_builder.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_shipped_scripts():
    scripts = SHIPPED
    result = invoke("check", *scripts)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ok: {ROOT / 'scripts/deep-psoas-release.yaml'}: 'Deep Psoas Release', 7 poses",
        f"ok: {ROOT / 'scripts/evening-wind-down.yaml'}: 'Evening Wind-Down', 3 poses",
        f"ok: {ROOT / 'scripts/morning-flow.yaml'}: 'Morning Flow', 4 poses",
    ]


def test_check_reports_every_broken_script(tmp_path):
    bad = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues: []\n", "bad.yaml")
    worse = write_script(tmp_path, "title: X\nchime: gong\nposes:\n  - name: A\n"
                                   "    cues: [\"Rest.\"]\n", "worse.yaml")
    result = invoke("check", bad, worse)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {bad}:4: 'cues' needs at least one cue",
        f"error: {worse}:2: unknown sound 'gong'; available: bell, bowl, ocean, rain "
        "(or 'none')",
    ]


SOUND_PLACES = [
    ("the script's chime", "chime: gong\nposes:\n  - name: A\n    cues: [\"Rest.\"]\n", 2),
    ("a pose's chime", "poses:\n  - name: A\n    chime: gong\n    cues: [\"Rest.\"]\n", 4),
    ("a chime marker", "poses:\n  - name: A\n    cues:\n      - \"Rest.\"\n"
                       "      - \"Breathe. [chime gong] Rest.\"\n", 6),
    ("a marker folded over lines", "poses:\n  - name: A\n    cues:\n      - >\n"
                                   "        Breathe here, slowly.\n        [chime gong]\n", 7),
]


@pytest.mark.parametrize("place, body, line", SOUND_PLACES, ids=[p[0] for p in SOUND_PLACES])
def test_a_missing_sound_is_reported_where_it_is_named(tmp_path, place, body, line):
    script = write_script(tmp_path, "title: X\n" + body)
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:{line}: unknown sound 'gong'; available: bell, "
                             "bowl, ocean, rain (or 'none')\n")


@pytest.mark.parametrize("value", ["two", "0", "-1"])
def test_a_bad_encoder_count_is_one_line(tmp_path, tiny, monkeypatch, value):
    monkeypatch.setenv("AUDIO_BUILDER_ENCODERS", value)
    result = invoke("render", tiny, "-o", tmp_path / "x.mp3")
    assert result.exit_code == 1
    assert result.output == (f"error: AUDIO_BUILDER_ENCODERS='{value}': expected a whole "
                             "number of 1 or more\n")
    assert not (tmp_path / "x.mp3").exists()


def test_check_missing_file(tmp_path):
    result = invoke("check", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tmp_path / 'nope.yaml'}: cannot read the file")


def test_check_unknown_piper_voice(tmp_path):
    script = write_script(tmp_path, "title: X\nvoice:\n  name: missing.onnx\nposes:\n"
                                    "  - name: A\n    cues: [\"Rest.\"]\n")
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:3: Piper voice file not found: "
                             f"{tmp_path / 'missing.onnx'}\n")


def test_sound_that_is_not_audio_is_refused_before_speech(tmp_path):
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "gong.wav").write_text("not audio")
    script = write_script(tmp_path, "title: X\nchime: gong\nposes:\n  - name: A\n"
                                    "    cues: [\"Rest.\"]\n")
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:2: sound 'gong' (gong.wav) is not "
                                    "readable audio")


def test_script_sounds_folder_comes_first(tmp_path):
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "bell.wav").write_bytes((ROOT / "sounds/bowl.wav").read_bytes())
    script = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues: [\"Rest.\"]\n")
    result = invoke("sounds", script)
    assert result.output.splitlines() == [
        f"bell\t{tmp_path / 'sounds/bell.wav'}", f"bowl\t{ROOT / 'sounds/bowl.wav'}",
        f"ocean\t{ROOT / 'sounds/ocean.wav'}", f"rain\t{ROOT / 'sounds/rain.wav'}"]


def test_usage_error_exits_2(tiny):
    result = invoke("render", tiny, "--speed", "9")
    assert result.exit_code == 2


def test_sounds_and_voices():
    assert invoke("sounds").output.split("\n")[0].startswith("bell\t")
    voices = invoke("voices").output
    assert "piper: offline neural speech" in voices
    assert "en_US-joe-medium.onnx" in voices


def test_plan_table(tiny):
    result = invoke("plan", tiny, "--length", "quick")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Tiny Practice — quick, 0:35.0"
    assert [line.split("  ")[-1].strip() for line in lines[2:]] == [
        "Welcome", "Lying Rest", "Knee Hug", "Closing"]


def test_cache_info_and_clear(tmp_path, tiny):
    cache = tmp_path / "c"
    assert invoke("plan", tiny, "--cache-dir", cache).exit_code == 0
    info = invoke("cache", "info", "--cache-dir", cache).output
    assert f"location: {cache}" in info and "entries: 7" in info
    assert invoke("cache", "clear", "--cache-dir", cache).output == "removed 7 entries\n"
    assert "entries: 0" in invoke("cache", "info", "--cache-dir", cache).output


def test_cache_clear_removes_the_joined_voice_model(tmp_path, tiny, monkeypatch):
    cache = tmp_path / "c"
    monkeypatch.setenv("AUDIO_BUILDER_CACHE_DIR", str(cache))
    assert invoke("check", tiny, "--voice", "heart").exit_code == 0  # joins the model
    assert "models: 9" in invoke("cache", "info").output  # 92 MB
    assert invoke("cache", "clear").output == (
        "removed 0 entries and the joined voice model (92 MB)\n")
    assert not (cache / "models").exists()
    assert invoke("check", tiny, "--voice", "heart").exit_code == 0  # joined again


def test_check_reports_unreachable_named_length_without_speech(tmp_path):
    script = write_script(tmp_path, "title: T\npace: off\nlengths:\n  short: 10s\nposes:\n"
                                    "  - name: A\n    hold: 30s..1m\n    cues: [\"Rest here.\"]\n")
    result = invoke("check", script, "--cache-dir", tmp_path / "empty")
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:4: length 'short': this script cannot last 10s: "
                             "its pauses, chimes and shortest holds alone last 38s\n")
    assert not (tmp_path / "empty").exists()  # nothing was spoken


@pytest.mark.parametrize("command", ["check", "plan", "render"])
def test_a_named_length_too_short_is_one_message_with_its_line(tmp_path, command):
    script = write_script(tmp_path, "title: T\npace: off\nlengths:\n  short: 10s\nposes:\n"
                                    "  - name: A\n    hold: 30s..1m\n    cues: [\"Rest here.\"]\n")
    args = [] if command == "check" else ["--length", "short"]
    result = invoke(command, script, *args, "--cache-dir", tmp_path / "empty")
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:4: length 'short': this script cannot last 10s: "
                             "its pauses, chimes and shortest holds alone last 38s\n")
    assert not (tmp_path / "empty").exists()  # found before anything was spoken


def test_check_is_exact_when_speech_is_cached(tmp_path):
    script = write_script(tmp_path, "title: T\npace: off\nlengths:\n  long: 3m\nposes:\n"
                                    "  - name: A\n    hold: 30s..1m\n    cues: [\"Rest here.\"]\n")
    cache = tmp_path / "c"
    assert invoke("check", script, "--cache-dir", cache).exit_code == 0  # unknown yet: passes
    assert invoke("plan", script, "--cache-dir", cache, "--length", "45s").exit_code == 0
    result = invoke("check", script, "--cache-dir", cache)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:4: length 'long': this script cannot "
                                    "last 3m00s: with this voice it can last between 38.")


def test_output_that_cannot_be_written_fails_before_speech(tmp_path, tiny):
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "x.mp3"
    result = invoke("render", tiny, "-o", target, "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1
    assert result.output == f"error: cannot write {target}: {tmp_path / 'afile'} is a file, " \
                            "not a folder\n"
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(("body", "line", "message"), [
    ("chime: none\nposes:\n  - name: A\n    cues: [\"Hi.\"]\n  - name: B\n    cues: [\"...\"]\n",
     6, "pose 'B' has nothing to say, play or hold"),
    ("chime: none\nposes:\n  - name: A\n    cues: [\"[chime]\"]\n", 4,
     "pose 'A' has nothing to say, play or hold"),
    ("chime: none\nposes:\n  - name: A\n    hold: 1m\n    cues: [\"[pause 1s]\"]\n", None,
     "the script has nothing to say or play: every cue is only pauses or punctuation, and "
     "there is no chime"),
])
def test_nothing_to_say(tmp_path, body, line, message):
    script = write_script(tmp_path, "title: T\n" + body)
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output == f"error: {script}{':' + str(line) if line else ''}: {message}\n"


def test_float_wav_chime_is_read_as_sound(tmp_path):
    import numpy as np
    from scipy.io import wavfile

    from audio_builder.sound.named import load_sound

    (tmp_path / "sounds").mkdir()
    t = np.arange(44100) / 44100
    wavfile.write(tmp_path / "sounds" / "tone.wav", 44100,
                  (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    samples = load_sound("tone", tmp_path / "s.yaml")
    assert len(samples) == 44100
    assert abs(float(np.abs(samples).max()) - 0.3) < 0.001


def test_broken_piper_voice_is_one_line(tmp_path, tiny):
    import shutil

    from audio_builder.speech.engines.piper_engine import bundled_model

    (tmp_path / "junk.onnx").write_bytes(b"not a model" * 100)
    shutil.copy(f"{bundled_model()}.json", tmp_path / "junk.onnx.json")
    result = invoke("render", tiny, "--voice", tmp_path / "junk.onnx", "-o", tmp_path / "x.mp3",
                    "--cache-dir", tmp_path / "c")
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tiny}: cannot load the Piper voice "
                                    f"{tmp_path / 'junk.onnx'}: ")
    assert len(result.output.splitlines()) == 1
    assert not (tmp_path / "x.mp3").exists()


def test_piper_voice_must_speak_the_language(tmp_path):
    script = write_script(tmp_path, "title: T\nlanguage: de\nposes:\n  - name: A\n"
                                    "    cues: [\"Hallo.\"]\n")
    result = invoke("check", script)
    assert result.exit_code == 1
    assert result.output == (f"error: {script}: the Piper voice en_US-joe-medium.onnx speaks "
                             "'en', but the script's language is 'de': choose a Piper voice "
                             "for it (--voice FILE.onnx) or --engine gtts\n")


def test_unwritable_cache_costs_speed_not_the_render(tmp_path, tiny):
    (tmp_path / "afile").write_text("x")
    result = CliRunner(mix_stderr=False).invoke(
        main, ["render", str(tiny), "-o", str(tmp_path / "x.mp3"),
               "--cache-dir", str(tmp_path / "afile" / "cache")])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: cannot write the speech cache (")
    assert (tmp_path / "x.mp3").exists()


def test_same_length_twice_is_rendered_once(tmp_path, tiny):
    result = invoke("render", tiny, "--length", "quick", "--length", "quick")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 1
