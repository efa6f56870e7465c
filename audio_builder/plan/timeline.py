"""The plan: a pure function from a script and measured durations to a timeline.

No audio here. The outline (outline.py) is fitted to the chosen length (fit.py), then
every item is placed in integer samples, and chapters are marked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .. import RATE
from ..script.durations import ms_to_samples
from ..script.model import Script
from ..script.pace import words
from .fit import choose_sections, fit_holds, rest_bounds
from .guide import split_hold
from .outline import (
    HoldSlot,
    Rest,
    Silence,
    Speech,
    Turn,
    outline,
    recording_key,
    with_chimes,
)


class EventKind(StrEnum):
    """What an event is. A string enum, so `kind == "speech"` and JSON stay plain."""

    SPEECH = "speech"
    """Words: synthesized, or a recorded cue."""
    CHIME = "chime"
    SILENCE = "silence"
    """A pause the script wrote ([pause 2s], [breaths 3])."""
    GAP = "gap"
    """The space the outline leaves between cues (and what rounding leaves over)."""
    REST = "rest"
    """The rest after a sentence that the pace asks for (script/pace.py)."""
    HOLD = "hold"
    """A pose's hold, silent: where the listener stays in the pose."""
    BREATH = "breath"
    """A guided breath inside a hold (inhale, then exhale)."""

    @property
    def sounds(self) -> bool:
        """Whether anything is heard (without a bed): speech, chimes, guided breaths."""
        return self in (EventKind.SPEECH, EventKind.CHIME, EventKind.BREATH)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    start: int
    length: int
    text: str | None = None
    pose: str | None = None
    sound: str | None = None
    recording: str | None = None
    """For a recorded cue: its sound name (text is then its transcript, if any)."""
    inhale: int | None = None
    """A breath's inhale, in samples (its exhale is the rest)."""
    section: int = 0
    """Index of the section (chapter) it belongs to: repeated poses stay distinct."""
    side: int | None = None
    """0 or 1 inside a two-sided pose; None elsewhere."""
    hold: int | None = None
    """For a hold's events (kind hold or breath): the index of the hold in Plan.holds."""

    @property
    def speech_key(self) -> str:
        """How the mixer finds a speech event's audio (see outline.Speech.key)."""
        return self.text or "" if self.recording is None else recording_key(self.recording)


@dataclass(frozen=True)
class Hold:
    """One hold as the listener lives it: a pose (one side of it), from its first silent
    sample to its last, found by index, never by name."""

    section: int
    pose: str
    side: int | None
    start: int
    length: int
    breaths: float | None = None
    """For a hold counted in breaths: how many breaths it stands for, at the script's pace."""


@dataclass(frozen=True)
class Chapter:
    title: str
    start: int
    end: int
    section: int = 0


@dataclass(frozen=True)
class Plan:
    title: str
    length_name: str
    total: int
    """Samples at RATE."""
    events: tuple[Event, ...]
    chapters: tuple[Chapter, ...]
    dropped: tuple[str, ...] = ()
    holds: tuple[Hold, ...] = ()
    """Every hold, in time order; a hold's events carry its index here."""
    bed: str | None = None
    """The sound bed under the whole session (ambience), if any: then nothing is silent."""
    hold_lengths: dict[int, int] = field(default_factory=dict)
    """Pose index (in the script) -> hold per side, in samples, as fitted."""

    def to_json(self) -> str:
        return json.dumps(plan_dict(self), ensure_ascii=False, indent=1)


def _s(samples: int) -> float:
    return round(samples / RATE, 3)


def plan_dict(plan: Plan) -> dict:
    """The `plan --json` object of SPEC.md: every time in seconds (rounded to the
    millisecond) and, exactly, in samples at `rate`."""
    events = []
    for n, e in enumerate(plan.events):
        d: dict = {"kind": str(e.kind), "start_s": _s(e.start), "duration_s": _s(e.length),
                   "start": e.start, "length": e.length, "section": e.section}
        if (pace := sentence_wpm(plan, n)) is not None:
            d["wpm"] = pace
        if e.text is not None:
            d["text"] = e.text
        if e.pose is not None:
            d["pose"] = e.pose
        if e.side is not None:
            d["side"] = e.side
        if e.hold is not None:
            d["hold"] = e.hold
        if e.sound is not None:
            d["sound"] = e.sound
        if e.recording is not None:
            d["recording"] = e.recording
        if e.inhale is not None:
            d["inhale_s"] = _s(e.inhale)
            d["inhale"] = e.inhale
        events.append(d)
    holds = []
    for h in plan.holds:
        d = {"pose": h.pose, "section": h.section, "start_s": _s(h.start),
             "duration_s": _s(h.length), "start": h.start, "length": h.length}
        if h.side is not None:
            d["side"] = h.side
        if h.breaths is not None:
            d["breaths"] = h.breaths
        holds.append(d)
    out = {
        "title": plan.title,
        "length_s": _s(plan.total),
        "rate": RATE,
        "total": plan.total,
        "chapters": [{"title": c.title, "start_s": _s(c.start), "end_s": _s(c.end),
                      "start": c.start, "end": c.end, "section": c.section}
                     for c in plan.chapters],
        "events": events,
        "holds": holds,
        "dropped": list(plan.dropped),
    }
    if plan.bed is not None:
        out["ambience"] = plan.bed
    return out


