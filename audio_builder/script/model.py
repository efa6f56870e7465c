"""The validated pose script: plain frozen dataclasses, the input of the planner.

Everything here has been checked by the loader; times are whole milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .flows import Flow


@dataclass(frozen=True)
class Text:
    """Words to speak. May contain {side} / {other_side}, filled in per side."""

    text: str


@dataclass(frozen=True)
class Pause:
    """A fixed silence ([pause 3s], [breaths 3], <break time="3s"/>)."""

    ms: int


@dataclass(frozen=True)
class Hold:
    """Where the pose's flexible hold silence goes."""


@dataclass(frozen=True)
class Chime:
    """A chime at this point; sound None means the script's default."""

    sound: str | None = None


@dataclass(frozen=True)
class Recording:
    """A cue in the teacher's own recorded voice: a sound name; text for the transcript."""

    name: str
    text: str | None = None


Token = Text | Pause | Hold | Chime | Recording


@dataclass(frozen=True)
class Cue:
    """One cue string of the script, parsed into tokens, with its line for messages."""

    tokens: tuple[Token, ...]
    line: int


@dataclass(frozen=True)
class HoldRange:
    """A pose's hold in ms: fixed when min_ms == max_ms."""

    min_ms: int
    max_ms: int
    breaths: bool = False
    """Counted in breaths ("4..8 breaths"): a breath guide may sound in it."""


@dataclass(frozen=True)
class Pose:
    name: str
    cues: tuple[Cue, ...]
    line: int
    hold: HoldRange | None = None
    sides: tuple[str, ...] = ()
    """Empty for a one-sided pose; else e.g. ("right", "left"): cues and hold repeat per side."""
    switch: Cue | None = None
    optional: bool = False
    priority: int = 1
    chime: str | None = None
    """Sound played as the pose begins; None means no chime."""
    every_ms: int | None = None
    """A soft chime rings this often inside the hold (`every: 5m`), never over a word."""
    flow: Flow | None = None
    """A flow (rounds of movements on the breath) stands in `poses:` as a pose of its
    own name, with no cues, hold or sides of its own."""

    def flow_cues(self) -> list[Cue]:
        """Every cue of the flow's movements (none for a pose)."""
        return [c for m in self.flow.movements for c in m.cues] if self.flow else []


@dataclass(frozen=True)
class VoiceSpec:
    engine: str | None = None
    """None: the default for the script's language (Kokoro where it speaks it)."""
    name: str | None = None
    speed: float = 1.0
    line: int = 0


@dataclass(frozen=True)
class Pronunciation:
    """One `pronounce:` entry: how the engine should say a written word or phrase."""

    written: str
    said: str
    """A respelling, or IPA (without its slashes) when `ipa`."""
    ipa: bool
    line: int


@dataclass(frozen=True)
class NamedLength:
    ms: int
    line: int


@dataclass(frozen=True)
class Ambience:
    """A sound bed under the whole session, ducked under speech."""

    sound: str
    level_lu: float = -26.0
    """Loudness of the bed in the holds, in LU relative to the voice (negative: under it)."""
    duck_db: float = 6.0
    """How far the bed is lowered under speech."""
    line: int = 0


@dataclass(frozen=True)
class Script:
    path: Path
    title: str
    poses: tuple[Pose, ...]
    author: str | None = None
    description: str | None = None
    language: str = "en"
    voice: VoiceSpec = field(default_factory=VoiceSpec)
    breath_ms: int = 5000
    chime: str | None = "bell"
    """The default chime between poses; None for no chime."""
    lengths: dict[str, NamedLength] = field(default_factory=dict)
    intro: tuple[Cue, ...] = ()
    outro: tuple[Cue, ...] = ()
    cover: Path | None = None
    """Cover art (JPEG or PNG) beside the script, checked by the loader."""
    sound_lines: dict[str, int] = field(default_factory=dict)
    """The line where each sound is first named, for errors about the sound's file."""
    pronounce: tuple[Pronunciation, ...] = ()
    tone_allow: tuple[str, ...] = ()
    """Words of the tone check (tone.yaml) this script means, not warned about."""
    ambience: Ambience | None = None
    breath_guide: bool = False
    """Sound each inhale and exhale of holds counted in breaths."""
    breath_in_ms: int | None = None
    """The inhale of one breath (breath: {in: 2s, out: 3s}); None: half of breath_ms."""
    pace_wpm: int | None = 130
    """Words a minute each cue keeps (pace: calm); None: the voice's own (pace: off)."""
    side_words: dict[str, str] = field(default_factory=dict)
    """How {side} and {other_side} are said: right -> derecho in a Spanish translation;
    empty: the English words."""

    @property
    def recordings_used(self) -> dict[str, int]:
        """Each recording the script plays, with the line of its first cue."""
        found: dict[str, int] = {}
        for cue in sorted(self.all_cues(), key=lambda c: c.line):
            for tok in cue.tokens:
                if isinstance(tok, Recording):
                    found.setdefault(tok.name, cue.line)
        return found

    @property
    def sounds_used(self) -> set[str]:
        """Every sound name the script can play, for checking before synthesis."""
        names: set[str] = {p.chime for p in self.poses if p.chime}
        if self.chime:
            names.add(self.chime)
        for cue in self.all_cues():
            for tok in cue.tokens:
                if isinstance(tok, Chime) and (tok.sound or self.chime):
                    names.add(tok.sound or self.chime or "")
        return names

    def all_cues(self) -> list[Cue]:
        cues = list(self.intro) + list(self.outro)
        for p in self.poses:
            cues += list(p.cues) + ([p.switch] if p.switch else []) + p.flow_cues()
        return cues
