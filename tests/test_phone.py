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
    window.__lock = lock;
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


def test_the_wake_lock_is_asked_again_when_the_page_shows_again(browser: Browser, url: str):
    """The browser drops the lock when the page is hidden; shown again while it plays,
    the page asks anew (and not while paused, nor when the toggle is off)."""
    with phone_page(browser, SPY_WAKE) as (page, problems):
        _asked_again(page, problems, url)


def _asked_again(page: Page, problems: list[str], url: str) -> None:
    page.goto(url + "tiny/full.html")
    page.wait_for_selector("#awake-row:not([hidden])")
    page.check("#awake")
    page.evaluate("document.getElementById('audio').play()")
    until(page, "window.__wake.filter((w) => w === 'screen').length === 1")
    hide_and_show = """window.__lock.dispatchEvent(new Event('release'));
        document.dispatchEvent(new Event('visibilitychange'));"""
    page.evaluate(hide_and_show)
    until(page, "window.__wake.filter((w) => w === 'screen').length === 2")
    page.evaluate("document.getElementById('audio').pause()")
    until(page, "window.__wake.includes('released')")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # paused
    page.uncheck("#awake")
    page.evaluate("document.getElementById('audio').play()")  # toggle off
    until(page, "document.getElementById('audio').currentTime > 0.2")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__wake.filter((w) => w === 'screen').length") == 2
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


def test_the_position_is_kept_while_playing_and_start_again_forgets_it(
        phone: tuple[Page, list[str]], url: str, site: Path):
    """Kept as it plays (not only on pause): leaving mid-play, by another page, keeps
    it; "Start again" goes to 0:00 and forgets it."""
    page, problems = phone
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    chapters = plan["chapters"]
    middle = chapters[1]["start_s"] + 0.6 * (chapters[1]["end_s"] - chapters[1]["start_s"])
    page.goto(url + "tiny/full.html")
    until(page, "isFinite(document.getElementById('audio').duration)")
    page.evaluate(f"document.getElementById('audio').currentTime = {middle}")
    page.evaluate("document.getElementById('audio').play()")
    until(page, f"document.getElementById('audio').currentTime > {middle + 0.2}")
    kept = page.evaluate("JSON.parse(localStorage.getItem('ab-position:' + location.pathname))")
    assert kept is not None and abs(kept["t"] - middle) < 1  # while playing
    page.goto(url + "index.html")  # away, still playing
    page.goto(url + "tiny/quick.html")  # another length of it: its own position (none)
    until(page, "isFinite(document.getElementById('audio').duration)")
    page.wait_for_timeout(300)
    assert page.is_hidden("#resume")
    page.goto(url + "tiny/full.html")
    page.wait_for_selector("#resume:not([hidden])")
    assert chapters[1]["title"] in page.inner_text("#resume-go")
    page.click("#resume-restart")
    assert page.is_hidden("#resume")
    assert page.evaluate("document.getElementById('audio').currentTime") == 0
    assert page.evaluate("localStorage.getItem('ab-position:' + location.pathname)") is None
    page.reload()
    until(page, "isFinite(document.getElementById('audio').duration)")
    page.wait_for_timeout(300)
    assert page.is_hidden("#resume")
    assert problems == []


def _kept_then_offline(page: Page, url: str) -> None:
    """The full length kept for offline ("Keep for offline"), then the connection gone."""
    page.goto(url + "tiny/full.html")
    until(page, "navigator.serviceWorker.controller !== null", 20)
    page.reload()
    until(page, "navigator.serviceWorker.controller !== null", 20)
    page.get_by_role("button", name="Keep for offline").click()
    page.wait_for_selector("#keep-state:text('Kept on this device')", timeout=20000)
    page.context.set_offline(True)


def test_the_position_is_offered_offline_too(browser: Browser, url: str, site: Path):
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    with phone_page(browser, "") as (page, _):
        _kept_then_offline(page, url)
        _resume_offer(page, url, plan)


FRACTIONS = "(() => { const m = document.getElementById('minutes'); m.step = 'any';" \
            " m.min = '0'; })()"
"""The tiny session lasts under a minute, so whole minutes all land on full: the tests
let the field take fractions to reach the rungs between (students type minutes)."""


