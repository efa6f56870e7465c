"""Measuring one child process: wall time, its own peak RSS (wait4) and the peak of its
whole process tree (sampled from /proc), so a render and its ffmpeg count together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
ROOT = Path(__file__).resolve().parent.parent



@dataclass
class Run:
    cmd: list[str]
    wall_s: float
    maxrss_mb: float
    """ru_maxrss of the child (largest single process in its tree), MB (10^6 bytes)."""
    tree_peak_mb: float
    """Peak of the summed RSS of the child and all its descendants, sampled every 50 ms."""
    returncode: int
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(c) for c in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _tree_rss(pid: int) -> int:
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss(p)
        todo += _children(p)
    return total


def measure(cmd: list[str], tmp: Path, check: bool = True, cwd: Path = ROOT) -> Run:
    """Run `cmd` as a fresh child process (in `cwd`); its wall time and peak memory."""
    env = {k: v for k, v in os.environ.items() if k != "AUDIO_BUILDER_CACHE_DIR"}
    peak = [0]
    done = threading.Event()
    with tempfile.TemporaryFile(dir=tmp) as out_f, tempfile.TemporaryFile(dir=tmp) as err_f:
        LOADS.append(os.getloadavg()[0])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, start_new_session=True)

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss(proc.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: stop the child and what it started, by group
            done.set()
            _stop_group(proc)
            raise
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out_f.seek(0)
        err_f.seek(0)
        run = Run(cmd, wall, usage.ru_maxrss * 1024 / 1e6, peak[0] / 1e6, proc.returncode,
                  out_f.read().decode(errors="replace"), err_f.read().decode(errors="replace"))
    if check and run.returncode != 0:
        raise SystemExit(f"failed ({run.returncode}): {' '.join(cmd)}\n{run.stderr[-2000:]}")
    return run


LOADS: list[float] = []
"""1-minute load average as each measurement started: others' work shows up here."""


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group (the CLI cleans up on it), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if os.waitpid(proc.pid, os.WNOHANG)[0]:
                    proc.returncode = -sig
                    return
            except ChildProcessError:
                return
            time.sleep(0.05)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
