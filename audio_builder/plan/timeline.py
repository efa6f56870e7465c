"""The plan: a pure function from a script and measured durations to a timeline.

No audio here. The outline (outline.py) is fitted to the chosen length (fit.py), then
every item is placed in integer samples, and chapters are marked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .. import RATE
from ..script.model import Script
from .fit import choose_sections, fit_holds
from .guide import split_hold
from .outline import HoldSlot, Silence, Speech, outline, recording_key, with_chimes


@dataclass(frozen=True)
class Event:
    kind: str
    """speech, silence, chime or breath (a guided breath: inhale, then exhale)."""
    start: int
    length: int
    text: str | None = None
    pose: str | None = None
    sound: str | None = None
    recording: str | None = None
    """For a recorded cue: its sound name (text is then its transcript, if any)."""

    @property
    def speech_key(self) -> str:
        """How the mixer finds a speech event's audio (see outline.Speech.key)."""
        return self.text or "" if self.recording is None else recording_key(self.recording)
    inhale: int | None = None
    """A breath's inhale, in samples (its exhale is the rest)."""


@dataclass(frozen=True)
class Chapter:
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Plan:
    title: str
    length_name: str
    total: int
    """Samples at RATE."""
    events: tuple[Event, ...]
    chapters: tuple[Chapter, ...]
    dropped: tuple[str, ...] = ()
    holds: dict[str, int] = field(default_factory=dict)
    """Pose name -> hold per side, in samples."""
    bed: str | None = None
    """The sound bed under the whole session (ambience), if any: then nothing is silent."""

    def to_json(self) -> str:
        return json.dumps(plan_dict(self), ensure_ascii=False, indent=1)


def _s(samples: int) -> float:
    return round(samples / RATE, 3)


def plan_dict(plan: Plan) -> dict:
    """The `plan --json` object of SPEC.md."""
    events = []
    for e in plan.events:
        d: dict = {"kind": e.kind, "start_s": _s(e.start), "duration_s": _s(e.length)}
        if e.text is not None:
            d["text"] = e.text
        if e.pose is not None:
            d["pose"] = e.pose
        if e.sound is not None:
            d["sound"] = e.sound
        if e.recording is not None:
            d["recording"] = e.recording
        if e.inhale is not None:
            d["inhale_s"] = _s(e.inhale)
        events.append(d)
    out = {
        "title": plan.title,
        "length_s": _s(plan.total),
        "chapters": [{"title": c.title, "start_s": _s(c.start), "end_s": _s(c.end)}
                     for c in plan.chapters],
        "events": events,
        "dropped": list(plan.dropped),
    }
    if plan.bed is not None:
        out["ambience"] = plan.bed
    return out


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
    holds, remainder = fit_holds(script, sections, target, speech, chimes)
    events: list[Event] = []
    chapters: list[Chapter] = []
    t = 0

    def add(kind: str, length: int, **kw: Any) -> None:
        nonlocal t
        if length <= 0:
            return
        if kind == "silence" and events and events[-1].kind == "silence":
            last = events.pop()
            events.append(Event("silence", last.start, last.length + length, pose=last.pose))
        else:
            events.append(Event(kind, t, length, **kw))
        t += length

    for n, sec in enumerate(sections):
        start = t
        pose = sec.title if sec.pose is not None else None
        last = n == len(sections) - 1
        gaps = [k for k, item in enumerate(sec.items) if isinstance(item, Silence)]
        # what rounding leaves over (under 1 ms) joins the last fixed gap, else ends it all
        spare_at = gaps[-1] if last and remainder and gaps else None
        for k, item in enumerate(sec.items):
            if k == spare_at:
                add("silence", remainder, pose=pose)
            if isinstance(item, Speech):
                add("speech", speech[item.key], text=item.text or None, pose=pose,
                    recording=item.recording)
            elif isinstance(item, Silence):
                add("silence", item.samples, pose=pose)
            elif isinstance(item, HoldSlot):
                for piece in split_hold(script, item.pose, holds[item.pose]):
                    add(piece.kind, piece.length, pose=pose, inhale=piece.inhale)
            else:
                add("chime", chimes[item.sound], sound=item.sound, pose=pose)
        if last and remainder and spare_at is None:
            add("silence", remainder, pose=pose)
        chapters.append(Chapter(sec.title, start, t))
    kept = {s.pose for s in sections}
    dropped = tuple(s.title for s in everything if s.pose not in kept)
    return Plan(script.title, length_name, t, tuple(events), tuple(chapters), dropped,
                {script.poses[p].name: h for p, h in holds.items()},
                script.ambience.sound if script.ambience else None)
