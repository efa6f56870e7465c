"""The teacher's own voice, cue by cue: each take decoded from what the browser recorded
(WebM/Opus, MP4/AAC, Ogg or WAV) by the project's ffmpeg, checked as a recorded cue is,
and kept in the folder's sounds/ as NAME-takeN.wav until she discards it."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import RATE
from ..errors import ScriptError
from ..ffmpeg import decode_file
from ..sound.recordings import load_recording
from .folder import Folder, FolderError, _atomic
from .voice import wav_bytes

MAX_UPLOAD = 40_000_000
"""Bytes a take may have as recorded (three minutes of WAV at 48 kHz is 17 MB)."""
TAKE = re.compile(r"([a-z0-9][a-z0-9-]{0,50})-take([0-9]{1,3})")
SUFFIXES = {"audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
            "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/mpeg": ".mp3"}


@dataclass(frozen=True)
class Take:
    name: str
    """The sound name a cue plays it by ({recording: NAME})."""
    seconds: float


def cue_base(session: str, label: str) -> str:
    """The stem of a cue's takes, from the session and the cue (`psoas-low-lunge-2`)."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{Path(session).stem} {label}".lower()).strip("-")
    return words[:50].strip("-") or "cue"


def takes(folder: Folder, base: str) -> list[Take]:
    """The takes of one cue kept in sounds/, oldest first."""
    found = []
    for path in (folder.root / "sounds").glob(f"{base}-take*.wav"):
        match = TAKE.fullmatch(path.stem)
        if match and match[1] == base and not path.is_symlink():
            found.append((int(match[2]), Take(path.stem, _seconds(path))))
    return [take for _, take in sorted(found)]


def _seconds(path: Path) -> float:
    return max(0, path.stat().st_size - 44) / 2 / RATE


def save_take(folder: Folder, base: str, data: bytes, content_type: str) -> Take:
    """Decode a recorded take, check it as a recorded cue is checked (not silent, not
    too long, something audible), and keep it as the next take of `base`."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,50}", base):
        raise FolderError("a take is named from its cue (letters, digits and '-')")
    if not data or len(data) > MAX_UPLOAD:
        raise FolderError("the recording is empty or too large")
    kind = content_type.split(";")[0].strip().lower()
    suffix = SUFFIXES.get(kind)
    if suffix is None:
        raise FolderError(f"cannot read a recording of type '{kind[:40]}'")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp, "take" + suffix)
        raw.write_bytes(data)
        try:
            samples = decode_file(raw, RATE)
        except ValueError as exc:
            raise FolderError(f"the recording could not be decoded ({exc})") from None
        checked = Path(tmp, "sounds", "check.wav")
        checked.parent.mkdir()
        checked.write_bytes(wav_bytes(samples))
        try:  # the same checks a recorded cue meets when a session is rendered
            load_recording("check", Path(tmp, "script.yaml"), None)
        except ScriptError as exc:
            raise FolderError(exc.message.replace("recording 'check'", "this take")) from None
    sounds = folder.root / "sounds"
    if sounds.is_symlink():
        raise FolderError("sounds/ is a link; the studio writes only inside the folder")
    sounds.mkdir(exist_ok=True)
    n = max((int(t.name.rsplit("-take", 1)[1]) for t in takes(folder, base)), default=0) + 1
    name = f"{base}-take{n}"
    _atomic(sounds / f"{name}.wav", wav_bytes(np.asarray(samples, np.float32)))
    return Take(name, len(samples) / RATE)


def discard(folder: Folder, name: str, used: set[str]) -> None:
    """Delete a take she discards; never one a cue of the script plays."""
    if not TAKE.fullmatch(name):
        raise FolderError("only a take the studio recorded can be discarded")
    if name in used:
        raise FolderError(f"{name} is the take a cue plays; choose another first")
    path = folder.root / "sounds" / f"{name}.wav"
    if path.is_symlink() or not path.is_file():
        raise FolderError(f"there is no take {name}")
    path.unlink()
