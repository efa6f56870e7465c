"""Speed and memory benchmark of audio_builder against the naive pydub baseline.

usage: .venv/bin/python bench/run.py [--quick] [--repeat N] [--keep]

One run measures, on the same plans, for each session length:

  warm      `audio-builder render` with every clip already in its --cache-dir
  cold      `audio-builder render` with an empty --cache-dir (Piper speaks everything)
  baseline  ../shared/bench/naive_pydub.py on the `plan --json` of the same session,
            with its clip folder already filled (so synthesis is excluded)
  floor     ffmpeg alone encoding the same audio (this project's warm output, decoded
            to raw float32 beforehand) with the project's encoder settings

plus `audio-builder check scripts/deep-psoas-release.yaml`. Every measured thing is a
fresh child process: wall time from a monotonic clock around it and, sampled every 20 ms
from /proc, the largest single process's peak resident set since its exec (VmHWM) and the
peak of the whole process tree's summed RSS (the render runs ffmpeg beside Python).

Writes bench/RESULTS.md and bench/results.json (with --quick: RESULTS-quick.md and
results-quick.json, so a smoke run never overwrites real numbers). Temporary files live in
one tempfile.mkdtemp() folder, removed at the end (--keep leaves it, for inspection).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floors import (  # noqa: E402
    PREVIOUS,
    ffmpeg,
    floor_command,
    previous_checkout,
    previous_script,
    sounding_pieces,
    split_raw,
)
from measure import LOADS, Run, log, measure  # noqa: E402  (bench/ is a folder of scripts)
from provenance import git_head, machine  # noqa: E402
from report import report  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "audio-builder") if (VENV_BIN / "audio-builder").exists() else None
BASELINE = Path("/work/shared/bench/naive_pydub.py")
BELL = ROOT / "sounds" / "bell.wav"
RATE = 44100


@dataclass(frozen=True)
class Session:
    label: str
    """Row name, e.g. '45m'."""
    role: str
    """'small', 'medium' or 'large': which targets the row is checked against."""
    script: Path
    length: str
    """As given to --length."""


FULL = [
    Session("10m", "small", ROOT / "scripts" / "deep-psoas-release.yaml", "10m"),
    Session("45m", "medium", BENCH / "long-holds.yaml", "45m"),
    Session("180m", "large", BENCH / "long-holds.yaml", "180m"),
]
QUICK = [
    Session("3m", "small", ROOT / "scripts" / "evening-wind-down.yaml", "short"),
    Session("10m", "medium", ROOT / "scripts" / "deep-psoas-release.yaml", "10m"),
    Session("25m", "large", ROOT / "scripts" / "deep-psoas-release.yaml", "full"),
]
CHECK_SCRIPT = ROOT / "scripts" / "deep-psoas-release.yaml"


# ---------------------------------------------------------------- the pieces

def ab(*args: str) -> list[str]:
    if CLI:
        return [CLI, *args]
    return [sys.executable, "-m", "audio_builder", *args]


def _cache_state(cache: Path) -> tuple[int, int]:
    """(files, bytes) under a cache folder."""
    n = size = 0
    for root, _, files in os.walk(cache):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(root, f))
    return n, size


def code_state() -> str:
    """A hash of the project's code: compared at start and end of the run."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "audio_builder").rglob("*.py")):
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes())
    h.update(BASELINE.read_bytes())
    return h.hexdigest()[:16]


def speech_stats(plan: dict) -> dict:
    speech = [e for e in plan["events"] if e["kind"] == "speech"]
    unique = {e["text"]: e["duration_s"] for e in speech}
    return {"events": len(speech), "speech_s": round(sum(e["duration_s"] for e in speech), 3),
            "unique_texts": len(unique), "unique_speech_s": round(sum(unique.values()), 3)}


def median_run(runs: list[Run]) -> dict:
    return {"wall_s": round(statistics.median(r.wall_s for r in runs), 3),
            "walls_s": [round(r.wall_s, 3) for r in runs],
            "maxrss_mb": round(max(r.maxrss_mb for r in runs), 1),
            "tree_peak_mb": round(max(r.tree_peak_mb for r in runs), 1)}


