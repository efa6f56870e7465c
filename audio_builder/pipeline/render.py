"""The pipeline, stage by stage: prepare (no speech) -> speak -> plan -> write.

`prepare` finds every error that needs no synthesis, so `check` and `render` fail fast,
before the first word is spoken.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import RATE
from ..cores import encoders
from ..errors import LengthError, ScriptError, SynthesisError, Where
from ..plan import Plan, make_plan, reachable, texts_to_speak, unreachable
from ..plan.outline import recording_key
from ..script.durations import format_duration, ms_to_samples, parse_ms
from ..script.loader import image_type, load_script
from ..script.model import Script
from ..script.pace import parse_pace
from ..script.speech_fields import say
from ..sound.bed import Bed, BedTrack, load_bed
from ..sound.breath import guide_clips
from ..sound.clips import Clip, ClipInfo, make_clip
from ..sound.loudness import measure_keyed
from ..sound.mix import (
    BED_CODEC_DB,
    PEAK_CEILING_DB,
    Key,
    at_gain,
    bed_lufs,
    blocks,
    session_gains,
    sounding_spans,
)
from ..sound.named import load_sound
from ..sound.recordings import load_recording
from ..speech.cache import Cache, clip_key, default_dir
from ..speech.engines import (
    Engine,
    EngineOptions,
    default_engine,
    engine_of_voice,
    make_engine,
)
from ..speech.synth import SpeechStore, synthesize
from .between import apply
from .options import DEFAULT_OPTIONS, RenderOptions, VoiceChoice
from .output import atomic_output
from .progress import Progress, terminal
from .transcript import webvtt

if TYPE_CHECKING:
    from ..mp3.tags import Tags


@dataclass(frozen=True)
class LengthChoice:
    name: str
    """'full', a name from the script's lengths, or the duration as typed."""
    target: int | None
    """Samples at RATE; None for full."""


@dataclass
class Prepared:
    script: Script
    engine: Engine | None
    """None when the script has nothing to synthesize (no words, or only recorded cues):
    no engine is loaded (nor any network used)."""
    chimes: dict[str, np.ndarray]
    """Each sound the script uses, decoded at RATE."""
    lengths: list[LengthChoice] = field(default_factory=list)
    _chime_clips: dict[str, Clip] | None = None
    recordings: dict[str, Clip] = field(default_factory=dict)
    """Each recorded cue, shaped like speech, by its speech key (outline.recording_key)."""
    bed: Bed | None = None
    """The sound bed (ambience), checked and measured; None for none."""
    options: RenderOptions = DEFAULT_OPTIONS
    """The request it was prepared for: how it is to be rendered."""

    def say(self, text: str) -> str:
        """What the engine reads for a written text: the script's pronunciations applied."""
        return say(text, self.script.pronounce, self.engine is not None and self.engine.phonemes)

    def chime_clips(self, cache: Cache) -> dict[str, Clip]:
        """The sounds shaped and measured, kept in the cache by their content like speech."""
        if self._chime_clips is None:
            self._chime_clips = {}
            for name, samples in self.chimes.items():
                key = clip_key({"engine": "sound", "sha256": hashlib.sha256(
                    samples.tobytes()).hexdigest()}, "", name)
                clip = cache.get(key)
                if clip is None:
                    clip = make_clip(samples, RATE, trim_edges=False)
                    with contextlib.suppress(OSError):  # a read-only cache costs only time
                        cache.put(key, clip)
                self._chime_clips[name] = clip
        return self._chime_clips


def resolve_length(script: Script, spec: str) -> LengthChoice:
    spec = spec.strip()
    if spec == "full":
        return LengthChoice("full", None)
    if spec in script.lengths:
        return LengthChoice(spec, ms_to_samples(script.lengths[spec].ms))
    try:
        ms = parse_ms(spec)
    except ValueError:
        names = ", ".join(["full", *script.lengths])
        raise ScriptError(f"unknown length '{spec}': choose {names}, or a duration like 10m",
                          Where(script.path)) from None
    if ms <= 0:
        raise ScriptError("a length must be longer than 0", Where(script.path))
    return LengthChoice(re.sub(r"[^0-9a-z.]", "", spec.lower()), ms_to_samples(ms))


