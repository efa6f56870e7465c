"""The practice page in a second engine, WebKit (the engine family of Safari): Debian's
WebKitGTK WebDriver under a virtual display (Xvfb), driven by selenium. The same checks a
student's phone needs: the page's script runs, the pose and hold follow the plan, the
lock screen's metadata is set, the screen-awake toggle shows only where the browser has
a Wake Lock, a position is offered after a reload, and "how long do you have?" opens the
nearest length. A missing WebKit is a failure naming what to install, never a skip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA

from audio_builder.publish.server import serving
from audio_builder.publish.site import publish
from audio_builder.speech.cache import Cache

DRIVER = "/usr/bin/WebKitWebDriver"
DISPLAY = ":93"


@pytest.fixture(scope="module")
def webkit() -> Iterator[Any]:
    if not Path(DRIVER).exists() or shutil.which("Xvfb") is None:
        pytest.fail("WebKit is not installed: run `apt-get install -y webkit2gtk-driver xvfb "
                    "xauth` (make test does it as root)", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    screen = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1280x1024x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    options = Options()
    options.add_argument("--automation")
    service = Service(executable_path=DRIVER, env=dict(os.environ, DISPLAY=DISPLAY))
    driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        screen.terminate()
        screen.wait(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, speech_cache: Path) -> Path:
    out = tmp_path_factory.mktemp("webkit") / "site"
    publish([DATA / "tiny.yaml"], out, Cache(speech_cache), every=10 * 44100)
    return out


@pytest.fixture(scope="module")
def url(site: Path) -> Iterator[str]:
    with serving(site) as base:
        yield base


def until(driver: Any, expression: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script(f"return Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.1)


AUDIO = "document.getElementById('audio')"


def test_the_page_follows_the_plan_in_webkit(webkit: Any, url: str, site: Path):
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    chapters = plan["chapters"]
    webkit.get(url + "tiny/full.html")
    until(webkit, f"isFinite({AUDIO}.duration) && {AUDIO}.duration > 1")
    assert webkit.find_element("id", "now-pose").text == chapters[0]["title"]
    buttons = webkit.find_elements("css selector", "#chapters .seek")
    buttons[1].click()  # a pose tapped: its start
    until(webkit, f"Math.abs({AUDIO}.currentTime - {chapters[1]['start_s']}) < 0.05")
    until(webkit, f"document.getElementById('now-pose').textContent === "
                  f"{json.dumps(chapters[1]['title'])}")
    hold = plan["holds"][0]  # the countdown reads the plan's holds
    webkit.execute_script(f"{AUDIO}.currentTime = {hold['start_s'] + 1}")
    until(webkit, "document.getElementById('now-hold').textContent.startsWith('In the pose')")
    if webkit.execute_script("return 'mediaSession' in navigator"):
        until(webkit, "navigator.mediaSession.metadata && "
                      "navigator.mediaSession.metadata.title.startsWith('Tiny Practice')")
    has_wake = webkit.execute_script("return 'wakeLock' in navigator")
    shown = not webkit.execute_script(
        "return document.getElementById('awake-row').hidden")
    assert shown == has_wake  # offered where the browser can keep the screen on


def test_a_position_is_offered_after_a_reload_in_webkit(webkit: Any, url: str, site: Path):
    plan = json.loads((site / "tiny" / "full.json").read_text(encoding="utf-8"))
    c = plan["chapters"][1]
    middle = c["start_s"] + 0.6 * (c["end_s"] - c["start_s"])
    webkit.get(url + "tiny/full.html")
    until(webkit, f"isFinite({AUDIO}.duration)")
    webkit.execute_script(f"{AUDIO}.currentTime = {middle}; "
                          f"{AUDIO}.dispatchEvent(new Event('pause'))")
    webkit.refresh()
    until(webkit, "!document.getElementById('resume').hidden")
    assert c["title"] in webkit.find_element("id", "resume-text").text
    webkit.find_element("id", "resume-go").click()
    until(webkit, f"Math.abs({AUDIO}.currentTime - {c['start_s']}) < 0.5")
    webkit.execute_script("localStorage.clear()")


def test_how_long_do_you_have_in_webkit(webkit: Any, url: str, site: Path):
    lengths = json.loads((site / "tiny" / "lengths.json").read_text(encoding="utf-8"))
    best = min(lengths, key=lambda e: abs(e["seconds"] - 60))
    webkit.get(url + "tiny/full.html")
    until(webkit, "!document.getElementById('how-long').hidden")
    box = webkit.find_element("id", "minutes")
    box.clear()
    box.send_keys("1")
    webkit.find_element("css selector", "#how-long button[type=submit]").click()
    if best["name"] == "full":
        until(webkit, "document.getElementById('how-long-answer').textContent"
                      ".startsWith('This one')")
    else:
        until(webkit, f"location.pathname.endsWith('/tiny/{best['name']}.html')")
    # a rung of the ladder: the tiny session lasts under a minute, so the field is let
    # take a fraction (students type whole minutes)
    rung = min(lengths, key=lambda e: abs(e["seconds"] - 18))
    assert rung["name"] not in ("full", "quick")
    webkit.get(url + "tiny/full.html")
    until(webkit, "!document.getElementById('how-long').hidden")
    webkit.execute_script("const m = document.getElementById('minutes');"
                          " m.step = 'any'; m.min = '0';")
    box = webkit.find_element("id", "minutes")
    box.clear()
    box.send_keys("0.3")
    webkit.find_element("css selector", "#how-long button[type=submit]").click()
    until(webkit, f"location.pathname.endsWith('/tiny/{rung['name']}.html')"
                  " && location.hash === ''")
