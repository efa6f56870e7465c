"""What a local server refuses before any route sees a request.

Any web page the teacher visits can make her browser send requests to 127.0.0.1, so:
the Host must name this server (127.0.0.1 or localhost with its port: a DNS-rebinding
page's own name is refused), an Origin, when a browser sends one, must be this server,
and, where a secret is set (the studio, which writes files), every request must carry
it: in the address it was opened with (`?key=`, then kept as a cookie for the pages and
scripts it loads) or in the `X-Key` header.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "audio_builder_key"


class Guard:
    """ASGI middleware: Host, Origin and (optionally) the secret, or 403."""

    def __init__(self, app: ASGIApp, port: int, secret: str | None = None) -> None:
        self.app = app
        self.port = port
        self.secret = secret

    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        why = self.refusal(headers, scope.get("query_string", b"").decode("latin-1"))
        if why is not None:
            await PlainTextResponse(why, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, headers: dict[str, str], query: str) -> str | None:
        """Why a request is refused, or None."""
        if headers.get("host", "").lower() not in self.hosts():
            return "forbidden: this server answers only to its own address"
        origin = headers.get("origin")
        if origin is not None and origin.lower().removeprefix("http://") not in self.hosts():
            return "forbidden: requests from other sites are refused"
        if self.secret is None:
            return None
        given = [*parse_qs(query).get("key", []), headers.get("x-key", "")]
        cookie = SimpleCookie(headers.get("cookie", ""))
        if COOKIE in cookie:
            given.append(cookie[COOKIE].value)
        if not any(hmac.compare_digest(g.encode(), self.secret.encode()) for g in given if g):
            return "forbidden: open the address the studio printed (it carries its key)"
        return None