def bench_session(s: Session, tmp: Path, repeat: int, clipdir: Path,
                  full_plans: dict[Path, dict], previous: Path | None) -> dict:
    d = tmp / s.label
    d.mkdir()
    cache = d / "cache"
    cache.mkdir()
    row: dict = {"session": s.label, "role": s.role,
                 "script": str(s.script.relative_to(ROOT)), "length": s.length}

    # b. cold: empty cache; this run also fills the cache for the warm runs
    log(f"[{s.label}] cold render ...")
    cold = measure(ab("render", str(s.script), "--length", s.length, "-o",
                      str(d / "cold.mp3"), "--cache-dir", str(cache)), tmp)
    row["cold"] = median_run([cold])
    log(f"[{s.label}] cold {cold.wall_s:.2f}s, {cold.maxrss_mb:.0f} MB")

    # a. warm: everything cached. A run that adds anything to the cache was not warm
    # (e.g. the project changed its cache format mid-run): it is discarded and redone.
    warm_runs: list[Run] = []
    discarded = 0
    while len(warm_runs) < repeat:
        before = _cache_state(cache)
        r = measure(ab("render", str(s.script), "--length", s.length, "-o",
                       str(d / "warm.mp3"), "--cache-dir", str(cache)), tmp)
        if _cache_state(cache) != before:
            discarded += 1
            log(f"[{s.label}] warm run {r.wall_s:.2f}s wrote to the cache: not warm, "
                "discarded")
            if discarded > 2:
                raise SystemExit("warm renders keep synthesizing; is the project changing?")
            continue
        warm_runs.append(r)
        log(f"[{s.label}] warm #{len(warm_runs)} {r.wall_s:.2f}s, {r.maxrss_mb:.0f} MB")
    row["warm"] = median_run(warm_runs) | {"discarded_not_warm": discarded}

    # a2. previous: the two-part renderer of PREVIOUS, warm on the same cache (its clips
    # are stored alike), run from its own copy of the package
    if previous is not None:
        old = [sys.executable, "-m", "audio_builder", "render",
               str(previous_script(s.script, d)), "--length", s.length, "-o",
               str(d / "previous.mp3"), "--cache-dir", str(cache)]
        measure(old, tmp, cwd=previous)  # its clips are its own: this run speaks them
        prev_runs = []
        for i in range(repeat):
            r = measure(old, tmp, cwd=previous)
            prev_runs.append(r)
            log(f"[{s.label}] previous #{i + 1} {r.wall_s:.2f}s, {r.maxrss_mb:.0f} MB")
        row["previous"] = median_run(prev_runs) | {"commit": PREVIOUS}

    # the plan of the same session (speech durations from the same cache)
    plan_run = measure(ab("plan", str(s.script), "--length", s.length, "--json",
                          "--cache-dir", str(cache)), tmp)
    plan = json.loads(plan_run.stdout)
    plan_path = d / "plan.json"
    plan_path.write_text(json.dumps(plan))
    row["length_s"] = plan["length_s"]
    row["dropped"] = plan["dropped"]
    row["plan_speech"] = speech_stats(plan)
    if s.script not in full_plans:
        full = measure(ab("plan", str(s.script), "--length", "full", "--json",
                          "--cache-dir", str(cache)), tmp)
        full_plans[s.script] = json.loads(full.stdout)
    # a cold render speaks every text of the script, whatever the length: count them all
    row["synthesized"] = speech_stats(full_plans[s.script])

    # d. floor: decode the warm output (not timed), then time the bare encode
    raw = d / "warm.f32"
    subprocess.run([ffmpeg(), "-nostdin", "-v", "error", "-y", "-i", str(d / "warm.mp3"),
                    "-f", "f32le", "-ac", "1", "-ar", str(RATE), str(raw)], check=True)
    row["decoded_s"] = round(raw.stat().st_size / 4 / RATE, 3)
    floor_runs = []
    for i in range(repeat):
        cmd, source = floor_command(raw, d / "floor.mp3")
        r = measure(cmd, tmp)
        floor_runs.append(r)
        log(f"[{s.label}] floor #{i + 1} {r.wall_s:.2f}s, {r.maxrss_mb:.0f} MB")
    row["floor"] = median_run(floor_runs)
    row["floor"]["command_from"] = source

    # d2. floor on all cores: the same audio in one piece per core (cut on sample
    # boundaries, untimed), each piece encoded by its own ffmpeg, all at once
    cores = machine()["cores"]
    pieces = split_raw(raw, cores)
    script = " & ".join(shlex.join(floor_command(piece, piece.with_suffix(".mp3"))[0])
                        for piece in pieces) + " & wait"
    par_runs = []
    for i in range(repeat):
        r = measure(["sh", "-c", script], tmp)
        par_runs.append(r)
        log(f"[{s.label}] floor on {cores} cores #{i + 1} {r.wall_s:.2f}s")
    row["floor_all_cores"] = median_run(par_runs) | {"processes": len(pieces)}
    for piece in pieces:
        piece.unlink()
        piece.with_suffix(".mp3").unlink(missing_ok=True)

    # d3. floor of what sounds: a bare encode of only the parts the renderer encodes
    # (cut untimed from the same raw audio), as many at once as there are cores
    pieces = sounding_pieces(raw, plan, d)
    jobs = d / "sounding-jobs.txt"
    jobs.write_text("".join(shlex.join(floor_command(p, p.with_suffix(".mp3"))[0]) + "\n"
                            for p in pieces))
    sounding_runs = []
    for i in range(repeat):
        pool = f"xargs -P {cores} -d '\\n' -n 1 sh -c < {shlex.quote(str(jobs))}"
        r = measure(["sh", "-c", pool], tmp)
        sounding_runs.append(r)
        log(f"[{s.label}] floor of the sounding parts #{i + 1} {r.wall_s:.2f}s")
    row["floor_sounding"] = median_run(sounding_runs) | {
        "parts": len(pieces),
        "sounding_s": round(sum(p.stat().st_size for p in pieces) / 4 / RATE, 1)}
    for piece in pieces:
        piece.unlink()
        piece.with_suffix(".mp3").unlink(missing_ok=True)
    raw.unlink()

    # c. baseline: fill its clip folder with this plan's speech (not timed), then time it
    speech = {e["text"]: e for e in plan["events"] if e["kind"] == "speech"}
    fill = {"events": [{**e, "start_s": 0.0} for e in speech.values()]}
    (d / "fill.json").write_text(json.dumps(fill))
    log(f"[{s.label}] baseline: filling its clip folder ...")
    measure([sys.executable, str(BASELINE), str(d / "fill.json"), str(d / "fill.mp3"),
             "--chime", str(BELL), "--clips", str(clipdir)], tmp)
    log(f"[{s.label}] baseline (timed) ...")
    base = measure([sys.executable, str(BASELINE), str(plan_path), str(d / "baseline.mp3"),
                    "--chime", str(BELL), "--clips", str(clipdir)], tmp)
    inner = json.loads(base.stdout.strip().splitlines()[-1])
    row["baseline"] = median_run([base]) | {
        "inner": inner, "mix_encode_s": round(inner["mix_s"] + inner["encode_s"], 3)}
    log(f"[{s.label}] baseline {base.wall_s:.2f}s ({inner}), {base.maxrss_mb:.0f} MB")

    w, b, f = row["warm"]["wall_s"], row["baseline"]["wall_s"], row["floor"]["wall_s"]
    row["speedup"] = round(b / w, 2)
    row["speedup_mix_encode"] = round(row["baseline"]["mix_encode_s"] / w, 2)
    row["warm_over_floor"] = round(w / f, 2)
    row["warm_over_floor_all_cores"] = round(w / row["floor_all_cores"]["wall_s"], 2)
    row["warm_over_floor_sounding"] = round(w / row["floor_sounding"]["wall_s"], 2)
    if "previous" in row:
        row["previous_over_warm"] = round(row["previous"]["wall_s"] / w, 2)
    row["cold_synth_speed"] = round(row["synthesized"]["unique_speech_s"]
                                    / row["cold"]["wall_s"], 1)
    extra = row["cold"]["wall_s"] - w
    row["cold_synth_speed_excl_warm"] = round(row["synthesized"]["unique_speech_s"] / extra, 1) \
        if extra > 0 else None
    shutil.rmtree(d)  # outputs of 180 minutes are large; nothing is needed any more
    return row


