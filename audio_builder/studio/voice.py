"""Hearing one cue at once: its words spoken by the session's voice (or another voice to
audition), with its pauses, rests and chimes, into the renderer's own cache, so a later
render speaks nothing again. Engines stay loaded between requests."""

from __future__ import annotations

import io
import threading
import wave
from pathlib import Path

import numpy as np

from .. import RATE
from ..errors import ScriptError
from ..pipeline.options import RenderOptions, VoiceChoice
from ..pipeline.render import Prepared, engine_for, prepare
from ..plan.outline import HoldSlot, Rest, Ring, Silence, Speech, cue_items, recording_key
from ..proof.compare import compare
from ..proof.hear import Recogniser
from ..proof.listen import CueProof, hear_text
from ..script.durations import ms_to_samples
from ..script.model import Cue, Script
from ..script.pace import rest_ms
from ..speech.cache import Cache
from ..speech.engines import Engine
from ..speech.synth import synthesize

HOLD_HEARD_MS = 1500
"""What a cue's [hold] sounds like when heard alone: a short silence, not the hold."""


class Engines:
    """Engines by what makes them: loaded once (a Kokoro model takes seconds), reused by
    every request; one request speaks at a time (2 cores: one voice at a time is fastest)."""

    def __init__(self) -> None:
        self._engines: dict[tuple, Engine] = {}
        self.lock = threading.Lock()

    def __call__(self, script: Script, choice: VoiceChoice) -> Engine:
        key = (script.voice, script.language, script.path.resolve().parent, choice)
        if key not in self._engines:
            self._engines[key] = engine_for(script, choice)
        return self._engines[key]

    def prepare(self, path: Path, text: str, options: RenderOptions,
                lengths: tuple[str, ...] = ("full",)) -> Prepared:
        return prepare(path, options, lengths, text=text, engines=self)


def find_cue(script: Script, where: list) -> tuple[Cue, str | None]:
    """The cue at a form path (["intro", 0], ["poses", 2, "cues", 1], ["poses", 2,
    "switch"]) and the side it is first said for."""
    try:
        if where[0] in ("intro", "outro") and len(where) == 2:
            return getattr(script, where[0])[where[1]], None
        if where[0] == "poses" and len(where) == 6 and where[2] == "movements":
            flow = script.poses[where[1]].flow
            if flow is not None:
                return flow.movements[where[3]].cues[where[5]], \
                    flow.sides[0] if flow.sides else None
        if where[0] == "poses":
            pose = script.poses[where[1]]
            side = pose.sides[-1 if where[2] == "switch" else 0] if pose.sides else None
            cue = pose.switch if where[2] == "switch" else pose.cues[where[3]]
            if cue is not None:
                return cue, side
    except (IndexError, TypeError, KeyError, AttributeError):
        pass
    raise ScriptError("that cue is not in the script (save, or reload the page)")


def cue_audio(prep: Prepared, cue: Cue, side: str | None, cache: Cache) -> np.ndarray:
    """The cue as the session says it, at RATE."""
    items = cue_items(prep.script, cue, side)
    texts = [i.text for i in items if isinstance(i, Speech) and i.recording is None]
    store = synthesize(prep.engine, prep.script.language, texts, cache, say=prep.say) \
        if texts and prep.engine is not None else None
    chimes = prep.chime_clips(cache)
    parts: list[np.ndarray] = []
    spoken: dict[str, int] = {}
    wpm = prep.script.pace_wpm
    for item in items:
        if isinstance(item, Speech) and item.recording is not None:
            parts.append(prep.recordings[recording_key(item.recording)].samples)
        elif isinstance(item, Speech) and store is not None:
            samples = store.samples(item.text)
            spoken[item.text] = len(samples)
            parts.append(samples)
        elif isinstance(item, Silence):
            parts.append(np.zeros(item.samples, np.float32))
        elif isinstance(item, Rest) and wpm is not None:
            ms = rest_ms(item.words, spoken.get(item.key, 0) * 1000 / RATE, wpm)
            parts.append(np.zeros(ms_to_samples(ms), np.float32))
        elif isinstance(item, Ring):
            parts.append(chimes[item.sound].samples)
        elif isinstance(item, HoldSlot):
            parts.append(np.zeros(ms_to_samples(HOLD_HEARD_MS), np.float32))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def wav_bytes(samples: np.ndarray) -> bytes:
    """16-bit mono WAV at RATE: what every browser plays."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def hear(engines: Engines, path: Path, text: str, where: list, voice: str | None,
         cache: Cache) -> bytes:
    """The cue at `where` of the (unsaved) script text, as WAV; `voice` auditions
    another voice on it."""
    options = RenderOptions(voice=voice or None)
    with engines.lock:
        prep = engines.prepare(path, text, options)
        cue, side = find_cue(prep.script, where)
        return wav_bytes(cue_audio(prep, cue, side, cache))


def proof_cue(engines: Engines, path: Path, text: str, where: list, cache: Cache,
              recogniser: Recogniser) -> list[dict]:
    """The cue heard by the proof's recogniser, as `proof` hears every cue: each of its
    sentences (or its recording) with the words heard otherwise marked, and respellings
    to try."""
    with engines.lock:
        prep = engines.prepare(path, text, RenderOptions())
        cue, side = find_cue(prep.script, where)
        items = cue_items(prep.script, cue, side)
        texts = [i.text for i in items if isinstance(i, Speech) and i.recording is None]
        store = (synthesize(prep.engine, prep.script.language, texts, cache, say=prep.say)
                 if texts and prep.engine is not None else None)
        out = []
        for item in items:
            if not isinstance(item, Speech):
                continue
            if item.recording is not None:
                clip = prep.recordings[recording_key(item.recording)]
                result = CueProof(item.text, cue.line, item.recording,
                                  compare(item.text, recogniser.hear(clip.samples, RATE)))
            elif store is not None:
                result = hear_text(prep, store, recogniser, item.text, cue.line)
            else:
                continue
            out.append({"text": result.text, "marked": result.heard.marked,
                        "heard": result.heard.heard.strip(), "errors": result.heard.errors,
                        "recording": result.recording,
                        "suggestions": [{"word": s.word, "respelling": s.respelling}
                                        for s in result.suggestions]})
        return out
