"""Shared fixtures: every user path points at a temporary folder, speech is cached once
per test session, and renders use the real Piper voice and the real ffmpeg."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["AUDIO_BUILDER_ENGINE"] = "piper"
"""Scripts that name no voice are spoken by Piper, the fast draft voice, as a teacher
drafting would ask with AUDIO_BUILDER_ENGINE=piper (set here, before any fixture of any
scope, and inherited by the commands tests run); the natural default, Kokoro, is tested
where it is the subject (test_kokoro.py), with this unset."""
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHIPPED = sorted(p for p in (ROOT / "scripts").glob("*.yaml") if p.name.count(".") == 1)
"""The shipped scripts (their translations, NAME.LANG.yaml, are not scripts)."""
TRANSLATIONS = sorted(p for p in (ROOT / "scripts").glob("*.*.yaml"))


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One speech cache for the whole run: the real voice speaks each text once."""
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, speech_cache: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def tiny() -> Path:
    return DATA / "tiny.yaml"


def write_script(folder: Path, text: str, name: str = "script.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*.json from the current planner")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright, once per run (a second sync instance cannot start beside the first)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """One real chromium (Debian's, driven by Playwright) for every page test of the run."""
    from browser import ARGS, chromium_path

    b = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
    yield b
    b.close()
