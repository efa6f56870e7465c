"""What a sound bed and a breath guide cost: warm renders with and without them, same run.

usage: .venv/bin/python bench/bed.py [--quick] [--repeat N]

For each session, one cold render fills a --cache-dir, then warm renders are measured
(fresh child processes, bench/measure.py: wall time, peak RSS of the largest process and
of the whole process tree) in turn: plain, `--ambience rain`, `--ambience rain
--breath-guide`, at 25 minutes, 45 minutes and the longest length a session can take.
Under a bed its steady stretches are copied frames of its loop (mp3/loop.py): the table
says what a bed still costs, and its second table how the copied bed sounds. Each
output is decoded and its integrated loudness (pyloudnorm) and true peak (4x oversampled)
are measured too, since a bed must not move the file off -19 LUFS / -1 dBTP.

Writes bench/BED.md (with --quick: bench/BED-quick.md). Temporary files live in one
tempfile.mkdtemp() folder, removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import LOADS, Run, log, measure  # noqa: E402  (bench/ is a folder of scripts)

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
CLI = [str(VENV_BIN / "audio-builder")] if (VENV_BIN / "audio-builder").exists() else [
    sys.executable, "-m", "audio_builder"]
RATE = 44100

FULL = [("25m", ROOT / "scripts" / "deep-psoas-release.yaml", "full"),
        ("45m", BENCH / "long-holds.yaml", "45m"),
        ("3h56m (longest)", BENCH / "long-holds.yaml", "full")]
LOUDNESS_UP_TO_S = 3600
"""Longer outputs are not decoded whole for their loudness (hours of float64 samples)."""
QUICK = [("6m", ROOT / "scripts" / "evening-wind-down.yaml", "full")]
VARIANTS = [("plain", []), ("rain", ["--ambience", "rain"]),
            ("rain + guide", ["--ambience", "rain", "--breath-guide"])]


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of the decoded file."""
    import numpy as np
    import pyloudnorm
    from scipy.signal import resample_poly

    sys.path.insert(0, str(ROOT))
    from audio_builder.mp3.encode import decode

    x = decode(path).astype(np.float64)
    if len(x) > LOUDNESS_UP_TO_S * RATE:
        return float("nan"), float("nan")
    lufs = pyloudnorm.Meter(RATE).integrated_loudness(x)
    peak = 0.0
    for a in range(0, len(x), RATE * 60):  # a minute at a time: flat memory here too
        part = resample_poly(x[max(0, a - 64):a + RATE * 60 + 64], 4, 1)
        peak = max(peak, float(np.abs(part).max()))
    return float(lufs), 20 * float(np.log10(max(peak, 1e-9)))


def git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def bench(label: str, script: Path, length: str, tmp: Path, repeat: int) -> list[dict]:
    d = tmp / label
    d.mkdir()
    cache = d / "cache"
    for name, args in VARIANTS:  # speech, and the bed's and clips' measures, cached
        log(f"[{label}] cold render {name} (fills the cache) ...")
        measure([*CLI, "render", str(script), "--length", length, "-o", str(d / "cold.mp3"),
                 "--cache-dir", str(cache), *args], tmp)
    rows = []
    runs: dict[str, list[Run]] = {name: [] for name, _ in VARIANTS}
    for n in range(repeat):  # interleaved, so a busy moment falls on every variant alike
        for name, args in VARIANTS:
            out = d / f"{name.replace(' + ', '-')}.mp3"
            r = measure([*CLI, "render", str(script), "--length", length, "-o", str(out),
                         "--cache-dir", str(cache), *args], tmp)
            runs[name].append(r)
            log(f"[{label}] {name} #{n + 1} {r.wall_s:.2f}s, tree {r.tree_peak_mb:.0f} MB")
    plain = statistics.median(r.wall_s for r in runs["plain"])
    for name, _ in VARIANTS:
        wall = statistics.median(r.wall_s for r in runs[name])
        rows.append({"session": label, "script": f"{script.name} --length {length}",
                     "variant": name, "wall_s": wall, "ratio": wall / plain,
                     "walls": [r.wall_s for r in runs[name]],
                     "maxrss_mb": max(r.maxrss_mb for r in runs[name]),
                     "tree_mb": max(r.tree_peak_mb for r in runs[name]),
                     "out": d / f"{name.replace(' + ', '-')}.mp3"})
    return rows


