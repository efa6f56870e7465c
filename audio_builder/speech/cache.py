"""The synthesis cache: shaped speech clips stored by content, so nothing is spoken twice.

A key is a hash of everything that changes the sound (engine, its version, the voice
file's hash, language, speed, text, and how clips are shaped). Entries are written to a
temp file and renamed, so concurrent renders share the cache safely; an entry that fails
to read is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sound.clips import SHAPING, Clip

FORMAT = "clip-v3 " + json.dumps(SHAPING)
"""The entry layout and every setting of the shaping in sound/clips.py: a change to either
makes new keys, so old entries are never reused."""
ENV = "AUDIO_BUILDER_CACHE_DIR"


def default_dir() -> Path:
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("audio-builder", appauthor=False))


def clip_key(identity: dict[str, str], language: str, text: str) -> str:
    blob = json.dumps({**identity, "language": language, "text": text, "format": FORMAT},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Cache:
    root: Path
    enabled: bool = True

    def _path(self, key: str) -> Path:
        return self.root / "clips" / key[:2] / f"{key}.npz"

    def get(self, key: str) -> Clip | None:
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                samples, blocks = z["samples"], z["blocks"]
                lufs, peak, length = (float(v) for v in z["meta"])
            if (samples.dtype != np.float32 or samples.ndim != 1 or len(samples) != length
                    or not np.isfinite(lufs)):
                raise ValueError("bad entry")
            return Clip(samples, lufs, peak, blocks)
        except FileNotFoundError:
            return None
        except Exception:  # a corrupt or foreign file: speak it again
            return None

    def length(self, key: str) -> int | None:
        """Samples in a cached clip, reading only its small header (no samples)."""
        if not self.enabled:
            return None
        try:
            with np.load(self._path(key), allow_pickle=False) as z:
                return int(z["meta"][2])
        except Exception:  # missing, corrupt or foreign: unknown
            return None

    def put(self, key: str, clip: Clip) -> None:
        if not self.enabled:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, samples=clip.samples.astype(np.float32), blocks=clip.blocks,
                         meta=np.array([clip.lufs, clip.peak_db, clip.length]))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _measure_path(self, key: str) -> Path:
        return self.root / "measures" / key[:2] / f"{key}.npy"

    def get_array(self, key: str) -> np.ndarray | None:
        """A measurement kept by the content it measures (measures/), or None."""
        if not self.enabled:
            return None
        try:
            value = np.load(self._measure_path(key), allow_pickle=False)
            return value if value.dtype == np.float64 and value.ndim == 1 else None
        except Exception:  # missing, corrupt or foreign: measure again
            return None

    def put_array(self, key: str, value: np.ndarray) -> None:
        """Keep a measurement (float64, 1-D) by its key; a cache that cannot be written
        costs only the time to measure again."""
        if not self.enabled:
            return
        path = self._measure_path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                np.save(f, np.asarray(value, np.float64))
            os.replace(tmp, path)
        except OSError:
            pass

    def info(self) -> tuple[int, int]:
        """(entries, bytes)."""
        n = size = 0
        for p in (self.root / "clips").glob("*/*.npz"):
            n += 1
            size += p.stat().st_size
        return n, size

    def models_size(self) -> int:
        """Bytes of the models joined into the cache (Kokoro's, from its packages)."""
        return sum(p.stat().st_size for p in (self.root / "models").rglob("*") if p.is_file())

    def clear(self) -> tuple[int, int]:
        """Remove every clip and every joined model (a model is joined again from its
        installed packages when next needed). Returns (clips, model bytes) removed."""
        n, _ = self.info()
        models = self.models_size()
        shutil.rmtree(self.root / "clips", ignore_errors=True)
        shutil.rmtree(self.root / "models", ignore_errors=True)
        return n, models
