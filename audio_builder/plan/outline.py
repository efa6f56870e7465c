"""The outline: what a session says and plays, in order, before anything is timed.

Sections (Welcome, each pose, Closing) of items: speech, fixed silence, chimes and the
slots where holds go. Pure: no audio, no durations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ScriptError, Where
from ..script.durations import ms_to_samples
from ..script.model import Chime, Cue, Hold, Pause, Pose, Recording, Script, Text
from ..script.pace import sentences, words

CUE_GAP_MS = 1200
"""Silence between two cues, and between speech and a following chime."""
SIDE_NAMES = {"right": "left", "left": "right"}


@dataclass(frozen=True)
class Speech:
    text: str
    """What is said (for a recording, its transcript text, perhaps empty)."""
    recording: str | None = None
    """The sound name of a recorded cue; None for synthesized speech."""

    @property
    def key(self) -> str:
        """How its audio and length are found: the text, or the recording's own key."""
        return self.text if self.recording is None else recording_key(self.recording)


def recording_key(name: str) -> str:
    """A recording's key among the session's speech: bracketed, so never a text (the
    markers module refuses brackets in spoken text)."""
    return f"[recording {name}]"


@dataclass(frozen=True)
class Silence:
    samples: int
    gap: bool = False
    """True for the space the outline leaves between cues; False for a pause the script
    wrote ([pause 2s], [breaths 3])."""


@dataclass(frozen=True)
class HoldSlot:
    pose: int
    """Index of the pose in the script whose hold goes here."""


@dataclass(frozen=True)
class FlowSlot:
    """Where a flow's rounds go: how many is fitted to the length (fit.py), then each
    movement is placed on its breath phase (flow.py)."""

    pose: int
    """Index of the flow in the script's poses."""


@dataclass(frozen=True)
class Ring:
    sound: str


@dataclass(frozen=True)
class Rest:
    """The rest after a sentence that the pace asks for: its length follows from the
    sentence's spoken length (plan/fit.py), between a floor and its full length."""

    key: str
    """The sentence's speech key."""
    words: int


@dataclass(frozen=True)
class Turn:
    """Where one side of a two-sided pose begins (takes no time)."""

    side: int
    """0 for the first side, 1 for the second."""


Item = Speech | Silence | HoldSlot | Ring | Turn | Rest | FlowSlot


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]
    pose: int | None = None
    """Index of the pose, None for Welcome and Closing."""


FRAME_TITLES = {"en": ("Welcome", "Closing"), "es": ("Bienvenida", "Cierre"),
                "fr": ("Accueil", "Clôture"), "it": ("Benvenuto", "Chiusura"),
                "pt": ("Boas-vindas", "Encerramento"), "de": ("Willkommen", "Abschluss")}
"""The chapters before the first pose and after the last, in the session's language."""


def frame_titles(language: str) -> tuple[str, str]:
    return FRAME_TITLES.get(language.replace("_", "-").split("-")[0].lower(),
                            FRAME_TITLES["en"])


def expand_text(text: str, side: str | None, words: dict[str, str] | None = None) -> str:
    """Fill {side} and {other_side} for one side of a two-sided pose, in the script's
    language (`words`: its side words; English without)."""
    if side is None:
        return text
    said = words or {}
    return (text.replace("{other_side}", said.get(SIDE_NAMES[side], SIDE_NAMES[side]))
            .replace("{side}", said.get(side, side)))


class _Builder:
    """Appends items, putting the cue gap where two sounds would otherwise touch."""

    def __init__(self, default_chime: str | None, pace: int | None = None,
                 words: dict[str, str] | None = None) -> None:
        self.items: list[Item] = []
        self.default_chime = default_chime
        self.pace = pace
        self.words = words
        self.new_cue = False

    def _say(self, text: str, followed_by_pause: bool) -> None:
        """Words: whole, or with a pace, a sentence at a time, each followed by its rest
        (but for a sentence the teacher follows with her own pause)."""
        if self.pace is None:
            self.items.append(Speech(text))
            return
        parts = sentences(text)
        for n, sentence in enumerate(parts):
            self.items.append(Speech(sentence))
            if n < len(parts) - 1 or not followed_by_pause:
                self.items.append(Rest(sentence, words(sentence)))

    def _gap_before_sound(self) -> None:
        last = _heard(reversed(self.items))
        if last is not None and self.new_cue and _touches(last, Ring("")):
            self.items.append(Silence(ms_to_samples(CUE_GAP_MS), gap=True))

    def cue(self, cue: Cue, side: str | None, pose: int | None) -> bool:
        """Append one cue; returns True if it placed the pose's hold."""
        self.new_cue = True
        placed = False
        for k, tok in enumerate(cue.tokens):
            if isinstance(tok, Text):
                self._gap_before_sound()
                after = cue.tokens[k + 1] if k + 1 < len(cue.tokens) else None
                self._say(expand_text(tok.text, side, self.words), isinstance(after, Pause))
            elif isinstance(tok, Pause):
                self.items.append(Silence(ms_to_samples(tok.ms)))
            elif isinstance(tok, Hold):
                assert pose is not None  # the loader refuses [hold] outside poses
                self.items.append(HoldSlot(pose))
                placed = True
            elif isinstance(tok, Chime):
                sound = tok.sound or self.default_chime
                if sound:
                    self._gap_before_sound()
                    self.items.append(Ring(sound))
            elif isinstance(tok, Recording):
                self._gap_before_sound()
                self.items.append(Speech(tok.text or "", tok.name))
            self.new_cue = False
        return placed


