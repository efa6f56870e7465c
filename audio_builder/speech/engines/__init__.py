"""Speech engines behind one small interface, registered by name.

Each engine module imports its heavy library lazily, inside its methods, so commands
that do not speak (check, sounds) stay fast.
"""

from __future__ import annotations

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
    name: str

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


_REGISTRY: dict[str, Callable[[EngineOptions], Engine]] = {}
_DESCRIPTIONS: dict[str, str] = {}


def register(name: str, description: str) -> Callable:
    """Class decorator: make an engine available by name."""

    def deco(factory: Callable[[EngineOptions], Engine]) -> Callable[[EngineOptions], Engine]:
        _REGISTRY[name] = factory
        _DESCRIPTIONS[name] = description
        return factory

    return deco


def engine_names() -> dict[str, str]:
    _load_builtins()
    return dict(_DESCRIPTIONS)


def make_engine(name: str, options: EngineOptions) -> Engine:
    _load_builtins()
    if name not in _REGISTRY:
        raise SynthesisError(f"unknown engine '{name}'; available: {', '.join(_REGISTRY)}")
    return _REGISTRY[name](options)


def _load_builtins() -> None:
    from . import gtts_engine, kokoro_engine, piper_engine  # noqa: F401  (they register themselves)
