"""One render request: everything a user may choose about a session, in one frozen
object built once (from the script's command line, publish, or the studio's page) and
handed down whole, so a new choice (a language, a pace) is added in one place.

The script says what is in the session; these say how it is rendered. None means "as
the script says".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..sound.mix import TARGET_LUFS, Levels
from .between import Between

BITRATES = ("64k", "96k", "128k", "160k", "192k")
"""Constant bitrates offered (spoken word: 96k is podcast practice)."""
DEFAULT_BITRATE = "96k"


@dataclass(frozen=True)
class VoiceChoice:
    """Command-line overrides of the script's voice."""

    engine: str | None = None
    voice: str | None = None
    speed: float | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How to render a script: the voice, what plays between the words, the level and
    the file. Hashable and comparable, so two requests that are equal make equal files."""

    engine: str | None = None
    voice: str | None = None
    """A voice name of the engine, or a Piper .onnx path (relative to the working folder)."""
    speed: float | None = None
    ambience: str | None = None
    """A bed's name, or 'none'; None keeps the script's."""
    breath_guide: bool | None = None
    bitrate: str = DEFAULT_BITRATE
    loudness: float = TARGET_LUFS
    """LUFS the voice is brought to."""
    transcript: bool = False
    """Also write a WebVTT file beside the MP3 (no change to the MP3)."""
    language: str | None = None
    """Reserved for translations: the language to speak; None: the script's."""
    pace: str | None = None
    """Reserved for the pace of speech; None: the script's."""

    def __post_init__(self) -> None:
        if self.bitrate not in BITRATES:
            raise ValueError(f"bitrate {self.bitrate}: choose one of {', '.join(BITRATES)}")

    @property
    def voice_choice(self) -> VoiceChoice:
        return VoiceChoice(self.engine, self.voice, self.speed)

    @property
    def between(self) -> Between:
        return Between(self.ambience, self.breath_guide)

    @property
    def levels(self) -> Levels:
        return Levels(self.loudness)

    def audio_fields(self) -> dict:
        """What changes the MP3's bytes (the transcript is a file beside it)."""
        fields = asdict(self)
        del fields["transcript"]
        return fields


DEFAULT_OPTIONS = RenderOptions()
