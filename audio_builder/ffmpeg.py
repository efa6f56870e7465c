"""The ffmpeg binary shipped inside the imageio-ffmpeg wheel: no system package needed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import wave
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
    """The binary of the imageio-ffmpeg wheel (or $IMAGEIO_FFMPEG_EXE).

    Found in the package's binaries/ folder without importing the package, which with its
    own check (it runs `ffmpeg -version`) costs ~50 ms of every command; its own lookup
    is the fallback."""
    exe = os.environ.get("IMAGEIO_FFMPEG_EXE")
    if exe:
        return exe
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        found = sorted(Path(folder, "binaries").glob("ffmpeg-*"))
        if found and os.access(found[-1], os.X_OK):
            return str(found[-1])
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def decode_file(path: Path, rate: int) -> np.ndarray:
    """Any audio file -> mono float32 at `rate`, by ffmpeg (honours the MP3 gapless header;
    reads float and extensible WAVs that pydub's own WAV reader refuses or misreads).

    A plain 16-bit mono WAV already at `rate` (the project's own chimes) is read directly:
    the same samples ffmpeg gives (x / 32768), without starting a process."""
    plain = _plain_wav(path, rate)
    if plain is not None:
        return plain
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path),
                           "-f", "f32le", "-ac", "1", "-ar", str(rate), "pipe:1"],
                          capture_output=True, process_group=OWN_GROUP)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else "ffmpeg could not read it")
    return np.frombuffer(proc.stdout, dtype="<f4").copy()


def _plain_wav(path: Path, rate: int) -> np.ndarray | None:
    """The samples of a 16-bit PCM mono WAV at `rate`, or None for anything else."""
    if Path(path).suffix.lower() != ".wav":
        return None
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype()) != \
                    (1, 2, rate, "NONE"):
                return None
            data = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError):
        return None  # ffmpeg reads it, or says what is wrong
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / np.float32(32768)