def test_how_long_do_you_have_opens_the_nearest_length(phone: tuple[Page, list[str]],
                                                       url: str, site: Path):
    page, problems = phone
    lengths = json.loads((site / "tiny" / "lengths.json").read_text(encoding="utf-8"))
    names = [entry["name"] for entry in lengths]
    assert "full" in names and "quick" in names and len(names) >= 4  # and the ladder
    assert [e["seconds"] for e in lengths] == sorted(e["seconds"] for e in lengths)
    opened = set()
    for minutes in (0.3, 0.6):
        best = min(lengths, key=lambda e: abs(e["seconds"] - 60 * minutes))
        assert best["name"] != "full"
        opened.add(best["name"])
        page.goto(url + "tiny/full.html")
        page.wait_for_selector("#how-long:not([hidden])")
        page.evaluate(FRACTIONS)
        page.fill("#minutes", str(minutes))
        page.click("#how-long button[type=submit]")
        page.wait_for_url(f"**/tiny/{best['name']}.html")  # and it plays, the hash gone
        until(page, "document.getElementById('audio').currentTime > 0.2"
                    " && !document.getElementById('audio').paused && location.hash === ''")
        src = page.evaluate("document.getElementById('audio').src")
        assert f"/tiny/{best['name']}.mp3?v=" in src
    assert len(opened) == 2  # a rung of the ladder and a named length
    # the full length's own page answers "this one" when it is the nearest
    page.goto(url + "tiny/full.html")
    page.wait_for_selector("#how-long:not([hidden])")
    page.fill("#minutes", "1")
    page.click("#how-long button[type=submit]")
    page.wait_for_selector("#how-long-answer:text('This one')")
    assert page.url.endswith("tiny/full.html")
    assert problems == []

def test_offline_how_long_opens_only_a_length_kept_on_the_device(browser: Browser, url: str,
                                                                 site: Path):
    lengths = json.loads((site / "tiny" / "lengths.json").read_text(encoding="utf-8"))
    rung = min(lengths, key=lambda e: abs(e["seconds"] - 18))
    assert rung["name"] not in ("full", "quick")
    with phone_page(browser, "") as (page, problems):
        _kept_then_offline(page, url)
        _offline_how_long(page, rung)
    assert problems == []


def _offline_how_long(page: Page, rung: dict) -> None:
    page.reload()
    page.wait_for_selector("#how-long:not([hidden])")
    page.evaluate(FRACTIONS)
    page.fill("#minutes", "0.3")  # the nearest, a rung, is not kept: this one is
    page.click("#how-long button[type=submit]")
    page.wait_for_selector("#how-long-answer:text('This one')")
    answer = page.inner_text("#how-long-answer")
    assert answer.startswith(f"{rung['name']} is not kept on this device. This one")
    assert page.url.endswith("tiny/full.html")


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


def test_the_ladder_runs_from_the_shortest_to_full_in_steps(site: Path):
    """Every length beside the named ones is a whole step, between what the script can
    take and full, with its MP3, page and data published like any other."""
    from mutagen.mp3 import MP3

    lengths = json.loads((site / "tiny" / "lengths.json").read_text(encoding="utf-8"))
    full = next(e["seconds"] for e in lengths if e["name"] == "full")
    rungs = [e for e in lengths if e["name"] not in ("full", "quick")]
    assert rungs
    for rung in rungs:
        assert rung["seconds"] % LADDER_S == 0 and 0 < rung["seconds"] < full
        assert rung["name"] == f"{round(rung['seconds'])}s"
        for ext in ("html", "json", "chapters.json"):
            assert (site / "tiny" / f"{rung['name']}.{ext}").is_file()
        heard = MP3(site / "tiny" / f"{rung['name']}.mp3").info.length
        assert abs(heard - rung["seconds"]) < 0.1
    # the step below the lowest rung is shorter than the script can be squeezed into
    from click.testing import CliRunner

    from audio_builder.cli import main

    below = round(min(r["seconds"] for r in rungs)) - LADDER_S
    result = CliRunner().invoke(main, ["plan", str(DATA / "tiny.yaml"), "--length",
                                       f"{below}s"])
    assert result.exit_code != 0, result.output
    assert "shortest" in result.output or "too short" in result.output, result.output


def test_lengths_every_asks_at_least_a_minute_apart(tmp_path: Path):
    from click.testing import CliRunner

    from audio_builder.cli import main

    result = CliRunner().invoke(main, ["publish", str(DATA / "tiny.yaml"), "-o",
                                       str(tmp_path / "site"), "--lengths-every", "30s"])
    assert result.exit_code != 0
    assert "at least a minute apart" in result.output
    assert not (tmp_path / "site").exists()