def engine_for(script: Script, choice: VoiceChoice) -> Engine:
    """The engine that speaks: the command line's choice, else the script's, else the
    default for the script's language (Kokoro where it speaks it); a voice named alone
    picks its own engine (--voice joe: Piper, --voice heart: Kokoro)."""
    if choice.engine is None and choice.voice is not None:
        choice = VoiceChoice(engine_of_voice(choice.voice), choice.voice, choice.speed)
    base = Path.cwd() if choice.voice is not None else script.path.resolve().parent
    speed = choice.speed if choice.speed is not None else script.voice.speed
    try:
        own = script.voice.engine or (engine_of_voice(script.voice.name) if script.voice.name
                                      else default_engine(script.language))
        name = choice.engine or own
        voice = choice.voice if choice.voice is not None else (
            script.voice.name if name == own else None)
        engine = make_engine(name, EngineOptions(voice=voice, speed=speed,
                                                 language=script.language, base_dir=base))
        engine.check()
    except SynthesisError as exc:
        line = script.voice.line if choice.engine is None and choice.voice is None else None
        raise SynthesisError(exc.message, Where(script.path, line or None)) from None
    return engine


def prepare(path: Path, options: RenderOptions = DEFAULT_OPTIONS,
            lengths: tuple[str, ...] = ("full",), text: str | None = None,
            engines: Callable[[Script, VoiceChoice], Engine] | None = None,
            cache: Cache | None = None) -> Prepared:
    """Load and check everything that needs no speech: script, voice, sounds, recordings,
    bed, lengths. `text` stands for the file's content (the studio's unsaved page);
    `engines` finds the engine (the studio keeps its engines loaded between requests);
    `cache` keeps the bed's measures (default: the user cache)."""
    script = apply(load_script(path, text), options.between)
    if options.language and options.language != script.language:  # words from NAME.LANG.yaml
        from ..script.translation import apply_translation, load_translation, translation_path
        script = apply_translation(
            script, load_translation(translation_path(path, options.language)))
    if options.pace is not None:  # --pace over the script's pace:
        try:
            script = replace(script, pace_wpm=parse_pace(options.pace))
        except ValueError as exc:
            raise ScriptError(f"--pace {exc}", Where(script.path)) from None
    engine = ((engines or engine_for)(script, options.voice_choice)
              if texts_to_speak(script) else None)
    if engine is not None and not engine.phonemes:
        for entry in (e for e in script.pronounce if e.ipa):
            raise ScriptError(f"pronounce: {entry.written}: the {engine.name} engine cannot read "
                              "IPA; give a respelling (or use piper or kokoro)",
                              Where(script.path, entry.line))
    chimes = {name: load_sound(name, script.path, script.sound_lines.get(name))
              for name in sorted(script.sounds_used)}
    recordings = {recording_key(name): load_recording(name, script.path, line)
                  for name, line in script.recordings_used.items()}
    bed = (load_bed(script.ambience, script.path, cache or Cache(default_dir()))
           if script.ambience else None)
    chosen = [resolve_length(script, spec) for spec in lengths]
    encoders()  # a bad AUDIO_BUILDER_ENCODERS is reported before any speech
    _check_session_limit(script, chimes, chosen, recordings)
    return Prepared(script, engine, chimes, chosen, recordings=recordings, bed=bed,
                    options=options)


MAX_SESSION_S = 4 * 3600


def _check_session_limit(script: Script, chimes: dict[str, np.ndarray],
                         chosen: list[LengthChoice], recordings: dict[str, Clip]) -> None:
    """Refuse, before anything is spoken or allocated, sessions over 4 hours and lengths
    shorter than the script's silences alone: timing with no speech bounds both."""
    limit = MAX_SESSION_S * RATE
    for choice in chosen:
        if choice.target is not None and choice.target > limit:
            raise ScriptError(f"a session can last at most {MAX_SESSION_S // 3600}h, not "
                              f"{format_duration(choice.target / RATE)}", Where(script.path))
    silent = {t: 0 for t in texts_to_speak(script)} | {k: c.length for k, c in
                                                         recordings.items()}
    ranges = reachable(script, silent, {n: len(c) for n, c in chimes.items()})
    longest = ranges[-1].longest
    for choice in chosen:  # too short even if nothing were said: fail before speaking
        if choice.target is not None and choice.target < ranges[0].shortest:
            raise length_error(script, choice.name, _too_short(choice.target, ranges[0].shortest))
    if longest > limit:
        raise ScriptError(f"the full session would last more than {MAX_SESSION_S // 3600}h "
                          f"(its pauses and longest holds alone last "
                          f"{format_duration(longest / RATE)})", Where(script.path))


