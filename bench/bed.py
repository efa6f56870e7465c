"""What a sound bed and a breath guide cost: warm renders with and without them, same run.

usage: .venv/bin/python bench/bed.py [--quick] [--repeat N]

For each session, one cold render fills a --cache-dir, then warm renders are measured
(fresh child processes, bench/measure.py: wall time, peak RSS of the largest process and
of the whole process tree) in turn: plain, `--ambience rain`, `--ambience rain
--breath-guide`. A bed makes every second sound, so none of the session can be skipped as
silence by the encoder and all of it is mixed: the table says what that costs. Each
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
        ("45m", BENCH / "long-holds.yaml", "45m")]
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
    log(f"[{label}] cold render (fills the cache) ...")
    measure([*CLI, "render", str(script), "--length", length, "-o", str(d / "cold.mp3"),
             "--cache-dir", str(cache)], tmp)
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


def report(rows: list[dict], args: argparse.Namespace, loads: tuple[float, float, float]
           ) -> str:
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
    lines += ["", "A bed plays under every second, so a render with one mixes and encodes the "
              "whole session (no stretch is silent), and reads its loop by position for each "
              "block: its memory (the loop, and measuring it) does not grow with the "
              "session's length.", ""]
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
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(rows, args, (before, max(LOADS, default=before), os.getloadavg()[0]))
    (BENCH / ("BED-quick.md" if args.quick else "BED.md")).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
