"""Chime sounds by name: `bell` is bell.wav (or .mp3/.ogg/.flac) in a sounds/ folder.

A sound is named, never given as a path. The script's own sounds/ folder is searched
first, then the project's; a file (or symlink) that leads outside its folder is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import RATE
from ..errors import ScriptError, Where
from ..ffmpeg import decode_file

EXTENSIONS = (".wav", ".mp3", ".ogg", ".flac")


def _project_sounds() -> Path:
    """The project's sounds/, through audio_builder/shipped_sounds: in a checkout a link
    to the top-level sounds/ (resolved, so messages name the real folder), in an
    installed wheel the folder itself."""
    return (Path(__file__).resolve().parent.parent / "shipped_sounds").resolve()


PROJECT_SOUNDS = _project_sounds()


def sound_folders(script_path: Path | None) -> list[Path]:
    folders = []
    if script_path is not None:
        folders.append(script_path.resolve().parent / "sounds")
    folders.append(PROJECT_SOUNDS)
    return folders


def available(script_path: Path | None = None) -> dict[str, Path]:
    """Every sound name that can be used, with the file it resolves to."""
    found: dict[str, Path] = {}
    for folder in sound_folders(script_path):
        if folder.is_dir():
            for p in sorted(folder.iterdir()):
                if p.suffix.lower() in EXTENSIONS and p.stem not in found:
                    if _inside(p, folder):
                        found[p.stem] = p
    return found


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve()) and path.resolve().is_file()
    except OSError:
        return False


def resolve(name: str, script_path: Path | None, line: int | None = None) -> Path:
    """The file of a named sound; ScriptError naming what exists if it is unknown (at
    `line`, where the script names it)."""
    for folder in sound_folders(script_path):
        for ext in EXTENSIONS:
            p = folder / f"{name}{ext}"
            if p.exists() or p.is_symlink():
                if not _inside(p, folder):
                    raise ScriptError(f"sound '{name}' ({p}) leads outside its sounds folder; "
                                      "copy the file in instead of linking it",
                                      Where(script_path, line))
                return p
    names = ", ".join(sorted(available(script_path))) or "none"
    raise ScriptError(f"unknown sound '{name}'; available: {names} (or 'none')",
                      Where(script_path, line))


def load_sound(name: str, script_path: Path | None, line: int | None = None) -> np.ndarray:
    """A named sound, decoded (mono float32 at RATE); ScriptError if it is not usable audio,
    at `line`, where the script names it.

    Only decoded here, not measured: `check` stays fast, and rendering measures it once.
    """
    path = resolve(name, script_path, line)
    try:
        samples = decode_file(path, RATE)
    except (ValueError, OSError) as exc:
        reason = str(exc).strip()[:80] or type(exc).__name__
        raise ScriptError(f"sound '{name}' ({path.name}) is not readable audio: {reason}",
                          Where(script_path, line)) from None
    if len(samples) < 100 or not np.any(samples):
        raise ScriptError(f"sound '{name}' ({path.name}) is empty or silent",
                          Where(script_path, line))
    return samples
