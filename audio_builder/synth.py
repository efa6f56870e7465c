"""Speech for every text of a session: from the cache, or spoken now and cached."""

from __future__ import annotations

from collections.abc import Callable

from .cache import Cache, clip_key
from .clips import Clip, make_clip
from .engines import Engine
from .errors import SynthesisError

Progress = Callable[[int], None]


def synthesize(engine: Engine, language: str, texts: list[str], cache: Cache,
               progress: Progress | None = None) -> dict[str, Clip]:
    """A shaped clip for each text; only texts missing from the cache are spoken."""
    identity = engine.identity()
    keys = {t: clip_key(identity, language, t) for t in texts}
    clips: dict[str, Clip] = {}
    missing = []
    for t in texts:
        hit = cache.get(keys[t])
        if hit is not None:
            clips[t] = hit
        else:
            missing.append(t)
    if progress:
        progress(len(clips))
    if missing:
        engine.check()
        try:
            for spoken in engine.speak(missing):
                text = missing[spoken.index]
                clip = make_clip(spoken.samples, spoken.rate)
                if not clip.length:
                    raise SynthesisError(f"the engine gave no audio for \"{text[:60]}\"")
                cache.put(keys[text], clip)
                clips[text] = clip
                if progress:
                    progress(1)
        except (SynthesisError, OSError, RuntimeError, ValueError) as exc:
            reason = exc.message if isinstance(exc, SynthesisError) else f"{engine.name}: {exc}"
            resume = (f"; {len(clips)} of {len(texts)} segments are cached, run again to resume"
                      if cache.enabled else "")
            raise SynthesisError(reason + resume) from None
    return clips
