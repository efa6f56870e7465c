"""Speech for every text of a session: from the cache, or spoken now and cached.

The result is a SpeechStore: every clip's length and loudness up front, its samples read
back from the cache only when the mixer reaches it, so memory does not grow with the
amount of speech.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from ..errors import SynthesisError
from ..sound.clips import Clip, ClipInfo, make_clip
from .cache import Cache, clip_key
from .engines import Engine

Progress = Callable[[int], None]
log = logging.getLogger(__name__)


class SpeechStore:
    """The session's speech: info for every text, samples on demand."""

    def __init__(self, cache: Cache, keys: dict[str, str]) -> None:
        self.cache = cache
        self.keys = keys
        self.infos: dict[str, ClipInfo] = {}
        self._held: dict[str, Clip] = {}
        """Clips kept in memory: only when there is no cache to read them back from."""

    def __len__(self) -> int:
        return len(self.infos)

    def hold_all(self) -> None:
        """Keep every clip in memory from now on (the cache became unusable)."""
        for text in self.infos:
            if text not in self._held:
                clip = Cache(self.cache.root).get(self.keys[text])
                if clip is not None:
                    self._held[text] = clip

    def add(self, text: str, clip: Clip) -> None:
        self.infos[text] = clip.info
        if not self.cache.enabled:
            self._held[text] = clip

    def samples(self, text: str) -> np.ndarray:
        if text in self._held:
            return self._held[text].samples
        clip = self.cache.get(self.keys[text])
        if clip is None:
            raise SynthesisError(f"the speech cache lost a clip while rendering "
                                 f"(\"{text[:40]}\"); run again")
        return clip.samples

    def hold(self, key: str, clip: Clip) -> None:
        """Keep a clip that is not the engine's (a recording) in memory, under `key`."""
        self.infos[key] = clip.info
        self._held[key] = clip

    def lengths(self) -> dict[str, int]:
        return {t: i.length for t, i in self.infos.items()}


def synthesize(engine: Engine, language: str, texts: list[str], cache: Cache,
               progress: Progress | None = None, say: Callable[[str], str] = str
               ) -> SpeechStore:
    """Every text's clip, known to the store; only texts missing from the cache are spoken.

    `say` gives what the engine reads for a written text (the script's pronunciations);
    the cache is keyed by it. A cached entry is read whole once here, which verifies it:
    one that cannot be read is spoken again.
    """
    identity = engine.identity()
    keys = {t: clip_key(identity, language, say(t)) for t in texts}
    clips = SpeechStore(cache, keys)
    missing = []
    for t in texts:
        hit = cache.get(keys[t])
        if hit is not None:
            clips.add(t, hit)
        else:
            missing.append(t)
    if progress:
        progress(len(clips))
    if missing:
        try:
            for spoken in engine.speak([say(t) for t in missing]):
                text = missing[spoken.index]
                clip = make_clip(spoken.samples, spoken.rate)
                if not clip.length:
                    raise SynthesisError(f"the engine gave no audio for \"{text[:60]}\"")
                try:
                    cache.put(keys[text], clip)
                except OSError as exc:  # a cache we cannot write costs speed, not the render
                    log.warning("cannot write the speech cache (%s); going on without it",
                                exc.strerror or exc)
                    cache.enabled = False
                    clips.hold_all()
                clips.add(text, clip)
                if progress:
                    progress(1)
        except (SynthesisError, OSError, RuntimeError, ValueError) as exc:
            reason = exc.message if isinstance(exc, SynthesisError) else f"{engine.name}: {exc}"
            resume = (f"; {len(clips)} of {len(texts)} segments are cached, run again to resume"
                      if cache.enabled and engine.online else "")
            raise SynthesisError(reason + resume) from None
    return clips
