"""A plain `pip install .` (a wheel, not the editable install) ships what a render needs."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_wheel_ships_the_sounds_and_the_schema(tmp_path):
    """The top-level sounds/ (SPEC.md's layout) travels inside the package; sounds.py
    reads it there when there is no checkout around the package. Built as pip builds
    it for a user, from the package index's setuptools."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("audio_builder-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for sound in sorted((ROOT / "sounds").glob("*.wav")):
            shipped = f"audio_builder/shipped_sounds/{sound.name}"
            assert shipped in names
            assert z.read(shipped) == sound.read_bytes()
        assert "audio_builder/schema/pose-script.schema.json" in names
