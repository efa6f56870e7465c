"""The real browser for the site tests: Debian's chromium driven by Playwright.

A missing browser is a failure with one line saying what to install, never a skip.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"]


def chromium_path() -> str:
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    if found is None:
        pytest.fail("chromium is not installed: run `apt-get install -y chromium` "
                    "(make test does it as root)", pytrace=False)
    return found
