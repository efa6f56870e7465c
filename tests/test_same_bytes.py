"""The same script and options give the same bytes: hashes of the shipped scripts'
renders, pinned, so a change meant only to move code (a refactor) shows up here if it
changes one byte of what a listener gets. After an intended change of the sound, the
new hashes are printed by the failing assertion. (Renewed for #19: the voice sets the
level, and the LAME header says CBR; #28's refactor before it changed no byte.)
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
                    "98b7ff24e77b8ac7ab62beb246514e4c5aa674d76e2cdb9ed12f329f755cbec5"),
    "psoas-12m": ([PSOAS, "--length", "12m"],
                  "c44fa88ed3836613e8e72af8d9c0ab3c5cf33a7396e1bfe34500c936c98798d9"),
    "evening-bed-guide": ([EVENING, "--ambience", "rain", "--breath-guide"],
                          "e3e7812d56c09bb5114536761f9a63e1c0201bc5d602fbbf70d7c8366f0a4340"),
    "evening-128k-quieter": ([EVENING, "--bitrate", "128k", "--loudness", "-21",
                              "--transcript"],
                             "9b92199b76360047a430b9ee281be4ee92e25d970f2fac538838ee9fbee161b1"),
}
VTT = "70934f84e8da5e00e30fd16deae9d946ff28ecbaa4c1fb7bba6952090ecc82b1"


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
