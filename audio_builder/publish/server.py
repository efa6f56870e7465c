"""`preview`: serve a published site on 127.0.0.1 as a real static host does, with Range.

Python's http.server answers no Range requests, and then a browser cannot seek in the
audio; this one answers single ranges (206, or 416 outside the file; an invalid or
multiple range is ignored, as RFC 9110 says), serves only files inside the site (no
listing, no links leading out), and never caches, so a re-published site shows at once.
The browser tests use it too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TYPES = {".mp3": "audio/mpeg", ".js": "text/javascript", ".json": "application/json",
         ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
         ".xml": "application/rss+xml", ".html": "text/html; charset=utf-8",
         ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg"}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class Handler(SimpleHTTPRequestHandler):
    """GET and HEAD of files inside the site, with byte ranges."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}
    quiet = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        if not self.quiet:
            super().log_message(format, *args)

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to the folder's address
            path = path / "index.html"
        root = Path(self.directory).resolve()
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL byte (/%00)
            real = None
        if real is None or root not in real.parents or not real.is_file() or any(
                part.startswith(".") for part in real.relative_to(root).parts):
            # a dotfile (publish's record, a temp file) is the teacher's, not the site's
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        size = real.stat().st_size
        start, end = 0, size - 1
        ranged = self.headers.get("Range")
        status = HTTPStatus.OK
        if ranged is not None:
            match = _RANGE.match(ranged.strip())
            # RFC 9110 14.2: an invalid range (5-3) or several ranges are ignored: 200
            if match and match[1] and match[2] and int(match[2]) < int(match[1]):
                match = None
            if match and (match[1] or match[2]):
                if match[1]:
                    start = int(match[1])
                    end = min(int(match[2]), size - 1) if match[2] else size - 1
                else:
                    start = max(0, size - int(match[2]))
                if start >= size or start > end:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                status = HTTPStatus.PARTIAL_CONTENT
        f = real.open("rb")
        f.seek(start)
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(str(real)))
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        remaining = self._remaining
        while remaining > 0:
            block = source.read(min(remaining, 1 << 16))
            if not block:
                break
            outputfile.write(block)
            remaining -= len(block)

    def do_GET(self) -> None:  # noqa: N802 (the base's name)
        try:
            super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser stopped reading (it often does for audio): not an error


def make_server(site: Path, port: int = 8000, quiet: bool = True) -> ThreadingHTTPServer:
    """A server of `site` on 127.0.0.1 only (port 0: any free port)."""
    handler = partial(type("SiteHandler", (Handler,), {"quiet": quiet}), directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """The site served in a background thread while the block runs; yields its URL."""
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