def speak(prep: Prepared, cache: Cache, progress: Progress | None = None) -> SpeechStore:
    """Every text's clip (spoken now or from the cache) and every recorded cue; with no
    engine (no words, or recordings only) nothing is spoken."""
    texts = texts_to_speak(prep.script)
    with (progress or terminal()).stage("Speaking", len(texts)) as advance:
        try:
            store = (synthesize(prep.engine, prep.script.language, texts, cache, advance,
                                prep.say) if prep.engine is not None else SpeechStore(cache, {}))
        except SynthesisError as exc:
            raise SynthesisError(exc.message, Where(prep.script.path)) from None
    for key, clip in prep.recordings.items():
        store.hold(key, clip)
    return store


def plan_length(prep: Prepared, speech: SpeechStore, choice: LengthChoice) -> Plan:
    chimes = {n: len(c) for n, c in prep.chimes.items()}
    try:
        return make_plan(prep.script, speech.lengths(), chimes, choice.target, choice.name)
    except LengthError as exc:
        raise length_error(prep.script, choice.name, exc.message) from None


def length_error(script: Script, name: str, message: str) -> LengthError:
    """The error for a length the script cannot take; a named length is given with the
    line where the script names it, whichever command found it."""
    named = script.lengths.get(name)
    if named is None:
        return LengthError(message, Where(script.path))
    return LengthError(f"length '{name}': {message}", Where(script.path, named.line))


def tags_for(script: Script, plan: Plan) -> Tags:
    from ..mp3.tags import ChapterMark, Tags  # mutagen: not for check and plan

    title = script.title if plan.length_name == "full" else f"{script.title} ({plan.length_name})"
    marks = tuple(ChapterMark(c.title, round(c.start * 1000 / RATE), round(c.end * 1000 / RATE))
                  for c in plan.chapters)
    cover = None
    if script.cover is not None:
        data = script.cover.read_bytes()
        cover = (image_type(data) or "image/jpeg", data)
    return Tags(title, script.author, script.description, marks, cover)


@dataclass(frozen=True)
class Loudness:
    """What a listener's meter would read of the decoded file, as predicted from the
    clips' stored blocks (the bench and the tests decode and measure it)."""

    voice_lufs: float | None
    """The speech alone (None: a session without words). The voice sets the level."""
    file_lufs: float
    """The whole file, integrated: a result of the voice, the chimes, guide and bed."""

    def summary(self) -> str:
        voice = f"voice {self.voice_lufs:.1f} LUFS, " if self.voice_lufs is not None else ""
        return f"{voice}file {self.file_lufs:.1f} LUFS"


@dataclass(frozen=True)
class Sources:
    """What the mixer reads: each clip at its final level, the bed along the plan, and
    the loudness those levels give."""

    audio: Callable[[Key], np.ndarray]
    bed: BedTrack | None
    loudness: Loudness


