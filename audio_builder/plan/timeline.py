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
from .flow import Placed, breath_split, check_cue_fits, place
from .guide import ring_every, split_hold
from .outline import (
    FlowSlot,
    HoldSlot,
    Rest,
    Silence,
    Speech,
    Turn,
    movement_speech,
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
    """A guided breath inside a hold (inhale, then exhale), or with a flow's movement."""
    MOVEMENT = "movement"
    """The rest of a flow's movement after its cue: the breath phase it moves on."""

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
    round: int | None = None
    """In a flow: the round (0-based) this event belongs to."""
    rounds: int | None = None
    """In a flow: how many rounds it takes at this length."""
    movement: str | None = None
    """In a flow: the movement's name."""

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
        if e.movement is not None:
            d["movement"] = e.movement
            d["round"] = (e.round or 0) + 1
            d["rounds"] = e.rounds
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
            kw.setdefault("side", side)
            events.append(Event(kind, t, length, section=section, **kw))
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
                pieces = split_hold(script, item.pose, length)
                held = script.poses[item.pose]
                if held.every_ms and held.chime:
                    pieces = ring_every(pieces, ms_to_samples(held.every_ms),
                                        chimes[held.chime])
                for piece in pieces:
                    if piece.kind == "chime":
                        add(EventKind.CHIME, piece.length, sound=held.chime, pose=pose,
                            hold=len(spans) - 1)
                        continue
                    kind = EventKind.BREATH if piece.kind == "breath" else EventKind.HOLD
                    add(kind, piece.length, pose=pose, inhale=piece.inhale,
                        hold=len(spans) - 1)
            elif isinstance(item, FlowSlot):
                for kind, length, kw in flow_events(script, item.pose,
                                                    fitted.rounds[item.pose], speech):
                    add(kind, length, pose=pose, **kw)
            else:
                add(EventKind.CHIME, chimes[item.sound], sound=item.sound, pose=pose)
        if last and remainder and spare_at is None:
            add(EventKind.GAP, remainder, pose=pose)
        chapters.append(Chapter(sec.title, start, t, section))
    kept = {s.pose for s in sections}
    dropped = tuple(s.title for s in everything if s.pose not in kept)
    return Plan(script.title, length_name, t, tuple(events), tuple(chapters), dropped,
                tuple(spans), script.ambience.sound if script.ambience else None, holds)


GUIDE_MIN_MS = 500
"""A phase's rest shorter than this after its cue is left silent, not guided."""


def flow_events(script: Script, pose: int, rounds: int, speech: dict[str, int]
                ) -> list[tuple[EventKind, int, dict]]:
    """A flow's rounds as (kind, length, fields) in order: each movement's cue from the
    first sample of its breath phase, then the rest of the phase (the breath guide's
    tone for each phase part, if asked), a silent wait where a movement waits out the
    other phase. ScriptError at its line for a cue longer than its phase."""
    flow = script.poses[pose].flow
    assert flow is not None
    in_ms, out_ms = breath_split(script.breath_ms, script.breath_in_ms)
    placed, total = place(flow, rounds, in_ms, out_ms)
    out: list[tuple[EventKind, int, dict]] = []
    t = 0
    for spot in placed:
        movement = flow.movements[spot.movement]
        mark = {"round": spot.round, "rounds": rounds, "movement": movement.name,
                "side": flow.sides.index(spot.side) if spot.side else None}
        if spot.start > t:
            out.append((EventKind.MOVEMENT, spot.start - t, dict(mark)))
        said = movement_speech(movement.cue_for(spot.round), spot.side, script.side_words)
        n = speech[said.key]
        check_cue_fits(script.path, flow, spot, n)
        out.append((EventKind.SPEECH, n, {**mark, "text": said.text or None,
                                          "recording": said.recording}))
        for inhaling, length in _phases_after(spot, n, in_ms, out_ms):
            if script.breath_guide and length >= ms_to_samples(GUIDE_MIN_MS):
                out.append((EventKind.BREATH, length, {**mark, "inhale": length if inhaling
                                                       else 0}))
            else:
                out.append((EventKind.MOVEMENT, length, dict(mark)))
        t = spot.start + spot.length
    if total > t:
        out.append((EventKind.MOVEMENT, total - t, {}))
    merged: list[tuple[EventKind, int, dict]] = []
    for kind, length, kw in out:  # one silent event per stretch, not one per phase
        if (merged and kind == EventKind.MOVEMENT and merged[-1][0] == kind
                and merged[-1][2] == kw):
            merged[-1] = (kind, merged[-1][1] + length, kw)
        elif length > 0:
            merged.append((kind, length, kw))
    return merged


def _phases_after(spot: Placed, spoken: int, in_ms: int, out_ms: int
                  ) -> list[tuple[bool, int]]:
    """The movement's phase(s) after its cue: (inhaling, samples) of each part."""
    bounds, inhaling, at = [], spot.phase != "out", 0
    while at < spot.length:
        ms = in_ms if inhaling else out_ms
        step = min(spot.length, ms_to_samples(ms) + at) - at
        bounds.append((inhaling, at, at + step))
        at += step
        inhaling = not inhaling
    return [(i, b - max(a, spoken)) for i, a, b in bounds if b > spoken]


def _breaths(script: Script, pose: int, length: int) -> float | None:
    """How many breaths a hold counted in breaths stands for, at the script's pace."""
    rng = script.poses[pose].hold
    if rng is None or not rng.breaths or not script.breath_ms:
        return None
    return round(length / ms_to_samples(script.breath_ms), 2)
