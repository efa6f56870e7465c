"""What a ladder of lengths costs: `publish --lengths-every 5m` against a plain publish of
the psoas session, warm (speech cached), in one run.

usage: .venv/bin/python bench/ladder.py

Publishes scripts/deep-psoas-release.yaml into two temporary sites (its named lengths;
then with a 5-minute ladder), each timed as a fresh command, and counts the lengths,
the bytes of the site and of its MP3s. Writes bench/LADDER.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLI = [str(Path(sys.executable).parent / "audio-builder")]
SCRIPT = ROOT / "scripts" / "deep-psoas-release.yaml"


def publish(site: Path, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "publish", str(SCRIPT), "-o", str(site), "--base-url",
                    "https://example.org/yoga/", *extra], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        publish(Path(tmp, "warm"))  # speech cached, imports warm
        for label, extra in (("named lengths (full, short)", ()),
                             ("with --lengths-every 5m", ("--lengths-every", "5m"))):
            site = Path(tmp, label.split()[0])
            seconds = publish(site, *extra)
            lengths = json.loads((site / SCRIPT.stem / "lengths.json").read_text())
            mp3 = sum(p.stat().st_size for p in site.rglob("*.mp3"))
            total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
            feed = (site / "feed.xml").read_text().count("<item>")
            rows.append((label, seconds, [entry["name"] for entry in lengths], mp3, total, feed))
    base = rows[0]
    lines = ["# A ladder of lengths: what it costs", "",
             "`.venv/bin/python bench/ladder.py`: the psoas session published warm (speech "
             f"cached), as a fresh command each, on this machine ({os.cpu_count()} cores, "
             "shared).", "",
             "| publish | time | × | lengths | MP3 bytes | site bytes | feed items |",
             "|---|---:|---:|---|---:|---:|---:|"]
    for label, seconds, names, mp3, total, feed in rows:
        lines.append(f"| {label} | {seconds:.1f} s | {seconds / base[1]:.1f}× | "
                     f"{', '.join(names)} | {mp3 / 1e6:.1f} MB | {total / 1e6:.1f} MB | "
                     f"{feed} |")
    extra = len(rows[1][2]) - len(base[2])
    lines += ["", f"The ladder adds {extra} lengths (5 minutes apart, from the shortest the "
              "session can take, beside the named ones). Speech is spoken once; each length "
              "encodes only what sounds. The feed still lists the named lengths only. Times are "
              "one run each on a shared machine: another run gave 6.4 s and 12.8 s (2.0×); "
              "the bytes do not vary.", ""]
    text = "\n".join(lines)
    (BENCH / "LADDER.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
