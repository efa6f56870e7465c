"""The published site in a real browser, as a listener on the mat uses it.

Served by the project's own preview server (Range requests, as real static hosts
answer them), opened in Debian's chromium through Playwright.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import until
from conftest import DATA, ROOT
from playwright.sync_api import Browser, BrowserContext, Page, expect

from audio_builder.publish.server import serving
from audio_builder.publish.site import publish
from audio_builder.speech.cache import Cache

HOSTILE = "</title><script>alert(1)</script>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    publish([DATA / "tiny.yaml", DATA / "hostile" / "hostile.yaml"], out, Cache(speech_cache),
            "https://example.org/yoga/")
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with serving(site) as base:
        yield base


class Visit:
    """One fresh browser profile (no worker, no cache), noting what goes wrong."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.base = base
        self.context: BrowserContext = browser.new_context()
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"{r.status} {r.url}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, rel: str) -> Page:
        self.page.goto(self.base + rel)
        return self.page

    def time(self) -> float:
        return float(self.page.evaluate("document.getElementById('audio').currentTime"))

    def play(self) -> None:
        self.page.evaluate("document.getElementById('audio').play()")

    def until(self, expression: str, timeout: float = 15.0) -> None:
        until(self.page, expression, timeout)

    def wait_until_playing_past(self, seconds: float) -> None:
        self.until(f"document.getElementById('audio').currentTime > {seconds}")

    def wait_for_seek(self) -> None:
        self.until("!document.getElementById('audio').seeking")

    def keep(self, rel: str) -> Page:
        """Open a session once the worker controls the page, and keep it for offline."""
        page = self.open(rel)
        self.until("navigator.serviceWorker.controller !== null")
        page.get_by_role("button", name="Keep for offline").click()
        expect(page.locator("#keep-state")).to_contain_text("Kept on this device",
                                                            timeout=15000)
        return page


@pytest.fixture
def visit(browser: Browser, url: str) -> Iterator[Visit]:
    v = Visit(browser, url)
    yield v
    v.context.close()


def plan(site: Path, rel: str) -> dict:
    return json.loads((site / rel).read_text(encoding="utf-8"))


