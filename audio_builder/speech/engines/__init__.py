"""Speech engines behind one small interface, registered by name.

Each engine module imports its heavy library lazily, inside its methods, so commands
that do not speak (check, sounds) stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ...errors import SynthesisError


@dataclass(frozen=True)
class EngineOptions:
    """What a user chooses about the voice, merged from the script and the command line."""

    voice: str | None = None
    speed: float = 1.0
    language: str = "en"
    base_dir: Path = Path(".")
    """Folder that a relative voice path is resolved against (the script's folder)."""


@dataclass(frozen=True)
class Spoken:
    """Raw engine output: mono float32 samples in [-1, 1] at the engine's own rate."""

    index: int
    """Which of the texts given to `speak` this is: engines may finish out of order."""
    samples: np.ndarray
    rate: int


class Engine(Protocol):
    """A speech engine. Its class declares what it can do, so no caller has to probe:
    `phonemes` (reads [[ IPA ]]), `online` (needs the network), and, as class methods,
    the voices it has and the languages it speaks."""

    name: str
    phonemes: bool
    """Reads [[ IPA ]] in a text as phonemes (a pronounce: entry given in IPA)."""
    online: bool
    """Needs the network to speak (its failures are worth a retry and a resume)."""

    @classmethod
    def voices(cls) -> dict[str, str]:
        """Voice name -> a line describing it (language, character)."""
        ...

    @classmethod
    def languages(cls) -> list[str]:
        """The languages it speaks (BCP 47-like codes, as a script's `language:`)."""
        ...

    def identity(self) -> dict[str, str]:
        """Everything that changes the sound of a text, for the cache key."""
        ...

    def check(self) -> None:
        """Raise SynthesisError if the engine cannot work (missing voice...), cheaply."""
        ...

    def speak(self, texts: list[str]) -> Iterator[Spoken]:
        """Synthesize each text, yielding each as soon as it is ready (in any order).

        Raises SynthesisError when it cannot go on; what was yielded before is kept."""
        ...


@dataclass(frozen=True)
class EngineInfo:
    """What an engine declares of itself, for `voices`, the CLI's choices and the studio."""

    name: str
    description: str
    phonemes: bool
    online: bool
    voices: dict[str, str]
    languages: list[str]


_REGISTRY: dict[str, type[Engine]] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register(name: str, description: str) -> Callable:
    """Class decorator: make an engine available by name."""

    def deco(cls: type[Engine]) -> type[Engine]:
        _REGISTRY[name] = cls
        _DESCRIPTIONS[name] = description
        return cls

    return deco


def engine_names() -> dict[str, str]:
    """Every engine's name and one line about it: the one list every other list of
    engine names (CLI choices, loader, schema) comes from or is checked against."""
    _load_builtins()
    return dict(_DESCRIPTIONS)


def engine_info(name: str) -> EngineInfo:
    _load_builtins()
    cls = _REGISTRY[name]
    return EngineInfo(name, _DESCRIPTIONS[name], cls.phonemes, cls.online, cls.voices(),
                      cls.languages())


ENGINE_ENV = "AUDIO_BUILDER_ENGINE"
"""Names the engine for scripts and commands that name none (e.g. piper, to draft fast)."""
OFFLINE_FIRST = ("kokoro", "piper", "gtts")
"""Who speaks a language when nobody chose: the most natural offline voice first, the
online one last (it is the only one for most languages, and needs the network)."""


def _speaks(info: EngineInfo, language: str) -> bool:
    wanted = language.lower().replace("_", "-")
    langs = {lang.lower() for lang in info.languages}
    return wanted in langs or wanted.split("-")[0] in langs


def default_engine(language: str) -> str:
    """The engine for a script that names none: $AUDIO_BUILDER_ENGINE if set, else the
    first of OFFLINE_FIRST that speaks its language (Kokoro for English, Spanish, French,
    Italian), else gTTS; SynthesisError naming the options when none does."""
    chosen = os.environ.get(ENGINE_ENV, "").strip().lower()
    if chosen:
        if chosen not in engine_names():
            raise SynthesisError(f"${ENGINE_ENV}={chosen}: unknown engine; available: "
                                 f"{', '.join(engine_names())}")
        return chosen
    for name in OFFLINE_FIRST:
        if _speaks(engine_info(name), language):
            return name
    offline = ", ".join(f"{n} ({', '.join(engine_info(n).languages)})"
                        for n in OFFLINE_FIRST if not engine_info(n).online)
    raise SynthesisError(f"no engine speaks language '{language}': offline voices speak "
                         f"{offline}; gtts (online) speaks {len(engine_info('gtts').languages)} "
                         "languages (audio-builder voices lists them)")


def engine_of_voice(voice: str) -> str:
    """The engine a voice name belongs to, when only the voice is given (--voice joe,
    --voice heart, --voice my.onnx); the default engine otherwise, which then says
    what it makes of the name."""
    for name in engine_names():
        if voice.lower() in engine_info(name).voices and not engine_info(name).online:
            return name
    if voice.lower().endswith(".onnx"):
        return "piper"
    return "kokoro"


def make_engine(name: str, options: EngineOptions) -> Engine:
    _load_builtins()
    if name not in _REGISTRY:
        raise SynthesisError(f"unknown engine '{name}'; available: {', '.join(_REGISTRY)}")
    return _REGISTRY[name](options)  # type: ignore[call-arg]


def _load_builtins() -> None:
    from . import gtts_engine, kokoro_engine, piper_engine  # noqa: F401  (they register themselves)
