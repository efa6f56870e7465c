"""Benchmark of the offline voices: how fast Kokoro speaks a session from cold, against
Piper, in one process and across every core. Writes bench/VOICES.md.

    .venv/bin/python bench/voices.py          # ~5 minutes on 2 cores

"Cold" means an empty speech cache: every distinct text of the script is synthesized.
What is timed is `audio-builder plan SCRIPT --json` on that empty cache: it starts, loads
the voice, speaks every text (caching it) and plans, but mixes and encodes nothing, so
the figure is the voice's alone (bench/run.py measures whole renders). Speed is the
seconds of distinct speech made per second of that wall time. The Kokoro model is joined
and verified once before timing (the first line of the report says what that costs).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from measure import LOADS, ROOT, log, measure

PY = str(ROOT / ".venv" / "bin" / "python")
CLI = [PY, "-m", "audio_builder"]
SCRIPTS = ["scripts/evening-wind-down.yaml", "scripts/deep-psoas-release.yaml"]
ROWS = [  # (engine label, voice options, workers env name, workers)
    ("piper joe", [], "AUDIO_BUILDER_PIPER_WORKERS", None),
    ("kokoro heart, 1 process", ["--voice", "heart"], "AUDIO_BUILDER_KOKORO_WORKERS", "1"),
    ("kokoro heart, all cores", ["--voice", "heart"], "AUDIO_BUILDER_KOKORO_WORKERS", None),
]


def speech_seconds(plan_json: str) -> float:
    """Seconds of distinct speech in a plan (each text once, as it was synthesized)."""
    seen: dict[str, float] = {}
    for e in json.loads(plan_json)["events"]:
        if e["kind"] == "speech":
            seen[e.get("text") or e.get("recording", "")] = e["duration_s"]
    return sum(seen.values())


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="voices-bench-"))
    rows: list[str] = []
    try:
        models = tmp / "first-run"
        join = measure(["env", f"AUDIO_BUILDER_CACHE_DIR={models}", *CLI, "check",
                        SCRIPTS[0], "--voice", "heart"], tmp)
        log(f"first run (join and verify the model): {join.wall_s:.1f}s")
        measure([*CLI, "check", SCRIPTS[0], "--voice", "heart"], tmp)  # the user's own cache
        for script in SCRIPTS:
            for label, voice, env_name, workers in ROWS:
                cache = tmp / f"cache-{len(rows)}"
                env = ["env", f"{env_name}={workers}"] if workers else []
                run = measure([*env, *CLI, "plan", script, *voice, "--json", "--cache-dir",
                               str(cache)], tmp)
                speech = speech_seconds(run.stdout)
                shutil.rmtree(cache, ignore_errors=True)
                row = (f"| {Path(script).stem} | {label} | {speech:.0f} | {run.wall_s:.1f} | "
                       f"{speech / run.wall_s:.2f}x | {run.tree_peak_mb:.0f} |")
                log(row)
                rows.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = "\n".join([
        "# Voices: cold synthesis speed", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}; "
        f"1-minute load average at each start: {', '.join(f'{x:.2f}' for x in LOADS)}.",
        "Command: `.venv/bin/python bench/voices.py`. Cold synthesis: `plan --json` on an "
        "empty speech cache, so every distinct text is synthesized (start, voice load, "
        "synthesis, planning; no mixing or encoding); speed = seconds of distinct speech / "
        "wall seconds; memory = peak RSS of the command and all its processes.", "",
        *([f"The machine was busy (load average above its {os.cpu_count()} cores: other "
           "work ran beside the bench), so every figure is lower than on an idle machine; "
           "run it again on an idle one for the voices' own speed.", ""]
          if max(LOADS, default=0) > (os.cpu_count() or 1) else []),
        f"First run only: joining and verifying the Kokoro model (92 MB) and checking a "
        f"script took {join.wall_s:.1f} s in all; later runs trust the verified copy.", "",
        "| script | voice | speech s | wall s | speed | peak MB |",
        "|---|---|---:|---:|---:|---:|",
        *rows, "",
    ])
    (ROOT / "bench" / "VOICES.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    sys.exit(main())