def sources(prep: Prepared, plan: Plan, speech: SpeechStore) -> Sources:
    """Each clip of the plan at its final level, read from the cache when first asked for
    (a few are remembered: the mixer asks again for each block a clip overlaps), and the
    bed along the plan, if any."""
    chimes = prep.chime_clips(speech.cache)
    guide = guide_clips(plan)
    levels, bitrate = prep.options.levels, prep.options.bitrate

    def load(key: Key) -> np.ndarray:
        if key[0] == "breath":
            return guide[key].samples
        return speech.samples(key[1]) if key[0] == "speech" else chimes[key[1]].samples

    infos: dict[Key, ClipInfo] = {("chime", n): c.info for n, c in chimes.items()}
    infos |= {k: c.info for k, c in guide.items()}
    infos |= {("speech", e.speech_key): speech.infos[e.speech_key]
              for e in plan.events if e.kind == "speech"}
    ceiling = {"speech": PEAK_CEILING_DB, "chime": PEAK_CEILING_DB, "breath": PEAK_CEILING_DB}
    words = any(e.kind == "speech" for e in plan.events)
    if prep.bed is not None:  # first guess: the bed at its level before the correction
        ceiling = bed_ceilings(prep.bed, 10 ** ((bed_lufs(levels, prep.bed.level_lu, words)
                                                 - prep.bed.lufs) / 20))

    limited: dict[tuple[Key, float, float], np.ndarray] = {}

    def identity(key: Key) -> str:
        """What fixes a clip's samples: its cache key (speech), else its content."""
        if key[0] == "speech" and key[1] in speech.keys:
            return speech.keys[key[1]]
        return hashlib.sha256(load(key).tobytes()).hexdigest()

    def heard(key: Key, gain: float) -> np.ndarray | None:
        """A clip's blocks as the limiter lets it through at this gain: limited and
        measured once per clip, gain and ceiling, then kept in the cache by that
        description (a warm render limits nothing again to know its loudness)."""
        if infos[key].peak_db + gain <= ceiling[key[0]]:
            return None
        at = (key, gain, ceiling[key[0]])
        if at not in limited:
            limited[at] = measure_keyed(
                f"{identity(key)}:{gain:.9f}:{ceiling[key[0]]:.9f}",
                lambda: at_gain(load(key), gain, ceiling[key[0]]), speech.cache)[1]
        return limited[at]

    from ..mp3.encode import CODEC_LOSS_DB  # the encoder: not for check and plan

    quiet = prep.bed is not None or bool(guide)
    found = session_gains(plan, infos, levels, CODEC_LOSS_DB[bitrate], prep.bed,
                          heard if quiet else None)
    gains = found.gain
    track = None
    if prep.bed is not None:
        track = BedTrack(prep.bed, plan, gains[("bed", prep.bed.name)])
        ceiling = bed_ceilings(prep.bed, track.gain)

    @lru_cache(maxsize=2 * encoders() + 4)  # parts are fed in turn: each has its clips
    def audio(key: Key) -> np.ndarray:
        return at_gain(load(key), gains[key], ceiling[key[0]])
    return Sources(audio, track, Loudness(found.voice_lufs, found.file_lufs))


def bed_ceilings(bed: Bed, gain: float) -> dict[str, float]:
    """Sample-peak ceilings of the clips over a bed: what the bed's own peak (ducked
    under speech) leaves of the ceiling, so the sum stays under it."""
    room = 10 ** (PEAK_CEILING_DB / 20)
    under_words = bed.peak * gain * 10 ** (-bed.duck_db / 20)
    in_holds = bed.peak * gain

    def db(x: float) -> float:
        return 20 * float(np.log10(max(x, 0.05))) - BED_CODEC_DB
    return {"speech": db(room - under_words), "chime": db(room - in_holds),
            "breath": db(room - in_holds)}


def write_mp3(prep: Prepared, plan: Plan, speech: SpeechStore, out: Path,
              progress: Progress | None = None) -> Loudness:
    """Mix and encode one plan into `out`, atomically: complete or absent.

    Clips are read, leveled and mixed as the timeline reaches them, so memory stays flat;
    only what sounds is encoded (several encoders at once), silence is filled frame by
    frame (mp3/encode.py).
    With the request's `transcript`, a WebVTT file of the spoken cues is written beside
    it (same stem).
    """
    from ..mp3.encode import Bed as LoopBed
    from ..mp3.encode import encode
    from ..mp3.tags import write_tags

    src = sources(prep, plan, speech)
    audio, bed = src.audio, (src.bed.samples if src.bed is not None else None)
    spans, loop = sounding_spans(plan), None
    if src.bed is not None:  # the bed's steady stretches are copied frames of its loop
        spans = [(e.start, e.length) for e in plan.events if e.kind.sounds]
        spans += src.bed.changing()
        loop = LoopBed(src.bed.bed.loop, src.bed.gain)
    with atomic_output(out) as tmp, \
            (progress or terminal()).stage("Encoding", plan.total) as advance:
        write_tags(tmp, tags_for(prep.script, plan))  # first: the stream is written after it
        encode(lambda a, b: blocks(plan, audio, start=a, stop=b, bed=bed), plan.total, tmp,
               prep.options.bitrate, advance, spans, after=tmp.stat().st_size, bed=loop)
        if prep.options.transcript:
            with atomic_output(out.with_suffix(".vtt")) as vtt:
                vtt.write_text(webvtt(plan), encoding="utf-8")
    return src.loudness


