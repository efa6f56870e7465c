"""The session page on a student's phone (390x844, touch), in Debian's chromium: what the
lock screen and headset buttons see (Media Session) and do."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DATA
from playwright.sync_api import Browser, Page

from audio_builder.publish.server import serving
from audio_builder.publish.site import publish
from audio_builder.speech.cache import Cache

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 3}

# Records the handlers the page gives the Media Session, so the test can press the lock
# screen's buttons (chromium has no getter for them).
RECORD = """
window.__handlers = {};
const real = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
navigator.mediaSession.setActionHandler = (name, fn) => {
  window.__handlers[name] = fn;
  real(name, fn);
};
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("phone") / "site"
    publish([DATA / "tiny.yaml"], out, Cache(speech_cache), "https://example.org/yoga/")
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with serving(site) as base:
        yield base


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(**PHONE)
    context.add_init_script(RECORD)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page, problems
    context.close()


def until(page: Page, expression: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        page.wait_for_timeout(100)


def test_the_lock_screen_names_the_pose_and_its_buttons_go_to_the_neighbouring_pose(
        phone: tuple[Page, list[str]], url: str, site: Path):
    page, problems = phone
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    starts = [c["start_s"] for c in plan["chapters"]]
    titles = [c["title"] for c in plan["chapters"]]
    assert len(starts) >= 3
    page.goto(url + "tiny/full.html")
    until(page, "navigator.mediaSession.metadata !== null")
    meta = page.evaluate("""(() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, artist: m.artist, art: m.artwork.map((a) => a.src)}; })()""")
    assert meta["title"] == f"Tiny Practice · {titles[0]}"
    assert meta["artist"] == "Test Author"
    assert any(a.endswith("/icon-512.png") for a in meta["art"])
    handlers = page.evaluate("Object.keys(window.__handlers).sort()")
    assert handlers == sorted(["play", "pause", "seekbackward", "seekforward", "seekto",
                               "previoustrack", "nexttrack"])

    until(page, "isFinite(document.getElementById('audio').duration)")
    page.evaluate("window.__handlers.nexttrack({action: 'nexttrack'})")
    until(page, f"Math.abs(document.getElementById('audio').currentTime - {starts[1]}) < 0.01")
    until(page, f"navigator.mediaSession.metadata.title.endsWith({json.dumps(titles[1])})")
    page.evaluate("window.__handlers.nexttrack({action: 'nexttrack'})")
    until(page, f"Math.abs(document.getElementById('audio').currentTime - {starts[2]}) < 0.01")
    # Right at a pose's start, previous goes to the pose before it.
    page.evaluate("window.__handlers.previoustrack({action: 'previoustrack'})")
    until(page, f"Math.abs(document.getElementById('audio').currentTime - {starts[1]}) < 0.01")
    page.evaluate("window.__handlers.seekforward({action: 'seekforward', seekOffset: 1})")
    until(page, f"Math.abs(document.getElementById('audio').currentTime - {starts[1] + 1}) < 0.01")
    page.evaluate("window.__handlers.play({action: 'play'})")
    until(page, "navigator.mediaSession.playbackState === 'playing'")
    page.evaluate("window.__handlers.pause({action: 'pause'})")
    until(page, "navigator.mediaSession.playbackState === 'paused'"
                " && document.getElementById('audio').paused")
    assert problems == []
