"""Files of one folder, as a static host serves them: byte ranges answered by
Starlette's FileResponse, nothing outside the folder, no dotfiles, no listings."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TYPES = {".mp3": "audio/mpeg", ".js": "text/javascript", ".json": "application/json",
         ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
         ".xml": "application/rss+xml", ".html": "text/html; charset=utf-8",
         ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg", ".wav": "audio/wav",
         ".vtt": "text/vtt", ".webm": "audio/webm", ".yaml": "text/plain; charset=utf-8"}
_ONE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def inside(root: Path, rel: str) -> Path | None:
    """The file `rel` names inside `root`, or None: outside it (by `..` or a link), a
    dotfile or a file in a dot-folder, a NUL byte, or not a file."""
    if "\0" in rel:
        return None
    base = root.resolve()
    try:
        real = (base / rel.lstrip("/")).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if base not in real.parents or not real.is_file():
        return None
    if any(part.startswith(".") for part in real.relative_to(base).parts):
        return None  # publish's record, temp files: the teacher's, not the site's
    return real


def single_range(header: str | None) -> str | None:
    """The Range header if it asks for one valid range; else None, so the whole file is
    sent (RFC 9110 14.2: an invalid range, or several, may be ignored)."""
    if header is None:
        return None
    match = _ONE_RANGE.fullmatch(header.strip())
    if not match or not (match[1] or match[2]):
        return None
    if match[1] and match[2] and int(match[2]) < int(match[1]):
        return None
    return header.strip()


def serve_file(request: Request, root: Path, rel: str) -> Response:
    """GET or HEAD of `rel` in `root`, as a static host answers: 200 or 206, 416 past
    the end, 404 for anything it will not serve; never cached (a re-publish shows)."""
    if rel == "" or rel.endswith("/"):
        if rel and inside(root, rel + "index.html") is None:
            return PlainTextResponse("File not found", status_code=404)
        rel += "index.html"
    elif (root / rel).is_dir() and inside(root, rel + "/index.html") is not None:
        return RedirectResponse(request.url.path + "/", status_code=301)
    real = inside(root, rel)
    if real is None:
        return PlainTextResponse("File not found", status_code=404)
    response = FileResponse(real, media_type=TYPES.get(real.suffix.lower(),
                                                        "application/octet-stream"),
                            headers={"Cache-Control": "no-cache"}, stat_result=real.stat())
    # no validators: a browser then never turns a fetch into a 304 that a page's cache
    # (Keep for offline) cannot store; every answer is the file as it is now
    del response.headers["etag"]
    del response.headers["last-modified"]
    return response


class OneRange:
    """ASGI middleware: a Range header that is not one valid range is dropped before the
    file response reads it, so it is ignored (200) rather than refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            kept = []
            for k, v in scope["headers"]:
                if k.lower() == b"range" and single_range(v.decode("latin-1")) is None:
                    continue
                kept.append((k, v))
            scope = dict(scope, headers=kept)
        await self.app(scope, receive, send)
