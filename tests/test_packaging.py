"""A plain `pip install .` (a wheel, not the editable install) ships what a render needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built once as pip builds it for a user (from the package index's
    setuptools), from a copy: building leaves build/ and egg-info behind."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("audio_builder", "sounds"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    # without build isolation: the venv's own setuptools builds it, so pip fetches
    # nothing in the middle of the tests
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("audio_builder-*.whl")
    return wheel


def test_the_wheel_ships_the_sounds_and_the_schema(wheel):
    """The top-level sounds/ (SPEC.md's layout) travels inside the package; sounds.py
    reads it there when there is no checkout around the package. Built as pip builds
    it for a user, from the package index's setuptools."""
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for sound in sorted((ROOT / "sounds").glob("*.wav")):
            shipped = f"audio_builder/shipped_sounds/{sound.name}"
            assert shipped in names
            assert z.read(shipped) == sound.read_bytes()
        assert "audio_builder/schema/pose-script.schema.json" in names
        voices = ROOT / "audio_builder" / "speech" / "voices" / "kokoro"
        for voice in sorted(voices.glob("*.bin")) + [voices / "LICENSE"]:
            shipped = f"audio_builder/speech/voices/kokoro/{voice.name}"
            assert shipped in names
            assert z.read(shipped) == voice.read_bytes()
        from audio_builder.speech.engines.kokoro_engine import VOICES

        assert {f"{v.file}.bin" for v in VOICES.values()} <= {p.name for p in voices.iterdir()}


def test_the_wheel_ships_the_site_and_studio_pages(wheel):
    """publish and the studio read their templates and the pages' scripts, styles and
    worker from the package: a wheel must carry every one of them."""
    pkg = ROOT / "audio_builder"
    wanted = sorted(p for folder in ("publish/templates", "publish/static", "studio/static")
                    for p in (pkg / folder).iterdir())
    # app.js icon.svg style.css sw.js, 4 templates; studio.html .js .css
    assert len(wanted) == 11
    with zipfile.ZipFile(wheel) as z:
        for path in wanted:
            shipped = f"audio_builder/{path.relative_to(pkg).as_posix()}"
            assert z.read(shipped) == path.read_bytes()
