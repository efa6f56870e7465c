"""Where and on what a bench run was made: the machine and the project's commit."""

from __future__ import annotations

import os
import platform
import subprocess

from measure import ROOT


def machine() -> dict:
    def field_of(path: str, name: str) -> str:
        try:
            with open(path) as f:
                return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith(name)),
                            "")
        except OSError:
            return ""

    model = field_of("/proc/cpuinfo", "model name")
    mem = int((field_of("/proc/meminfo", "MemTotal").split() or ["0"])[0]) * 1024
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu_count": os.cpu_count(), "cpu": model,
            "memory_gb": round(mem / 2**30, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def git_head() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        # read-only: --no-optional-locks keeps status from refreshing the index
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", str(ROOT), "status",
                                "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