def _heard(items: Iterable[Item]) -> Item | None:
    """The first item that takes time (a side's start takes none)."""
    return next((i for i in items if not isinstance(i, Turn)), None)


def _touches(before: Item | None, after: Item | None) -> bool:
    """Whether a cue gap belongs between two items: after words, before a sound."""
    return isinstance(before, Speech) and isinstance(after, Speech | Ring)


def movement_speech(cue: Cue, side: str | None, words: dict[str, str] | None = None) -> Speech:
    """What a movement's cue says on its breath: its words (or its recording), whole; the
    breath, not the pace, gives it its time."""
    for tok in cue.tokens:
        if isinstance(tok, Recording):
            return Speech(tok.text or "", tok.name)
    return Speech(expand_text(" ".join(t.text for t in cue.tokens if isinstance(t, Text)),
                              side, words))


def _pose_items(script: Script, index: int, pose: Pose) -> tuple[Item, ...]:
    if pose.flow is not None:  # a chime at its start (with_chimes) and, if asked, its end
        return (FlowSlot(index), *([Ring(pose.flow.chime)] if pose.flow.chime else []))
    b = _Builder(script.chime, script.pace_wpm, script.side_words)
    sides: tuple[str | None, ...] = pose.sides or (None,)
    for n, side in enumerate(sides):
        if pose.sides:
            b.items.append(Turn(n))
        if n and pose.switch:
            b.cue(pose.switch, side, index)
        placed = False
        for cue in pose.cues:
            placed |= b.cue(cue, side, index)
        if pose.hold and not placed:
            b.items.append(HoldSlot(index))
    return tuple(b.items)


def outline(script: Script) -> list[Section]:
    """The session as sections of untimed items, before any pose is left out."""
    sections: list[Section] = []
    welcome = _frame_items(script, script.intro)
    if welcome:
        sections.append(Section(frame_titles(script.language)[0], welcome))
    for i, pose in enumerate(script.poses):
        items = _pose_items(script, i, pose)
        if _heard(items) is None:
            raise ScriptError(f"pose '{pose.name}' has nothing to say, play or hold",
                              Where(script.path, pose.line))
        sections.append(Section(pose.name, items, i))
    closing = _frame_items(script, script.outro)
    if closing:
        sections.append(Section(frame_titles(script.language)[1], closing))
    if not any(isinstance(i, Speech | Ring) for s in with_chimes(script, sections)
               for i in s.items):
        raise ScriptError("the script has nothing to say or play: every cue is only pauses "
                          "or punctuation, and there is no chime", Where(script.path))
    return sections


def _frame_items(script: Script, cues: tuple[Cue, ...]) -> tuple[Item, ...]:
    """Items of the intro or outro (empty if there is nothing in them to hear)."""
    b = _Builder(script.chime, script.pace_wpm, script.side_words)
    for cue in cues:
        b.cue(cue, None, None)
    return tuple(b.items)


def cue_items(script: Script, cue: Cue, side: str | None = None) -> tuple[Item, ...]:
    """One cue's items as a session says it (for hearing a cue alone, in the studio)."""
    b = _Builder(script.chime, script.pace_wpm, script.side_words)
    b.cue(cue, side, 0)
    return tuple(b.items)


def texts_to_speak(script: Script) -> list[str]:
    """Every distinct text the session can speak, in order of first use."""
    seen: dict[str, None] = {}
    for section in outline(script):
        for item in section.items:
            if isinstance(item, Speech) and item.recording is None:
                seen.setdefault(item.text, None)
            elif isinstance(item, FlowSlot):
                flow = script.poses[item.pose].flow
                assert flow is not None
                for m in flow.movements:
                    for cue in m.cues:
                        for side in flow.sides or (None,):
                            said = movement_speech(cue, side, script.side_words)
                            if said.recording is None and said.text:
                                seen.setdefault(said.text, None)
    return list(seen)


def with_chimes(script: Script, sections: list[Section]) -> list[Section]:
    """Open the session with a chime, ring one at each new pose, close with one; and keep
    a cue gap wherever one section's last word would touch the next section's sound."""
    out: list[Section] = []
    for n, sec in enumerate(sections):
        items = list(sec.items)
        if sec.pose is not None:
            sound = script.poses[sec.pose].chime  # the script's chime unless the pose names one
        else:
            sound = script.chime if n == 0 else None  # the Welcome opens the session
        if sound:
            items.insert(0, Ring(sound))
        if n == len(sections) - 1 and script.chime:
            if _touches(_heard(reversed(items)), Ring(script.chime)):
                items.append(Silence(ms_to_samples(CUE_GAP_MS), gap=True))
            items.append(Ring(script.chime))
        if out and _touches(_heard(reversed(out[-1].items)), _heard(items)):
            prev = out[-1]
            out[-1] = Section(prev.title,
                              prev.items + (Silence(ms_to_samples(CUE_GAP_MS), gap=True),),
                              prev.pose)
        out.append(Section(sec.title, tuple(items), sec.pose))
    return out
