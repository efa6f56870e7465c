"""The session page on a student's phone (390x844, touch), in Debian's chromium: what the
lock screen and headset buttons see (Media Session) and do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import until
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


LADDER_S = 10
"""The tiny session's ladder step (the command line asks at least a minute; the tiny
session lasts one)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("phone") / "site"
    publish([DATA / "tiny.yaml"], out, Cache(speech_cache), "https://example.org/yoga/",
            every=LADDER_S * 44100)
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with serving(site) as base:
        yield base


@contextmanager
def phone_page(browser: Browser, script: str) -> Iterator[tuple[Page, list[str]]]:
    """A page at a phone's size with `script` run before the site's, and the errors it
    logs."""
    context = browser.new_context(**PHONE)
    context.add_init_script(script)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        yield page, problems
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    with phone_page(browser, RECORD) as opened:
        yield opened




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


# Records what the page asks of the Screen Wake Lock.
SPY_WAKE = """
window.__wake = [];
if ('wakeLock' in navigator) {
  navigator.wakeLock.request = (type) => {
    window.__wake.push(type);
    const lock = new EventTarget();
    lock.released = false;
    lock.release = async () => { lock.released = true; window.__wake.push('released'); };
    return Promise.resolve(lock);
  };
}
"""
NO_WAKE = "delete Navigator.prototype.wakeLock;"


def test_the_screen_stays_on_while_it_plays_when_asked(browser: Browser, url: str):
    with phone_page(browser, SPY_WAKE) as (page, problems):
        _screen_stays_on(page, problems, url)


def _screen_stays_on(page: Page, problems: list[str], url: str) -> None:
    page.goto(url + "tiny/full.html")
    page.wait_for_selector("#awake-row:not([hidden])")
    page.check("#awake")
    page.evaluate("document.getElementById('audio').play()")
    until(page, "window.__wake.includes('screen')")
    page.evaluate("document.getElementById('audio').pause()")
    until(page, "window.__wake.includes('released')")
    page.reload()  # the choice is remembered on the device
    page.wait_for_selector("#awake-row:not([hidden])")
    assert page.is_checked("#awake")
    assert problems == []


def test_without_wake_lock_the_toggle_is_hidden_and_nothing_fails(browser: Browser, url: str):
    with phone_page(browser, NO_WAKE) as (page, problems):
        _no_wake_lock(page, problems, url)


def _no_wake_lock(page: Page, problems: list[str], url: str) -> None:
    page.goto(url + "tiny/full.html")
    until(page, "isFinite(document.getElementById('audio').duration)")
    page.evaluate("document.getElementById('audio').play()")
    until(page, "document.getElementById('audio').currentTime > 0.3")
    assert page.evaluate("'wakeLock' in navigator") is False
    assert page.is_hidden("#awake-row")
    assert problems == []


def _resume_offer(page: Page, url: str, plan: dict) -> None:
    chapters = plan["chapters"]
    middle = chapters[1]["start_s"] + 0.6 * (chapters[1]["end_s"] - chapters[1]["start_s"])
    assert middle > 10
    page.goto(url + "tiny/full.html")
    until(page, "isFinite(document.getElementById('audio').duration)")
    page.evaluate(f"document.getElementById('audio').currentTime = {middle}")
    page.evaluate("document.getElementById('audio').play()")
    until(page, f"document.getElementById('audio').currentTime > {middle + 0.2}")
    page.evaluate("document.getElementById('audio').pause()")
    page.reload()
    page.wait_for_selector("#resume:not([hidden])")
    assert chapters[1]["title"] in page.inner_text("#resume-text")
    page.click("#resume-go")
    until(page, f"Math.abs(document.getElementById('audio').currentTime - "
                f"{chapters[1]['start_s']}) < 0.5")


def test_a_position_is_kept_on_the_device_and_offered_after_a_reload(
        phone: tuple[Page, list[str]], url: str, site: Path):
    page, problems = phone
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    _resume_offer(page, url, plan)
    assert problems == []


def test_the_position_is_offered_offline_too(browser: Browser, url: str, site: Path):
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url + "tiny/full.html")
    until(page, "navigator.serviceWorker.controller !== null", 20)
    page.reload()
    until(page, "navigator.serviceWorker.controller !== null", 20)
    page.get_by_role("button", name="Keep for offline").click()
    page.wait_for_selector("#keep-state:text('Kept on this device')", timeout=20000)
    context.set_offline(True)
    _resume_offer(page, url, plan)
    context.close()


def test_how_long_do_you_have_opens_the_nearest_length(phone: tuple[Page, list[str]],
                                                       url: str, site: Path):
    page, problems = phone
    lengths = json.loads((site / "tiny" / "lengths.json").read_text(encoding="utf-8"))
    names = [entry["name"] for entry in lengths]
    assert "full" in names and "quick" in names and len(names) >= 4  # and the ladder
    assert [e["seconds"] for e in lengths] == sorted(e["seconds"] for e in lengths)
    page.goto(url + "tiny/full.html")
    page.wait_for_selector("#how-long:not([hidden])")
    want = 1  # minute: the nearest published length to 60 s
    best = min(lengths, key=lambda e: abs(e["seconds"] - 60 * want))
    page.fill("#minutes", str(want))
    page.click("#how-long button[type=submit]")
    if best["name"] == "full":
        page.wait_for_selector("#how-long-answer:text('This one')")
    else:
        page.wait_for_url(f"**/tiny/{best['name']}.html")
        until(page, "document.getElementById('title') !== null")
    assert problems == []


def test_the_feed_lists_the_named_lengths_only_and_the_app_installs(site: Path):
    import feedparser

    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert sorted(e.id for e in feed.entries) == ["audio-builder:tiny/full",
                                                  "audio-builder:tiny/quick"]
    manifest = json.loads((site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["theme_color"] == manifest["background_color"] == "#111417"
    assert manifest["display"] == "standalone"
    icons = {(i["sizes"], i.get("purpose", "any")): i["src"] for i in manifest["icons"]}
    assert ("192x192", "any") in icons and ("512x512", "any") in icons
    assert ("512x512", "maskable") in icons
    import struct

    for (size, _), src in icons.items():
        if size == "any":
            continue
        data = (site / src).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == tuple(int(n) for n in size.split("x"))
