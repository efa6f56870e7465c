"""The local server's guard (web/guard.py): loopback only, its own Host, no foreign
Origin, and where a secret is set, the secret; on the real uvicorn, over real sockets."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from test_preview import get

from audio_builder.publish.server import serving as preview
from audio_builder.web.guard import COOKIE, Guard
from audio_builder.web.serve import serving


def secret_app(port: int):  # type: ignore[no-untyped-def]
    async def hello(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("hello")
    return Starlette(routes=[Route("/", hello, methods=["GET", "POST"])],
                     middleware=[Middleware(Guard, port=port, secret="s3cret")])


def test_it_listens_on_loopback_only():
    with serving(secret_app) as base:
        assert urlsplit(base).hostname == "127.0.0.1"


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 403),                                               # no key
    ({"X-Key": "wrong"}, 403),
    ({"X-Key": "s3cret"}, 200),
    ({"Cookie": f"{COOKIE}=s3cret"}, 200),
    ({"X-Key": "s3cret", "Host": "evil.example:{port}"}, 403),   # DNS rebinding
    ({"X-Key": "s3cret", "Host": "127.0.0.1:1"}, 403),          # another port
    ({"X-Key": "s3cret", "Origin": "https://evil.example"}, 403),  # a cross-site request
    ({"X-Key": "s3cret", "Origin": "http://localhost:{port}"}, 200),
    ({"X-Key": "s3cret", "Host": "localhost:{port}"}, 200),
])
def test_the_guard(headers, status):
    with serving(secret_app) as base:
        port = urlsplit(base).port
        sent = {k: v.format(port=port) for k, v in headers.items()}
        got, _, body = get(base, "/", sent, method="POST")
        assert got == status, body
        assert get(base, "/?key=s3cret")[0] == 200  # the address the command printed


def test_preview_checks_host_and_origin_and_hides_dotfiles(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html>")
    (site / ".audio-builder-publish.json").write_text("{}")
    (site / ".hidden").mkdir()
    (site / ".hidden" / "a.txt").write_text("no")
    with preview(site) as base:
        assert get(base, "/")[0] == 200
        assert get(base, "/", {"Host": "attacker.example"})[0] == 403
        assert get(base, "/", {"Origin": "https://attacker.example"})[0] == 403
        assert get(base, "/.audio-builder-publish.json")[0] == 404
        assert get(base, "/.hidden/a.txt")[0] == 404
