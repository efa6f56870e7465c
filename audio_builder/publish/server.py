"""`preview`: serve a published site on 127.0.0.1 as a real static host does, with
byte ranges (Starlette's file responses), only files inside the site (no listing, no
links leading out, no dotfiles), never cached, so a re-published site shows at once.
Host and Origin are checked (web/guard.py). The browser tests use it too.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ..web import serve
from ..web.files import OneRange, serve_file
from ..web.guard import Guard


def make_app(site: Path) -> Callable[[int], ASGIApp]:
    """The preview's app for a port (the Host it must be called by)."""
    def for_port(port: int) -> ASGIApp:
        async def page(request: Request) -> Response:
            return serve_file(request, site, request.path_params["rel"])
        return Starlette(routes=[Route("/{rel:path}", page, methods=["GET", "HEAD"])],
                         middleware=[Middleware(Guard, port=port), Middleware(OneRange)])
    return for_port


def listen(port: int) -> socket.socket:
    """The socket the preview will serve on; OSError if the port is taken."""
    return serve.listen(port)


def run(site: Path, sock: socket.socket) -> None:
    """Serve `site` until Ctrl-C."""
    serve.run(make_app(site), sock)


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """The site served in a background thread while the block runs; yields its URL."""
    with serve.serving(make_app(site)) as url:
        yield url
