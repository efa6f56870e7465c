"""The preview server: byte ranges as static hosts answer them, files inside SITE only."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from audio_builder.publish.server import serving

BODY = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "s").mkdir(parents=True)
    (root / "s" / "full.mp3").write_bytes(BODY)
    (root / "index.html").write_text("<!doctype html><title>x</title>")
    (tmp_path / "secret.txt").write_text("not for the web")
    (root / "s" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    return root


def get(base: str, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers (names in any case, as HTTP has them) and body."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


RANGES = [("bytes=100-199", 100, 199), ("bytes=10000-", 10000, 10239),
          ("bytes=-40", 10200, 10239), ("bytes=10200-99999", 10200, 10239)]


@pytest.mark.parametrize("header, first, last", RANGES, ids=[r[0] for r in RANGES])
def test_a_range_is_answered_with_its_slice(site, header, first, last):
    with serving(site) as base:
        status, headers, body = get(base, "/s/full.mp3?v=abc", {"Range": header})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
    assert headers["Content-Type"] == "audio/mpeg"
    assert body == BODY[first:last + 1]


def test_the_whole_file_says_it_takes_ranges(site):
    with serving(site) as base:
        status, headers, body = get(base, "/s/full.mp3")
        head = get(base, "/s/full.mp3", method="HEAD")
    assert (status, headers["Accept-Ranges"], body) == (200, "bytes", BODY)
    assert (head[0], head[1]["Content-Length"], head[2]) == (200, str(len(BODY)), b"")


def test_a_range_past_the_end_is_416(site):
    with serving(site) as base:
        status, headers, _ = get(base, "/s/full.mp3", {"Range": "bytes=20000-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(BODY)}")


@pytest.mark.parametrize("header", ["bytes=5-3", "bytes=0-9,20-29", "bytes=x-y"])
def test_an_invalid_or_multiple_range_is_ignored(site, header):
    with serving(site) as base:
        status, headers, body = get(base, "/s/full.mp3", {"Range": header})
    assert (status, "Content-Range" in headers, body) == (200, False, BODY)


@pytest.mark.parametrize("path", ["/../secret.txt", "/s/../../secret.txt", "/s/leak.txt",
                                  "/s/", "/%2e%2e/secret.txt", "/nothing.html",
                                  "/%00", "/s/full.mp3%00"])
def test_nothing_outside_the_site_and_no_listings(site, path):
    with serving(site) as base:
        status, _, body = get(base, path)
    assert status == 404
    assert b"not for the web" not in body and b"full.mp3" not in body


def test_the_folder_address_serves_its_index(site):
    with serving(site) as base:
        status, headers, body = get(base, "/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert body.startswith(b"<!doctype html>")


def test_preview_command_serves_until_interrupted(site):
    proc = subprocess.Popen([sys.executable, "-m", "audio_builder", "preview", str(site),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(f"serving {site} at http://127.0.0.1:")
        base = line.split(" at ")[1].split()[0]
        status, _, body = get(base, "/s/full.mp3", {"Range": "bytes=0-9"})
        assert (status, body) == (206, BODY[:10])
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert err.splitlines()[-1] == "stopped"


def test_a_port_in_use_is_one_line(site):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "audio_builder", "preview", str(site),
                                 "--port", str(port)], capture_output=True, text=True,
                                timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
