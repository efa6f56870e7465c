"""The command line with click's CliRunner: exact output, exit codes."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import ROOT, write_script

from audio_builder.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_shipped_scripts():
    scripts = sorted((ROOT / "scripts").glob("*.yaml"))
    result = invoke("check", *scripts)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ok: {ROOT / 'scripts/deep-psoas-release.yaml'}: 'Deep Psoas Release', 7 poses",
        f"ok: {ROOT / 'scripts/evening-wind-down.yaml'}: 'Evening Wind-Down', 3 poses",
    ]


def test_check_reports_every_broken_script(tmp_path):
    bad = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues: []\n", "bad.yaml")
    worse = write_script(tmp_path, "title: X\nchime: gong\nposes:\n  - name: A\n"
                                   "    cues: [\"Rest.\"]\n", "worse.yaml")
    result = invoke("check", bad, worse)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {bad}:4: 'cues' needs at least one cue",
        f"error: {worse}: unknown sound 'gong'; available: bell, bowl (or 'none')",
    ]


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
    assert result.output.startswith(f"error: {script}: sound 'gong' (gong.wav) is not "
                                    "readable audio")


def test_script_sounds_folder_comes_first(tmp_path):
    (tmp_path / "sounds").mkdir()
    (tmp_path / "sounds" / "bell.wav").write_bytes((ROOT / "sounds/bowl.wav").read_bytes())
    script = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues: [\"Rest.\"]\n")
    result = invoke("sounds", script)
    assert result.output.splitlines() == [
        f"bell\t{tmp_path / 'sounds/bell.wav'}", f"bowl\t{ROOT / 'sounds/bowl.wav'}"]


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


def test_check_reports_unreachable_named_length_without_speech(tmp_path):
    script = write_script(tmp_path, "title: T\nlengths:\n  short: 10s\nposes:\n  - name: A\n"
                                    "    hold: 30s..1m\n    cues: [\"Rest here.\"]\n")
    result = invoke("check", script, "--cache-dir", tmp_path / "empty")
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:3: length 'short': this script cannot last 10s: "
                             "its pauses, chimes and shortest holds alone last 38s\n")
    assert not (tmp_path / "empty").exists()  # nothing was spoken


def test_check_is_exact_when_speech_is_cached(tmp_path):
    script = write_script(tmp_path, "title: T\nlengths:\n  long: 3m\nposes:\n  - name: A\n"
                                    "    hold: 30s..1m\n    cues: [\"Rest here.\"]\n")
    cache = tmp_path / "c"
    assert invoke("check", script, "--cache-dir", cache).exit_code == 0  # unknown yet: passes
    assert invoke("plan", script, "--cache-dir", cache, "--length", "45s").exit_code == 0
    result = invoke("check", script, "--cache-dir", cache)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {script}:3: length 'long': this script cannot "
                                    "last 3m00s: with this voice it can last between 38.")