def sentence_wpm(plan: Plan, n: int) -> float | None:
    """The pace of the sentence spoken by event n: its words a minute over its speech and
    the rest the pace put after it; None if it is not speech followed by such a rest."""
    e = plan.events[n]
    if e.kind != EventKind.SPEECH or not e.text or n + 1 >= len(plan.events):
        return None
    rest = plan.events[n + 1]
    if rest.kind != EventKind.REST:
        return None
    return round(words(e.text) * 60 * RATE / (e.length + rest.length), 1)


def make_plan(script: Script, speech: dict[str, int], chimes: dict[str, int],
              target: int | None = None, length_name: str = "full") -> Plan:
    """The timeline for a chosen length (None: full, every hold at its upper bound).

    speech: samples of each text (as returned by texts_to_speak); chimes: samples of
    each sound. Raises LengthError when the target cannot be reached.
    """
    sections = outline(script)
    everything = sections
    if target is not None:
        sections = choose_sections(script, sections, target, speech, chimes)
    sections = with_chimes(script, sections)
    fitted = fit_holds(script, sections, target, speech, chimes)
    holds, remainder = fitted.holds, fitted.remainder
    events: list[Event] = []
    chapters: list[Chapter] = []
    spans: list[Hold] = []
    t = 0
    section = 0
    side: int | None = None

    def add(kind: EventKind, length: int, **kw: Any) -> None:
        nonlocal t
        if length > 0:
            events.append(Event(kind, t, length, section=section, side=side, **kw))
            t += length

    for section, sec in enumerate(sections):
        start = t
        side = None
        pose = sec.title if sec.pose is not None else None
        last = section == len(sections) - 1
        gaps = [k for k, item in enumerate(sec.items) if isinstance(item, Silence)]
        # what rounding leaves over (under 1 ms) joins the last fixed gap, else ends it all
        spare_at = gaps[-1] if last and remainder and gaps else None
        for k, item in enumerate(sec.items):
            if k == spare_at:
                add(EventKind.GAP, remainder, pose=pose)
            if isinstance(item, Turn):
                side = item.side
            elif isinstance(item, Rest):
                add(EventKind.REST, fitted.rest(*rest_bounds(script, item, speech)), pose=pose)
            elif isinstance(item, Speech):
                add(EventKind.SPEECH, speech[item.key], text=item.text or None, pose=pose,
                    recording=item.recording)
            elif isinstance(item, Silence):
                add(EventKind.GAP if item.gap else EventKind.SILENCE, item.samples, pose=pose)
            elif isinstance(item, HoldSlot):
                length = holds[item.pose]
                if length > 0:
                    spans.append(Hold(section, sec.title, side, t, length,
                                      _breaths(script, item.pose, length)))
                for piece in split_hold(script, item.pose, length):
                    kind = EventKind.BREATH if piece.kind == "breath" else EventKind.HOLD
                    add(kind, piece.length, pose=pose, inhale=piece.inhale,
                        hold=len(spans) - 1)
            else:
                add(EventKind.CHIME, chimes[item.sound], sound=item.sound, pose=pose)
        if last and remainder and spare_at is None:
            add(EventKind.GAP, remainder, pose=pose)
        chapters.append(Chapter(sec.title, start, t, section))
    kept = {s.pose for s in sections}
    dropped = tuple(s.title for s in everything if s.pose not in kept)
    return Plan(script.title, length_name, t, tuple(events), tuple(chapters), dropped,
                tuple(spans), script.ambience.sound if script.ambience else None, holds)


def _breaths(script: Script, pose: int, length: int) -> float | None:
    """How many breaths a hold counted in breaths stands for, at the script's pace."""
    rng = script.poses[pose].hold
    if rng is None or not rng.breaths or not script.breath_ms:
        return None
    return round(length / ms_to_samples(script.breath_ms), 2)
