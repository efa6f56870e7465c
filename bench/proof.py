"""Proof-listening the psoas session, per voice: how long it takes on this machine with
the speech cached, and how much of the written text the recogniser hears.

usage: .venv/bin/python bench/proof.py

For Kokoro `heart` and Piper `joe`: `plan` first (speaks and caches every cue), then
`proof` timed (wall time; the recogniser and, for the suggestions, the voice), its
summary line kept. Writes bench/PROOF.md. The cache is a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLI = [str(Path(sys.executable).parent / "audio-builder")]
PSOAS = ROOT / "scripts" / "deep-psoas-release.yaml"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ab-proof-"))
    env = dict(os.environ, AUDIO_BUILDER_CACHE_DIR=str(work / "cache"))
    env.pop("AUDIO_BUILDER_ENGINE", None)
    rows = []
    try:
        for voice in ("heart", "joe"):
            subprocess.run([*CLI, "plan", str(PSOAS), "--voice", voice], env=env, check=True,
                           capture_output=True)
            started = time.perf_counter()
            done = subprocess.run([*CLI, "proof", str(PSOAS), "--voice", voice], env=env,
                                  capture_output=True, text=True)
            took = time.perf_counter() - started
            summary = done.stdout.strip().splitlines()[-1]
            found = [ln for ln in done.stdout.splitlines() if re.match(r"\S+:\d+: ", ln)]
            rows.append((voice, took, summary, found))
            print(voice, took, summary, file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["# Proof-listening", "", "`.venv/bin/python bench/proof.py`, one run, the full "
             "psoas session with its speech cached (2 cores). Whisper tiny.en through "
             "faster-whisper (int8), each text heard alone; suggestions tried through the "
             "same voice.", "", "| voice | proof, wall s | summary |", "|---|---|---|"]
    for voice, took, summary, _ in rows:
        lines.append(f"| {voice} | {took:.0f} | {summary} |")
    for voice, _, _, found in rows:
        lines += ["", f"What it found with `{voice}`:", ""]
        lines += [f"- `{f.split('/')[-1]}`" for f in found] or ["- nothing"]
    (BENCH / "PROOF.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