def test_the_index_lists_every_session_and_length_without_a_console_error(visit: Visit):
    page = visit.open("index.html")
    expect(page.get_by_role("link", name="quick · 0:35")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^full · 0:\d\d$"))).to_have_count(2)
    expect(page.get_by_role("heading", name=HOSTILE)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert visit.problems == []


def test_play_advances_time(visit: Visit):
    page = visit.open("tiny/full.html")
    expect(page.locator("#now-pose")).to_have_text("Welcome")
    visit.play()
    visit.wait_until_playing_past(1.0)
    assert visit.problems == []


def test_tapping_a_pose_goes_to_its_start_and_shows_it(visit: Visit, site: Path):
    knee_hug = next(c for c in plan(site, "tiny/full.json")["chapters"]
                    if c["title"] == "Knee Hug")
    page = visit.open("tiny/full.html")
    page.get_by_role("button", name="Knee Hug").click()
    visit.wait_for_seek()
    assert abs(visit.time() - knee_hug["start_s"]) <= 0.1
    expect(page.locator("#now-pose")).to_have_text("Knee Hug")
    expect(page.locator("#chapters > li[aria-current=true]")).to_contain_text("Knee Hug")
    expect(page.locator("#now-cues")).to_contain_text("Hug your right knee.")
    assert visit.problems == []


def test_the_highlighted_pose_and_the_hold_follow_the_playback(visit: Visit, site: Path):
    data = plan(site, "tiny/full.json")
    hold = next(h for h in data["holds"] if h["pose"] == "Lying Rest")
    page = visit.open("tiny/full.html")
    visit.until("document.getElementById('audio').readyState >= 1")
    start = hold["start_s"] + 0.2
    page.evaluate(f"document.getElementById('audio').currentTime = {start}")
    visit.play()
    expect(page.locator("#chapters > li[aria-current=true]")).to_contain_text("Lying Rest")
    expect(page.locator("#now-hold")).to_be_visible()
    expect(page.locator("#now-hold")).to_contain_text(" left")
    # the time shown and the time played, read at once: the countdown is the plan's hold
    now, shown = page.evaluate("[document.getElementById('audio').currentTime, "
                               "document.getElementById('now-hold').textContent]")
    minutes, seconds = re.search(r"(\d+):(\d\d) left", shown).groups()
    left = hold["start_s"] + hold["duration_s"] - now
    assert abs(int(minutes) * 60 + int(seconds) - left) <= 1.0 + 0.3  # shown in whole seconds
    # played on into the next pose, the highlight moves with it
    page.evaluate(f"document.getElementById('audio').currentTime = "
                  f"{hold['start_s'] + hold['duration_s'] - 0.3}")
    expect(page.locator("#chapters > li[aria-current=true]")).to_contain_text(
        "Knee Hug", timeout=10000)
    expect(page.locator("#now-cues")).to_have_text("Hug your right knee.")
    # past the first side's hold, the cues of the other side are shown
    first = next(h for h in data["holds"] if h["pose"] == "Knee Hug")
    page.evaluate(f"document.getElementById('audio').currentTime = "
                  f"{first['start_s'] + first['duration_s'] + 0.1}")
    expect(page.locator("#now-cues")).to_contain_text("Hug your left knee.")
    expect(page.locator("#now-cues")).not_to_contain_text("right")
    assert visit.problems == []


def test_a_kept_session_plays_and_seeks_offline(visit: Visit, site: Path):
    closing = plan(site, "tiny/full.json")["chapters"][-1]
    page = visit.keep("tiny/full.html")
    visit.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Tiny Practice")).to_be_visible()
    visit.play()
    visit.wait_until_playing_past(0.5)
    page.get_by_role("button", name="Closing").click()
    visit.wait_for_seek()
    assert abs(visit.time() - closing["start_s"]) <= 0.1
    visit.wait_until_playing_past(closing["start_s"] + 0.5)
    assert visit.problems == []


RANGE_FETCH = """async (range) => {
    const src = document.getElementById('audio').src;
    const r = await fetch(src, {headers: {Range: range}});
    const body = new Uint8Array(await r.arrayBuffer());
    return {status: r.status, range: r.headers.get('Content-Range'), body: Array.from(body)};
}"""


def test_offline_the_worker_answers_byte_ranges_from_the_kept_copy(visit: Visit, site: Path):
    mp3 = (site / "tiny" / "full.mp3").read_bytes()
    page = visit.keep("tiny/full.html")
    visit.context.set_offline(True)
    page.reload()
    middle = page.evaluate(RANGE_FETCH, "bytes=200000-200099")
    assert (middle["status"], middle["range"]) == (206, f"bytes 200000-200099/{len(mp3)}")
    assert bytes(middle["body"]) == mp3[200000:200100]
    tail = page.evaluate(RANGE_FETCH, "bytes=-10")
    assert (tail["status"], bytes(tail["body"])) == (206, mp3[-10:])
    assert page.evaluate(RANGE_FETCH, f"bytes={len(mp3)}-")["status"] == 416
    # RFC 9110, as the preview server: an invalid range or several ranges are ignored
    for ignored in ["bytes=5-3", "bytes=0-9,20-29"]:
        whole = page.evaluate(RANGE_FETCH, ignored)
        assert (whole["status"], whole["range"], len(whole["body"])) == (200, None, len(mp3))


KEPT_MP3S = """caches.open('ab-kept-v1').then((c) => c.keys())
    .then((keys) => keys.map((r) => r.url).filter((u) => u.includes('.mp3')))"""


def test_a_kept_session_still_plays_offline_after_a_re_publish(
        browser: Browser, tmp_path: Path, speech_cache: Path):
    script = tmp_path / "tiny.yaml"
    script.write_text((DATA / "tiny.yaml").read_text())
    out = tmp_path / "site"
    publish([script], out, Cache(speech_cache), lengths=("quick",))
    old = plan(out, "tiny/quick.json")["audio"]
    with serving(out) as base:
        v = Visit(browser, base)
        try:
            page = v.keep("tiny/quick.html")
            assert page.evaluate(KEPT_MP3S) == [f"{base}tiny/{old}"]
            script.write_text(script.read_text().replace("Thank you.", "Thank you, friend."))
            publish([script], out, Cache(speech_cache), lengths=("quick",))
            new = plan(out, "tiny/quick.json")["audio"]
            assert new != old
            page.reload()  # online: the worker refreshes page, data and audio together
            v.until(f"{KEPT_MP3S}.then((u) => u.length === 1 && u[0].endsWith('{new}'))")
            v.context.set_offline(True)
            page.reload()
            expect(page.locator("#audio")).to_have_attribute("src", new)
            expect(page.locator("#keep-state")).to_contain_text("Kept on this device")
            v.play()
            v.wait_until_playing_past(0.5)
            assert v.problems == []
        finally:
            v.context.close()


def test_offline_the_folder_address_opens_the_index(visit: Visit):
    page = visit.open("index.html")
    visit.until("navigator.serviceWorker.controller !== null")
    visit.context.set_offline(True)
    page.goto(visit.base)
    expect(page.get_by_role("link", name="quick · 0:35")).to_be_visible()


def test_a_hostile_title_shows_as_text(visit: Visit):
    page = visit.open("hostile/full.html")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE)
    assert page.title() == f"{HOSTILE} (full)"
    expect(page.get_by_role("button", name="<img src=x onerror=alert(2)>")).to_be_visible()
    expect(page.locator("main img")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert visit.dialogs == []
    assert visit.problems == []


def test_the_readme_pictures_of_the_site(browser: Browser, tmp_path: Path, speech_cache: Path):
    """The shipped evening session published and looked at as a student would, on a
    laptop (the index) and a phone (the session, in a hold): the pictures in the README,
    made again by this test so they never show an older page."""
    site = tmp_path / "site"
    publish([ROOT / "scripts" / "evening-wind-down.yaml"], site, Cache(speech_cache),
                 "https://example.org/yoga/", ("short",))
    docs = ROOT / "docs"
    with serving(site) as base:
        laptop = browser.new_context(viewport={"width": 900, "height": 640})
        page = laptop.new_page()
        page.goto(base + "index.html")
        expect(page.get_by_role("heading", name="Evening Wind-Down")).to_be_visible()
        page.screenshot(path=str(docs / "site-index.png"))
        laptop.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844},
                                    device_scale_factor=2, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(base + "evening-wind-down/short.html")
        data = plan(site, "evening-wind-down/short.json")
        hold = data["holds"][0]
        page.evaluate("document.getElementById('audio').readyState >= 1 || "
                      "new Promise(r => document.getElementById('audio')"
                      ".addEventListener('loadedmetadata', r))")
        page.evaluate(f"document.getElementById('audio').currentTime = {hold['start_s'] + 5}")
        expect(page.locator("#now-hold")).to_be_visible()
        page.screenshot(path=str(docs / "site-session.png"))
        phone.close()
    for name, width in (("site-index.png", 900), ("site-session.png", 780)):
        head = (docs / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(head[16:20], "big") == width
