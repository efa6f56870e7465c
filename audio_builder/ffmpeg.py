"""The ffmpeg binary shipped inside the imageio-ffmpeg wheel: no system package needed."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

OWN_GROUP = 0
"""ffmpeg runs in a process group of its own (Popen's process_group=0), so a terminal's
Ctrl-C does not reach it: the Python side gets it, stops ffmpeg itself, cleans up and
exits 130 (an ffmpeg that died of the same Ctrl-C first would be reported as an encoder or
decoder error instead)."""


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def decode_file(path: Path, rate: int) -> np.ndarray:
    """Any audio file -> mono float32 at `rate`, by ffmpeg (honours the MP3 gapless header;
    reads float and extensible WAVs that pydub's own WAV reader refuses or misreads)."""
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path),
                           "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:1"],
                          capture_output=True, process_group=OWN_GROUP)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else "ffmpeg could not read it")
    return np.frombuffer(proc.stdout, dtype="<f4").copy()
