"""Click to sound in the studio: how long from a teacher's ▶ on a cue to audio she can
play, through the real server (HTTP on 127.0.0.1, the page's own request), with the
natural default voice (Kokoro heart) on this machine's cores.

usage: .venv/bin/python bench/studio.py

Cues are one-sentence cues of the psoas session, each new to the cache (spoken now), then
heard again (from the cache). The first request also loads the voice's model (the studio
keeps it loaded afterwards); it is reported apart. Writes bench/STUDIO.md.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

CUES = [
    "Welcome, and thank you for being here.",
    "When you're ready, find your way to lying on your back.",
    "Let your breath find its own pace.",
    "If it feels right, let your shoulders soften.",
    "You're welcome to rest here as long as you like.",
    "Gently release, and when you're ready, change sides.",
    "Notice the weight of your body on the mat.",
]
GOAL_S = 3.0


def post(base: str, path: str, body: dict) -> tuple[int, bytes]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    conn.request("POST", path, body=json.dumps(body),
                 headers={"X-Key": "bench", "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def main() -> None:
    os.environ.pop("AUDIO_BUILDER_ENGINE", None)  # the default voice: Kokoro
    from audio_builder.speech.cache import Cache
    from audio_builder.studio.app import make_app
    from audio_builder.web.serve import serving

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "sessions")
        folder.mkdir()
        lines = "\n".join(f'      - "{c}"' for c in CUES)
        text = (f"title: Bench\nposes:\n  - name: Rest\n    hold: 10s\n    cues:\n{lines}\n")
        (folder / "bench.yaml").write_text(text)
        with serving(make_app(folder, Cache(Path(tmp, "cache")), "bench")) as base:
            def hear(n: int) -> tuple[float, int]:
                t0 = time.perf_counter()
                status, wav = post(base, "/api/hear", {"name": "bench.yaml", "text": text,
                                                       "where": ["poses", 0, "cues", n]})
                assert status == 200, wav[:200]
                return time.perf_counter() - t0, len(wav)
            first, _ = hear(0)
            new = [hear(n)[0] for n in range(1, len(CUES))]
            again = [hear(n)[0] for n in range(len(CUES))]
    median = statistics.median(new)
    rows = [
        "| case | median | range |",
        "|---|---:|---:|",
        f"| first cue after start (loads Kokoro) | {first:.2f} s | |",
        f"| a new one-sentence cue (spoken now) | {median:.2f} s | "
        f"{min(new):.2f}–{max(new):.2f} s |",
        f"| a cue heard before (from the cache) | {statistics.median(again):.3f} s | "
        f"{min(again):.3f}–{max(again):.3f} s |",
    ]
    verdict = "meets" if median < GOAL_S else "misses"
    out = "\n".join([
        "# Studio: click to sound", "",
        "`.venv/bin/python bench/studio.py`: the time from the page's request to the WAV it",
        "plays, through the studio's server on 127.0.0.1, Kokoro `heart` (the default voice),",
        f"{os.cpu_count()} cores. {len(CUES) - 1} one-sentence cues of the psoas session's",
        "kind, each new to the cache, then each again.", "",
        *rows, "",
        f"The goal is under {GOAL_S:.0f} s for a one-sentence cue: the median {verdict} it.",
        "A cue once heard is in the renderer's own cache, so a later render speaks it no",
        "more.", ""])
    (BENCH / "STUDIO.md").write_text(out)
    print(out)


if __name__ == "__main__":
    main()
