"""The teacher's own recorded cues: found like sounds, shaped exactly like speech.

A recording is looked up by name as a sound is (named.py: the script's sounds/ first,
no paths, no links leading out), decoded by the same decoder, then trimmed, faded and
levelled by make_clip, as every synthesized sentence is, so both voices share one level.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import RATE
from ..errors import ScriptError, Where
from .clips import Clip, make_clip
from .named import load_sound

MAX_RECORDING_S = 180
"""The longest recorded cue: about what the longest text cue (2000 characters) lasts."""
MIN_RECORDING_MS = 200
SILENT_DBFS = -60.0
"""A recording whose loudest sample is under this is taken to be silent."""


def load_recording(name: str, script_path: Path, line: int | None) -> Clip:
    """A recording, shaped like speech; ScriptError at `line` if it cannot be one."""
    where = Where(script_path, line)
    try:
        samples = load_sound(name, script_path, line)
    except ScriptError as exc:
        message = exc.message.replace("sound '", "recording '", 1)
        raise ScriptError(message.replace(" (or 'none')", ""), where) from None
    if len(samples) > MAX_RECORDING_S * RATE:
        raise ScriptError(f"recording '{name}' lasts {len(samples) / RATE:.0f}s; a recorded "
                          f"cue can last at most {MAX_RECORDING_S}s (split it into several "
                          "cues)", where)
    peak = float(np.abs(samples).max())
    if 20 * np.log10(max(peak, 1e-9)) < SILENT_DBFS:
        raise ScriptError(f"recording '{name}' is silent (its loudest sample is under "
                          f"{SILENT_DBFS:.0f} dBFS)", where)
    clip = make_clip(samples, RATE)
    if clip.length < RATE * MIN_RECORDING_MS // 1000 or not np.isfinite(clip.lufs):
        raise ScriptError(f"recording '{name}' has almost nothing audible in it", where)
    return clip
