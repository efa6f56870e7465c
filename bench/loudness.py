"""The voice sets the level: every kind of session decoded and measured, in one run.

usage: .venv/bin/python bench/loudness.py [--voice heart|joe]

For each session (the shipped psoas release plain, with rain, with rain and the guide; a
sparse session of two long holds under a bed at -12, -26 and -40 LU; a session of the
teacher's recordings; a session without words, with and without its bed) this renders
the MP3 and measures, on the decoded file (pyloudnorm, BS.1770): the speech alone (the
plan's speech events joined end to end), the whole file, and the true peak (4x
oversampled); beside them what `render` reported, predicted from the clips' blocks.

Writes bench/LOUDNESS.md. Speech is cached in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import BENCH, CLI, ROOT  # noqa: E402  (bench/ is a folder of scripts)

RATE = 44100
PSOAS = ROOT / "scripts" / "deep-psoas-release.yaml"

SPARSE = """title: Sparse
chime: bell
ambience: {sound: rain, level: LEVEL}
intro:
  - "Welcome. Settle in, in whatever way feels right for you today."
poses:
  - name: Long Sit
    hold: 90s
    cues: ["If you like, let your eyes close."]
  - name: Long Rest
    hold: 60s
    cues: ["Rest here, as long as you wish."]
outro:
  - "Thank you for being here."
"""
RECORDED = """title: Recorded
chime: bell
intro:
  - {recording: take0, text: "Welcome, and thank you for being here today."}
poses:
  - name: Rest
    hold: 60s
    cues:
      - {recording: take1, text: "Rest here, and let the floor hold you."}
"""
WORDLESS = """title: Silent Sit
breath: 5s
chime: bell
ambience: rain
intro:
  - "[chime] [pause 3s]"
poses:
  - name: Sit
    hold: 5m
    cues: ["[pause 2s]"]
outro:
  - "[pause 2s]"
"""


def cli(*args: object, env: dict) -> str:
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))}: {done.stderr.strip()}")
    return done.stdout


def decode(path: Path) -> np.ndarray:
    sys.path.insert(0, str(ROOT))
    from audio_builder.mp3.encode import decode as dec

    return dec(path).astype(np.float64)


def true_peak(x: np.ndarray) -> float:
    return 20 * float(np.log10(max(float(np.max(np.abs(resample_poly(x, 4, 1)))), 1e-9)))


def recordings(folder: Path, env: dict) -> None:
    """Two takes in the bundled Piper voice, saved quietly, as a phone might record them."""
    sys.path.insert(0, str(ROOT))
    from audio_builder.speech.engines import EngineOptions, make_engine

    texts = ["Welcome, and thank you for being here today.",
             "Rest here, and let the floor hold you."]
    (folder / "sounds").mkdir(exist_ok=True)
    for n, s in enumerate(sorted(make_engine("piper", EngineOptions()).speak(texts),
                                 key=lambda s: s.index)):
        with wave.open(str(folder / "sounds" / f"take{n}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(s.rate)
            quiet = s.samples / max(1e-9, float(np.abs(s.samples).max())) * 0.05
            w.writeframes((quiet * 32767).astype("<i2").tobytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voice", default="heart", help="the voice for the spoken sessions")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ab-loudness-"))
    env = dict(os.environ, AUDIO_BUILDER_CACHE_DIR=str(work / "cache"))
    env.pop("AUDIO_BUILDER_ENGINE", None)
    meter = pyloudnorm.Meter(RATE)
    try:
        for level in (-12, -26, -40):
            (work / f"sparse{-level}.yaml").write_text(SPARSE.replace("LEVEL", str(level)))
        (work / "recorded.yaml").write_text(RECORDED)
        (work / "wordless.yaml").write_text(WORDLESS)
        recordings(work, env)
        voice = ("--voice", args.voice)
        cases = [("psoas, full", PSOAS, (*voice,)),
                 ("psoas, full, rain", PSOAS, (*voice, "--ambience", "rain")),
                 ("psoas, full, rain + guide", PSOAS,
                  (*voice, "--ambience", "rain", "--breath-guide")),
                 *((f"sparse (12 s of words, 150 s held), bed at {lv} LU",
                    work / f"sparse{-lv}.yaml", voice) for lv in (-12, -26, -40)),
                 ("recorded cues only (taken at -35 LUFS)", work / "recorded.yaml", ()),
                 ("without words, rain", work / "wordless.yaml", ()),
                 ("without words, no bed", work / "wordless.yaml", ("--ambience", "none"))]
        rows = []
        for name, script, extra in cases:
            out = work / "out.mp3"
            said = cli("render", script, "-o", out, *extra, env=env)
            plan = json.loads(cli("plan", script, "--json", *extra, env=env))
            audio = decode(out)
            parts = [audio[e["start"]:e["start"] + e["length"]] for e in plan["events"]
                     if e["kind"] == "speech"]
            voice_lufs = meter.integrated_loudness(np.concatenate(parts)) if parts else None
            reported = re.search(r"voice (-?[\d.]+) LUFS, file (-?[\d.]+)", said) or \
                re.search(r"()file (-?[\d.]+) LUFS", said)
            assert reported is not None, said
            rows.append((name, voice_lufs, meter.integrated_loudness(audio), true_peak(audio),
                         reported.group(1) or "–", reported.group(2)))
            print(name, rows[-1][1:], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["# The voice sets the level", "",
             f"`.venv/bin/python bench/loudness.py --voice {args.voice}`, one run. Each "
             "session rendered, decoded and measured with pyloudnorm (BS.1770): the speech "
             "alone (the plan's speech events joined end to end), the whole file, and the "
             "true peak (4x oversampled); `render`'s report (predicted from the clips' "
             "blocks) beside them. Target: voice -19 LUFS +/- 0.5, true peak <= -1 dBTP.",
             "", "| session | voice LUFS | file LUFS | true peak dBTP | reported voice | "
             "reported file |", "|---|---|---|---|---|---|"]
    for name, v, f, p, rv, rf in rows:
        vs = f"{v:.2f}" if v is not None else "– (no words)"
        lines.append(f"| {name} | {vs} | {f:.2f} | {p:.2f} | {rv} | {rf} |")
    (BENCH / "LOUDNESS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