def default_output(script_path: Path, length_name: str) -> Path:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", script_path.stem)
    stem = re.sub(r"-{2,}", "-", stem).strip(".-") or "session"
    return Path("out") / f"{stem[:80]}-{length_name}.mp3"


def _too_short(target: int, silences: int) -> str:
    """A length below what the script's silences alone take, known without speech."""
    return (f"this script cannot last {format_duration(target / RATE)}: its pauses, chimes "
            f"and shortest holds alone last {format_duration(silences / RATE)}")


def cached_durations(prep: Prepared, cache: Cache) -> tuple[dict[str, int], bool]:
    """Speech lengths known without speaking: from the cache, 0 for what is missing.

    Returns the lengths and whether every text was found.
    """
    found: dict[str, int] = {k: c.length for k, c in prep.recordings.items()}
    if prep.engine is not None:
        identity = prep.engine.identity()
        for text in texts_to_speak(prep.script):
            key = clip_key(identity, prep.script.language, prep.say(text))
            found[text] = cache.length(key) or 0
    return found, all(found.values())


def check_named_lengths(prep: Prepared, cache: Cache) -> None:
    """Every length in the script's `lengths:` must be reachable, without speaking.

    With all speech cached the check is exact; otherwise missing speech counts as 0 s,
    which still catches a length shorter than the script's pauses, chimes and holds.
    """
    speech, complete = cached_durations(prep, cache)
    chimes = {n: len(c) for n, c in prep.chimes.items()}
    if complete and any(p.flow for p in prep.script.poses):
        make_plan(prep.script, speech, chimes)  # a flow's cue longer than its breath
    ranges = reachable(prep.script, speech, chimes)
    for name, named in prep.script.lengths.items():
        target = ms_to_samples(named.ms)
        if complete and not any(r.shortest <= target <= r.longest for r in ranges):
            message = unreachable(prep.script, target, ranges).message
        elif target < ranges[0].shortest:
            message = _too_short(target, ranges[0].shortest)
        else:
            continue
        raise length_error(prep.script, name, message)


def pace_warnings(prep: Prepared, cache: Cache) -> list[tuple[int, str]]:
    """Where a sentence cannot keep the script's pace even with the longest rest (known
    where its speech is cached): (line, message), for check and render to print."""
    from ..plan.outline import SIDE_NAMES, expand_text
    from ..script.model import Pause, Text
    from ..script.pace import MAX_REST_MS, sentences, words

    wpm = prep.script.pace_wpm
    if wpm is None or prep.engine is None:
        return []
    identity = prep.engine.identity()
    out: list[tuple[int, str]] = []
    for cue in sorted(prep.script.all_cues(), key=lambda c: c.line):
        for k, tok in enumerate(cue.tokens):
            if not isinstance(tok, Text):
                continue
            paused = k + 1 < len(cue.tokens) and isinstance(cue.tokens[k + 1], Pause)
            for side in ((None,) if "{" not in tok.text else tuple(SIDE_NAMES)):
                said = sentences(expand_text(tok.text, side, prep.script.side_words))
                for sentence in said[:-1] if paused else said:  # her own pause rests it
                    samples = cache.length(clip_key(identity, prep.script.language,
                                                    prep.say(sentence)))
                    if not samples:
                        continue
                    spoken = samples / RATE
                    needed = words(sentence) * 60 / wpm
                    if needed - spoken > MAX_REST_MS / 1000 + 0.05:
                        out.append((cue.line, f"'{sentence[:40]}...' cannot keep {wpm} words "
                                    f"a minute: its {words(sentence)} words are said in "
                                    f"{spoken:.1f}s and would need {needed:.1f}s with at "
                                    f"most a {MAX_REST_MS / 1000:.1f}s rest after it; split "
                                    "it into shorter sentences, or choose a faster pace"))
    return list(dict.fromkeys(out))
