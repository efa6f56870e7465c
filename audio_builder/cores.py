"""How many processes to run side by side: one per usable core, or as the user says."""

from __future__ import annotations

import os

from .errors import AudioBuilderError


def usable_cores() -> int:
    """Cores this process may run on (its affinity, which containers narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def encoders() -> int:
    """MP3 encoders running at once: one per core (up to 4), or AUDIO_BUILDER_ENCODERS.
    The bytes do not depend on it: the parts are the plan's (mp3/slots.py)."""
    return from_env("AUDIO_BUILDER_ENCODERS", min(usable_cores(), 4))


def from_env(name: str, default: int) -> int:
    """A positive count from the environment variable `name`, else `default`."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise AudioBuilderError(f"{name}={value!r}: expected a whole number of 1 or more")
    return int(value)