def copy_quality() -> list[str]:
    """SNR of the copied bed and of the whole file against the ideal mix, and the largest
    sample step at the seams, for the psoas session with rain (warm cache)."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from audio_builder.ffmpeg import decode_file
    from audio_builder.mp3.encode import BED_MERGE, chunked, encode_command
    from audio_builder.mp3.frames import FRAME
    from audio_builder.mp3.slots import parts_for
    from audio_builder.pipeline.options import RenderOptions
    from audio_builder.pipeline.progress import Quiet
    from audio_builder.pipeline.render import plan_length, prepare, sources, speak, write_mp3
    from audio_builder.sound.mix import blocks
    from audio_builder.speech.cache import Cache, default_dir

    with tempfile.TemporaryDirectory() as tmp:
        cache = Cache(default_dir())
        prep = prepare(ROOT / "scripts" / "deep-psoas-release.yaml",
                       RenderOptions(ambience="rain"), cache=cache)
        speech = speak(prep, cache, Quiet())
        plan = plan_length(prep, speech, prep.lengths[0])
        out, whole = Path(tmp, "copied.mp3"), Path(tmp, "whole.mp3")
        write_mp3(prep, plan, speech, out, Quiet())
        src = sources(prep, plan, speech)
        assert src.bed is not None
        ideal = np.concatenate(list(blocks(plan, src.audio, bed=src.bed.samples)))
        subprocess.run(encode_command(whole, "96k"), input=ideal.astype("<f4").tobytes(),
                       check=True)
        got, one = decode_file(out, RATE), decode_file(whole, RATE)
        spans = [(e.start, e.length) for e in plan.events if e.kind.sounds]
        parts = chunked(parts_for(spans + src.bed.changing(), plan.total, BED_MERGE))
    copied = np.ones(plan.total, bool)
    for p in parts:
        copied[max(0, (p.first - 1) * FRAME):(p.last + 2) * FRAME] = False

    def snr(a: np.ndarray, b: np.ndarray) -> float:
        return float(10 * np.log10(np.sum(b.astype(np.float64) ** 2)
                                   / np.sum((a - b).astype(np.float64) ** 2)))
    seams = sorted({p.first * FRAME for p in parts} | {(p.last + 1) * FRAME for p in parts})
    seams = [x for x in seams if FRAME < x < plan.total - FRAME]

    def step(a: np.ndarray) -> float:
        d = np.abs(np.diff(a))
        return max(float(d[x - FRAME:x + FRAME].max()) for x in seams)
    typical = float(np.percentile(np.abs(np.diff(ideal)), 99.9))
    return [f"| share of the session copied | {copied.mean() * 100:.0f}% | 0% |",
            f"| SNR where the bed is copied | {snr(got[copied], ideal[copied]):.2f} dB | "
            f"{snr(one[copied], ideal[copied]):.2f} dB |",
            f"| SNR of the whole file | {snr(got, ideal):.2f} dB | {snr(one, ideal):.2f} dB |",
            f"| largest sample step within a frame of a seam ({len(seams)} seams) | "
            f"{step(got):.4f} | {step(one):.4f} |",
            f"| the ideal mix's own steps (99.9th percentile) | {typical:.4f} | |"]


def report(rows: list[dict], args: argparse.Namespace, loads: tuple[float, float, float],
           quality: list[str] | None = None) -> str:
    lines = ["# A sound bed and a breath guide: what they cost", "",
             f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
             f"- machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}",
             f"- command: `.venv/bin/python bench/bed.py{' --quick' if args.quick else ''}"
             f"{f' --repeat {args.repeat}' if args.repeat != 3 else ''}` (from the repository "
             "root)",
             f"- project commit: {git_head()}",
             f"- 1-minute load average before / highest at a measurement's start / after: "
             f"{loads[0]:.2f} / {loads[1]:.2f} / {loads[2]:.2f}",
             f"- warm renders (every clip cached), median of {args.repeat} interleaved runs; "
             "peaks: the highest; loudness and true peak: the decoded MP3", "",
             "| session | script | variant | warm s | × plain | RSS MB | tree MB | LUFS | "
             "dBTP | runs s |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['session']} | {r['script']} | {r['variant']} | {r['wall_s']:.2f} | "
                     f"{r['ratio']:.2f}x | {r['maxrss_mb']:.0f} | {r['tree_mb']:.0f} | "
                     f"{r['lufs']:.2f} | {r['dbtp']:.2f} | "
                     f"{', '.join(f'{w:.2f}' for w in r['walls'])} |")
    lines += ["", "Under a bed, the loop (a whole number of MP3 frames) is encoded once and its "
              "frames are copied wherever the bed plays alone at its steady level; the "
              "fades, the ducks under the words and every sound are encoded as parts with a "
              "lead-in and a tail of the real session, in chunks, one encoder per core "
              "(mp3/loop.py). Memory does not grow with the session's length.", ""]
    if quality:
        lines += ["## The copied bed against the ideal mix", "",
                  "The psoas session at full length with rain, decoded, against the samples "
                  "the encoder was given (the ideal mix); *encoded whole*: that ideal mix "
                  "given to one encoder at once (how every bed was encoded before). Seams: "
                  "every join between copied frames and encoded parts.", "",
                  "| measure | copied frames + parts | encoded whole |", "|---|---:|---:|",
                  *quality, ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short session")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="bench-bed-"))
    try:
        rows = []
        for label, script, length in (QUICK if args.quick else FULL):
            rows += bench(label, script, length, tmp, args.repeat)
        log("measuring the outputs' loudness ...")  # after every render: a parent grown by
        for row in rows:  # decoding would count in its children's ru_maxrss (fork)
            row["lufs"], row["dbtp"] = loudness(row.pop("out"))
        quality = None if args.quick else copy_quality()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(rows, args, (before, max(LOADS, default=before), os.getloadavg()[0]),
                  quality)
    (BENCH / ("BED-quick.md" if args.quick else "BED.md")).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
