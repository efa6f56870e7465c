"""A local stand-in for Google Translate's speech endpoint, in gTTS's real wire format.

It answers POSTs to /_/TranslateWebserverUi/data/batchexecute as Google does: a `)]}'`
guard line, then length-prefixed JSON lines, the audio as base64 MP3 inside the
"jQ1olc" RPC answer. Each request takes the next behaviour from a queue (default "ok"):
ok, 429, 500, 403, noaudio (a 200 without audio), drop (the connection is closed).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandIn:
    def __init__(self, mp3: bytes) -> None:
        self.mp3 = mp3
        self.behaviours: deque[str] = deque()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def texts(self) -> list[str]:
        return [r["text"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self, request: dict) -> str:
        with self.lock:
            self.requests.append(request)
            return self.behaviours.popleft() if self.behaviours else "ok"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                rpc = json.loads(urllib.parse.parse_qs(body)["f.req"][0])
                text, lang, speed, _ = json.loads(rpc[0][0][1])
                behaviour = standin._next({"path": self.path, "text": text, "lang": lang,
                                           "speed": speed})
                if behaviour == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if behaviour in ("429", "500", "403"):
                    self.send_error(int(behaviour))
                    return
                if behaviour == "noaudio":
                    answer = ["wrb.fr", "jQ1olc", None, None, None, [3], "generic"]
                else:
                    audio = base64.b64encode(standin.mp3).decode("ascii")
                    answer = ["wrb.fr", "jQ1olc", json.dumps([audio]), None, None, None,
                              "generic"]
                line = json.dumps([answer, ["di", 41], ["af.httprm", 40, "-2113", 7]],
                                  separators=(",", ":"))
                payload = f")]}}'\n\n{len(line)}\n{line}\n25\n[[\"e\",4,null,null,{len(line)}]]\n"
                data = payload.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
