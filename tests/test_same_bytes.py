"""The same script and options give the same bytes: hashes of the shipped scripts'
renders, pinned, so a change meant only to move code (a refactor) shows up here if it
changes one byte of what a listener gets. After an intended change of the sound, the
new hashes are printed by the failing assertion. (Renewed for #19: the voice sets the
level, and the LAME header says CBR; for #27: the pace's rests and split sentences;
#28's refactor before them changed no byte; for #26: under a bed, the loop is whole
frames (a crossfade up to 24 frames longer) and its frames are copied where the bed is
steady, parts encoded without a bit reservoir.)
"""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from conftest import ROOT

from audio_builder.cli import main

PSOAS = str(ROOT / "scripts" / "deep-psoas-release.yaml")
EVENING = str(ROOT / "scripts" / "evening-wind-down.yaml")
CASES = {
    "psoas-short": ([PSOAS, "--length", "short"],
                    "9ace1aecd16b8628aff87fc2fe58fa061b76c511ca6da392bbf4f84ab7096eb7"),
    "psoas-12m": ([PSOAS, "--length", "12m"],
                  "e5ea499a5da2089df7d07f875ccd857e21536e8cd3394d433349fb0a29868e5d"),
    "evening-bed-guide": ([EVENING, "--ambience", "rain", "--breath-guide"],
                          "4bdf3a4c0214952fe1c0abfdd92ffe54f6fcb8243bdb7112c658be8d98a49a38"),
    "evening-128k-quieter": ([EVENING, "--bitrate", "128k", "--loudness", "-21",
                              "--transcript"],
                             "8f5ca526f1a42f02b76cc0980f51183c6322d13fe6f09785390ca4f584069c24"),
}
VTT = "f9125893882fa744d315d839aaba24e15a8586b8f63e8a0969f117702403829a"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", CASES)
def test_renders_keep_their_bytes(case, tmp_path):
    args, expected = CASES[case]
    out = tmp_path / f"{case}.mp3"
    result = CliRunner().invoke(main, ["render", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _sha(out) == expected
    if "--transcript" in args:
        assert _sha(out.with_suffix(".vtt")) == VTT
