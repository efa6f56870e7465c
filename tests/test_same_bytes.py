"""The same script and options give the same bytes: hashes of the shipped scripts'
renders, pinned, so a change meant only to move code (a refactor) shows up here if it
changes one byte of what a listener gets. After an intended change of the sound, the
new hashes are printed by the failing assertion.
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
                    "3139323159e02431da221256aad97a10b0e7ae767000ab5aa01341c4cb4d92ed"),
    "psoas-12m": ([PSOAS, "--length", "12m"],
                  "646bb5deaa9bdaffb0aeeceb6e8d025494ee01a65606ad150c6394402289cfa8"),
    "evening-bed-guide": ([EVENING, "--ambience", "rain", "--breath-guide"],
                          "4b6d525a4083474505a2aaccfa6cf8d125fb8c783ec383b441bc413daa578b85"),
    "evening-128k-quieter": ([EVENING, "--bitrate", "128k", "--loudness", "-21",
                              "--transcript"],
                             "209fe29f96b7dafc17ef825437f57d5d881685c7dabd58bd284a81768205b0ba"),
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