VOICE_SCRIPT = ROOT / "scripts" / "evening-wind-down.yaml"


def bench_natural_voice(tmp: Path) -> dict:
    """A cold render with the natural voice (Kokoro, `--voice heart`) on an empty cache,
    then the same render warm: the difference is what speaking took, on every core."""
    cache = tmp / "voice-cache"
    out = tmp / "voice.mp3"
    args = ["render", str(VOICE_SCRIPT), "--voice", "heart", "-o", str(out), "--cache-dir",
            str(cache)]
    log("natural voice: cold render ...")
    cold = measure(ab(*args), tmp)
    warm = measure(ab(*args), tmp)
    plan = json.loads(measure(ab("plan", str(VOICE_SCRIPT), "--voice", "heart", "--json",
                                 "--cache-dir", str(cache)), tmp).stdout)
    speech = speech_stats(plan)["unique_speech_s"]
    res = {"script": str(VOICE_SCRIPT.relative_to(ROOT)), "voice": "kokoro heart",
           "cold_s": round(cold.wall_s, 2), "warm_s": round(warm.wall_s, 2),
           "speech_s": speech, "cold_tree_peak_mb": round(cold.tree_peak_mb),
           "synth_speed": round(speech / max(cold.wall_s - warm.wall_s, 1e-3), 2)}
    log(f"natural voice: {res}")
    return res


