"""A session: one script under one render request, spoken, ready to plan and write at
any of its lengths. `render`, `publish` and the studio all go through here, so they run
the same stages in the same order and write the same bytes.

Its content key says what an MP3 is made from (the request, the plan, every sound and
voice it reads): publish re-encodes exactly when the key changes, and no caller has to
remember what goes in it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..plan import Plan, texts_to_speak
from ..plan.timeline import plan_dict
from ..speech.cache import Cache
from ..speech.synth import SpeechStore
from .options import DEFAULT_OPTIONS, RenderOptions
from .progress import Progress
from .render import (
    LengthChoice,
    Loudness,
    Prepared,
    plan_length,
    prepare,
    speak,
    tags_for,
    write_mp3,
)

__all__ = ["Session", "content_key", "open_session", "speak"]


@dataclass
class Session:
    prep: Prepared
    speech: SpeechStore

    @property
    def options(self) -> RenderOptions:
        return self.prep.options

    @property
    def lengths(self) -> list[LengthChoice]:
        return self.prep.lengths

    def plan(self, choice: LengthChoice) -> Plan:
        return plan_length(self.prep, self.speech, choice)

    def write(self, plan: Plan, out: Path, progress: Progress | None = None) -> Loudness:
        """The MP3 of `plan` at `out`, complete or absent (and its transcript if asked)."""
        return write_mp3(self.prep, plan, self.speech, out, progress)

    def key(self, plan: Plan) -> str:
        """What the MP3 of `plan` is made from, hashed: the same key, the same bytes."""
        return content_key(self.prep, plan)


def open_session(path: Path, options: RenderOptions = DEFAULT_OPTIONS,
                 lengths: tuple[str, ...] = ("full",), cache: Cache | None = None,
                 progress: Progress | None = None) -> Session:
    """Prepare (every error that needs no speech, first) and speak."""
    from ..speech.cache import default_dir

    cache = cache or Cache(default_dir())
    prep = prepare(path, options, tuple(dict.fromkeys(lengths)), cache=cache)
    return Session(prep, speak(prep, cache, progress))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_key(prep: Prepared, plan: Plan) -> str:
    """Every input of the MP3: the request (its audio fields), the plan, the voice (its
    engine's identity: model and voice files by hash), what the engine reads (after
    pronounce:), each chime, recording and the bed by their samples (with the bed's
    level and duck), the tags and cover, and this version."""
    tags = tags_for(prep.script, plan)
    bed = prep.bed
    what = {
        "options": prep.options.audio_fields(),
        "plan": plan_dict(plan),
        "voice": prep.engine.identity() if prep.engine is not None else None,
        "said": [prep.say(t) for t in texts_to_speak(prep.script)],
        "sounds": {n: _sha(s.tobytes()) for n, s in sorted(prep.chimes.items())},
        "recordings": {k: _sha(c.samples.tobytes()) for k, c in sorted(prep.recordings.items())},
        "bed": None if bed is None else {"name": bed.name, "loop": _sha(bed.loop.tobytes()),
                                         "level": bed.level_lu, "duck": bed.duck_db},
        "guide": prep.script.breath_guide,
        "tags": [tags.title, tags.artist, tags.comment],
        "cover": _sha(tags.cover[1]) if tags.cover else None,
        "version": __version__,
    }
    return _sha(json.dumps(what, sort_keys=True, default=str).encode())
