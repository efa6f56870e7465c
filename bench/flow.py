"""The shipped morning flow, rendered by the default voice and measured as a listener
hears it: does each cue land on its breath, and is anything rushed?

usage: .venv/bin/python bench/flow.py

Renders scripts/morning-flow.yaml (full and short) with Kokoro `heart` into a temporary
folder (speech from the user cache), decodes it, and for every movement of the flow
finds where its speech is first heard against where its breath phase begins (the plan
says; the clip keeps 15 ms of air before its first sound), and how much of its phase the
cue takes. Writes bench/FLOW.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
CLI = [str(Path(sys.executable).parent / "audio-builder")]
SCRIPT = ROOT / "scripts" / "morning-flow.yaml"


def main() -> None:
    from audio_builder import RATE
    from audio_builder.ffmpeg import decode_file
    from audio_builder.script.pace import words

    env = {k: v for k, v in os.environ.items() if k != "AUDIO_BUILDER_ENGINE"}
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for length in ("full", "short"):
            out = Path(tmp, f"{length}.mp3")
            subprocess.run([*CLI, "render", str(SCRIPT), "--length", length, "-o", str(out)],
                           check=True, capture_output=True, env=env)
            plan = json.loads(subprocess.run([*CLI, "plan", str(SCRIPT), "--length", length,
                                              "--json"], check=True, capture_output=True,
                                             text=True, env=env).stdout)
            audio = decode_file(out, RATE)
            said = [e for e in plan["events"] if e["kind"] == "speech" and e.get("movement")]
            phase = {}
            for n, e in enumerate(plan["events"]):
                if e.get("movement") and e["kind"] == "speech":
                    rest = plan["events"][n + 1]
                    phase[n] = e["length"] + (rest["length"] if rest.get("movement") ==
                                              e["movement"] and rest["kind"] != "speech" else 0)
            onsets, shares, paces = [], [], []
            for n, e in enumerate(plan["events"]):
                if n not in phase:
                    continue
                window = np.abs(audio[e["start"]: e["start"] + RATE // 5])
                onsets.append(int(np.argmax(window > 0.002)) * 1000 / RATE)
                shares.append(e["length"] / phase[n])
                paces.append(words(e["text"]) * 60 * RATE / phase[n])
            rounds = said[0]["rounds"]
            rows.append(f"| {length} | {plan['length_s'] / 60:.1f} min | {rounds} | "
                        f"{len(said)} | {statistics.median(onsets):.1f} ms "
                        f"({min(onsets):.1f}–{max(onsets):.1f}) | "
                        f"{statistics.median(shares) * 100:.0f}% (max "
                        f"{max(shares) * 100:.0f}%) | {statistics.median(paces):.0f} |")
            first = statistics.median(e["length"] / RATE for e in said if e["round"] == 1)
            later = statistics.median(e["length"] / RATE for e in said if e["round"] > 1)
            notes.append(f"{length}: round 1 cues (teaching) take {first:.2f} s, later rounds "
                         f"{later:.2f} s (medians)")
    text = "\n".join([
        "# Flow: the cues on the breath", "",
        "`.venv/bin/python bench/flow.py`: `scripts/morning-flow.yaml` rendered by Kokoro",
        "`heart` (breath 4 s in, 5 s out), decoded. *Heard after the phase begins*: the first",
        "sample above −54 dBFS after the first sample of the movement's breath phase (every",
        "clip keeps 15 ms of air before its first sound, so about 15 ms is on time).",
        "*Share of the phase*: the cue's spoken length over its phase. *Words a minute*: the",
        "cue's words over its whole phase, the pace the listener moves at.", "",
        "| length | total | rounds | movements | heard after the phase begins "
        "| share of the phase | words a minute |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows, "", *[f"- {n}" for n in notes], ""])
    (BENCH / "FLOW.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