def _pixels(data: bytes):
    """The RGB pixels of a PNG written by icons.py (8-bit RGB, one IDAT, filter 0)."""
    import struct
    import zlib

    import numpy as np

    w, h = struct.unpack(">II", data[16:24])
    assert data[24:26] == b"\x08\x02"  # 8 bits, RGB
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8:start - 4])[0]
    raw = np.frombuffer(zlib.decompress(data[start:start + length]), np.uint8)
    rows = raw.reshape(h, 1 + w * 3)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, 3)


def test_the_maskable_icon_bleeds_to_the_edges_and_keeps_the_disc_in_the_safe_zone(
        site: Path):
    import numpy as np

    manifest = json.loads((site / "manifest.webmanifest").read_text(encoding="utf-8"))
    src = next(i["src"] for i in manifest["icons"] if i.get("purpose") == "maskable")
    px = _pixels((site / src).read_bytes())
    size = px.shape[0]
    background = np.array([0x11, 0x14, 0x17])
    for edge in (px[0], px[-1], px[:, 0], px[:, -1]):  # a phone may crop to any shape
        assert (edge == background).all()
    y, x = np.mgrid[0:size, 0:size] + 0.5
    drawn = (px != background).any(axis=2)
    radius = np.hypot(x - size / 2, y - size / 2)[drawn]
    assert drawn.sum() > 0.1 * size * size and radius.max() <= 0.4 * size
    # the plain icon's disc is larger: the same drawing, not scaled down
    plain = _pixels((site / "icon-512.png").read_bytes())
    assert (plain != background).any(axis=2).sum() > drawn.sum()


def test_the_app_opens_from_the_home_screen_offline(browser: Browser, url: str):
    """The manifest's start_url, within its scope, is served by the worker offline."""
    with phone_page(browser, "") as (page, problems):
        _home_screen_offline(page, url)
    assert problems == []


def _home_screen_offline(page: Page, url: str) -> None:
    page.goto(url + "index.html")
    until(page, "navigator.serviceWorker.controller !== null", 20)
    manifest = page.evaluate("""fetch(document.querySelector('link[rel=manifest]').href)
        .then((r) => r.json())""")
    start = page.evaluate(f"new URL({json.dumps(manifest['start_url'])}, "
                          "document.querySelector('link[rel=manifest]').href).href")
    scope = page.evaluate(f"new URL({json.dumps(manifest['scope'])}, "
                          "document.querySelector('link[rel=manifest]').href).href")
    assert start.startswith(scope) and start.startswith(url)
    page.context.set_offline(True)
    page.goto(start)
    page.wait_for_selector("a[href*='tiny/']")
    # its style and the home screen's icons come from the worker's cache too
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != \
        "rgba(0, 0, 0, 0)"
    for icon in ("icon-192.png", "icon-512.png"):
        assert page.evaluate(f"fetch({json.dumps(url + icon)}).then((r) => r.ok)")


def test_a_hostile_pose_name_in_the_offer_to_carry_on_stays_text(
        browser: Browser, tmp_path: Path, speech_cache: Path):
    hostile = tmp_path / "site"
    publish([DATA / "hostile" / "hostile.yaml"], hostile, Cache(speech_cache))
    plan = json.loads((hostile / "hostile" / "full.json").read_text(encoding="utf-8"))
    pose = next(c for c in plan["chapters"] if c["title"].startswith("<img"))
    dialogs: list[str] = []
    with serving(hostile) as base, phone_page(browser, "") as (page, problems):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + "hostile/full.html")
        until(page, "isFinite(document.getElementById('audio').duration)")
        # a position kept in the pose (the page offers one kept past 10 s)
        kept = max(10.5, (pose["start_s"] + pose["end_s"]) / 2)
        page.evaluate(f"localStorage.setItem('ab-position:' + location.pathname, "
                      f"JSON.stringify({{t: {kept}, at: Date.now()}}))")
        page.reload()
        page.wait_for_selector("#resume:not([hidden])")
        page.reload()  # left without choosing: the offer is still there next time
        page.wait_for_selector("#resume:not([hidden])")
        at = next(c for c in plan["chapters"] if c["start_s"] <= kept < c["end_s"])
        assert at["title"] in page.inner_text("#resume-text")
        assert page.inner_text("#resume-go").startswith(f"Continue at {at['title']} (")
        assert page.locator("#resume img, #resume b, #resume script").count() == 0
        page.click("#resume-go")
        until(page, f"Math.abs(document.getElementById('audio').currentTime - "
                    f"{at['start_s']}) < 0.5")
        assert dialogs == [] and problems == []
