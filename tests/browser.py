"""The real browser for the site tests: Debian's chromium driven by Playwright.

A missing browser is a failure with one line saying what to install, never a skip.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]


def chromium_path() -> str:
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if found is None:
        pytest.fail("chromium is not installed: run `apt-get install -y chromium` "
                    "(make test does it as root)", pytrace=False)
    return found


def until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until true (our pages' CSP forbids the string
    evaluation wait_for_function uses), within a bounded time."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        page.wait_for_timeout(100)
