"""Measuring one child process: wall time, its own peak RSS (VmHWM) and the peak of its
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
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
CLI = [str(VENV_BIN / "audio-builder")] if (VENV_BIN / "audio-builder").exists() else [
    sys.executable, "-m", "audio_builder"]
"""The command as the venv installs it: every bench script runs it the same way."""



@dataclass
class Run:
    cmd: list[str]
    wall_s: float
    maxrss_mb: float
    """Largest single process in the child's tree: its VmHWM after exec, sampled, MB (10^6
    bytes). Not wait4's ru_maxrss: at exec Linux counts the parent's own high-water mark
    into the child's (the bench's memory, 72 MB late in a run, showed up as every child's)."""
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


def _hwm(pid: int) -> int:
    """The process's peak resident set since its exec (VmHWM), in bytes."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _tree(pid: int) -> tuple[int, int]:
    """(summed RSS of the tree now, the largest VmHWM in it)."""
    total, largest, todo, seen = 0, 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss(p)
        largest = max(largest, _hwm(p))
        todo += _children(p)
    return total, largest


def measure(cmd: list[str], tmp: Path, check: bool = True, cwd: Path = ROOT) -> Run:
    """Run `cmd` as a fresh child process (in `cwd`); its wall time and peak memory."""
    env = {k: v for k, v in os.environ.items() if k != "AUDIO_BUILDER_CACHE_DIR"}
    peak, largest = [0], [0]
    done = threading.Event()
    with tempfile.TemporaryFile(dir=tmp) as out_f, tempfile.TemporaryFile(dir=tmp) as err_f:
        LOADS.append(os.getloadavg()[0])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=env, start_new_session=True)

        def sample() -> None:
            while not done.is_set():
                tree, hwm = _tree(proc.pid)
                peak[0], largest[0] = max(peak[0], tree), max(largest[0], hwm)
                done.wait(0.02)

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
        run = Run(cmd, wall, largest[0] / 1e6, peak[0] / 1e6, proc.returncode,
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