def bench_check(tmp: Path, cached: Path | None, repeat: int) -> dict:
    res = {}
    empty = tmp / "check-empty-cache"
    empty.mkdir(exist_ok=True)
    for name, cache in (("speech_cached", cached), ("nothing_cached", empty)):
        if cache is None:
            continue
        runs = [measure(ab("check", str(CHECK_SCRIPT), "--cache-dir", str(cache)), tmp)
                for _ in range(repeat)]
        res[name] = median_run(runs)
        log(f"check ({name}): {res[name]['walls_s']}")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="a fast smoke run on shorter sessions (3, 10 and 25 minutes)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of warm, floor and check each (median time, highest peak); "
                         "cold and baseline run once (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    a = ap.parse_args()
    if not BASELINE.is_file():
        raise SystemExit(f"baseline not found: {BASELINE}")
    sessions = QUICK if a.quick else FULL
    command = " ".join([".venv/bin/python bench/run.py", *sys.argv[1:]])
    started = dt.datetime.now().astimezone()
    load_before = os.getloadavg()
    code_before, git_before = code_state(), git_head()
    tmp = Path(tempfile.mkdtemp(prefix="audio-builder-bench-"))
    log(f"temp folder: {tmp}")
    try:
        clipdir = tmp / "baseline-clips"
        full_plans: dict[Path, dict] = {}
        rows = []
        previous = previous_checkout(tmp)
        for s in sessions:
            rows.append(bench_session(s, tmp, a.repeat, clipdir, full_plans, previous))
        # check against a cache that holds the script's speech (as after any render)
        # and against an empty one
        check_cache = tmp / "check-cache"
        log("filling a cache for check ...")
        measure(ab("plan", str(CHECK_SCRIPT), "--length", "full", "--cache-dir",
                   str(check_cache)), tmp)
        check = bench_check(tmp, check_cache, max(a.repeat, 5))
        voice = bench_natural_voice(tmp)
    finally:
        if a.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    git_after = git_head()
    result = {"date": started.isoformat(timespec="seconds"), "command": command,
              "quick": a.quick, "repeat": a.repeat, "machine": machine(), "git": git_before,
              "git_after": git_after, "code_hash": code_before,
              "code_changed": code_state() != code_before,
              "load_avg_before": [round(x, 2) for x in load_before],
              "load_avg_after": [round(x, 2) for x in os.getloadavg()],
              "load_avg_max_during": round(max(LOADS, default=0.0), 2),
              "baseline": str(BASELINE), "sessions": rows, "check": check,
              "natural_voice": voice}
    text = report(result)
    print(text)
    m = result["machine"]
    suffix = "-quick" if a.quick else ""
    md = [f"# Benchmark results{' (quick run)' if a.quick else ''}", "",
          f"- date: {started:%Y-%m-%d %H:%M %Z}",
          (f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, "
          f"Python {m['python']}"),
          f"- command: `{command}` (from the repository root)",
          f"- project commit: {result['git']}"
          + (f" at the start, {result['git_after']} at the end" if result["code_changed"]
             else ""),
          (f"- 1-minute load average before / highest at a measurement's start / after: "
          f"{result['load_avg_before'][0]} / {result['load_avg_max_during']} / "
          f"{result['load_avg_after'][0]}"),
          (f"- warm, floor: median of {a.repeat} runs (peak: highest); cold, baseline: one "
          f"run; check: median of {max(a.repeat, 5)}"),
          "- columns: see bench/README.md", "", text, ""]
    (BENCH / f"RESULTS{suffix}.md").write_text("\n".join(md))
    (BENCH / f"results{suffix}.json").write_text(json.dumps(result, indent=1) + "\n")
    log(f"wrote bench/RESULTS{suffix}.md and bench/results{suffix}.json")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # started in the background, SIGINT may be ignored: take both, clean up either way
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
