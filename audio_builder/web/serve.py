"""Serving an ASGI app on 127.0.0.1: in the foreground until Ctrl-C (the commands), or
in a thread for as long as a block runs (the tests, and the studio's own checks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

HOST = "127.0.0.1"


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:port (0: any free port); OSError if it cannot."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                            server_header=False, date_header=False)
    return uvicorn.Server(config)


def run(make_app: Callable[[int], ASGIApp], sock: socket.socket) -> None:
    """Serve until Ctrl-C (or SIGTERM): uvicorn stops gracefully and this returns."""
    port = sock.getsockname()[1]
    _server(make_app(port)).run(sockets=[sock])


@contextmanager
def serving(make_app: Callable[[int], ASGIApp], port: int = 0) -> Iterator[str]:
    """The app served in a background thread while the block runs; yields its URL."""
    sock = listen(port)
    port = sock.getsockname()[1]
    server = _server(make_app(port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{port}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
