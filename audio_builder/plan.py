"""The plan: a pure function from a script and measured durations to a timeline.

No audio here. The script is first laid out as an outline of sections (Welcome, each
pose, Closing) whose items are speech, fixed silence, chimes and hold slots; then the
holds are sized to reach the chosen length and everything is placed in integer samples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import RATE
from .durations import format_duration, ms_to_samples
from .errors import LengthError, ScriptError, Where
from .model import Chime, Cue, Hold, Pause, Pose, Script, Text

CUE_GAP_MS = 1200
"""Silence between two cues, and between speech and a following chime."""
SIDE_NAMES = {"right": "left", "left": "right"}


# ---- the outline: what happens, in order, before anything is timed ----------------

@dataclass(frozen=True)
class Speech:
    text: str


@dataclass(frozen=True)
class Silence:
    samples: int


@dataclass(frozen=True)
class HoldSlot:
    pose: int
    """Index of the pose in the script whose hold goes here."""


@dataclass(frozen=True)
class Ring:
    sound: str


Item = Speech | Silence | HoldSlot | Ring


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...]
    pose: int | None = None
    """Index of the pose, None for Welcome and Closing."""


def expand_text(text: str, side: str | None) -> str:
    """Fill {side} and {other_side} for one side of a two-sided pose."""
    if side is None:
        return text
    return text.replace("{other_side}", SIDE_NAMES[side]).replace("{side}", side)


class _Builder:
    """Appends items, putting the cue gap where two sounds would otherwise touch."""

    def __init__(self, default_chime: str | None) -> None:
        self.items: list[Item] = []
        self.default_chime = default_chime
        self.new_cue = False

    def _gap_before_sound(self) -> None:
        if self.items and self.new_cue and _touches(self.items[-1], Ring("")):
            self.items.append(Silence(ms_to_samples(CUE_GAP_MS)))

    def cue(self, cue: Cue, side: str | None, pose: int | None) -> bool:
        """Append one cue; returns True if it placed the pose's hold."""
        self.new_cue = True
        placed = False
        for tok in cue.tokens:
            if isinstance(tok, Text):
                self._gap_before_sound()
                self.items.append(Speech(expand_text(tok.text, side)))
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
            self.new_cue = False
        return placed


def _touches(before: Item, after: Item) -> bool:
    """Whether a cue gap belongs between two items: after words, before a sound."""
    return isinstance(before, Speech) and isinstance(after, Speech | Ring)


def _pose_items(script: Script, index: int, pose: Pose) -> tuple[Item, ...]:
    b = _Builder(script.chime)
    sides: tuple[str | None, ...] = pose.sides or (None,)
    for n, side in enumerate(sides):
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
        sections.append(Section("Welcome", welcome))
    for i, pose in enumerate(script.poses):
        items = _pose_items(script, i, pose)
        if not items:
            raise ScriptError(f"pose '{pose.name}' has nothing to say, play or hold",
                              Where(script.path, pose.line))
        sections.append(Section(pose.name, items, i))
    closing = _frame_items(script, script.outro)
    if closing:
        sections.append(Section("Closing", closing))
    if not any(isinstance(i, Speech) for s in sections for i in s.items):
        raise ScriptError("the script has nothing to say: every cue is only markers or "
                          "punctuation", Where(script.path))
    return sections


def _frame_items(script: Script, cues: tuple[Cue, ...]) -> tuple[Item, ...]:
    """Items of the intro or outro (empty if there is nothing in them to hear)."""
    b = _Builder(script.chime)
    for cue in cues:
        b.cue(cue, None, None)
    return tuple(b.items)


def texts_to_speak(script: Script) -> list[str]:
    """Every distinct text the session can speak, in order of first use."""
    seen: dict[str, None] = {}
    for section in outline(script):
        for item in section.items:
            if isinstance(item, Speech):
                seen.setdefault(item.text, None)
    return list(seen)


def _with_chimes(script: Script, sections: list[Section]) -> list[Section]:
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
            if _touches(items[-1], Ring(script.chime)):
                items.append(Silence(ms_to_samples(CUE_GAP_MS)))
            items.append(Ring(script.chime))
        if out and _touches(out[-1].items[-1], items[0]):
            prev = out[-1]
            out[-1] = Section(prev.title, prev.items + (Silence(ms_to_samples(CUE_GAP_MS)),),
                              prev.pose)
        out.append(Section(sec.title, tuple(items), sec.pose))
    return out


# ---- the timed plan -----------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    kind: str
    """speech, silence or chime."""
    start: int
    length: int
    text: str | None = None
    pose: str | None = None
    sound: str | None = None


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
        events.append(d)
    return {
        "title": plan.title,
        "length_s": _s(plan.total),
        "chapters": [{"title": c.title, "start_s": _s(c.start), "end_s": _s(c.end)}
                     for c in plan.chapters],
        "events": events,
        "dropped": list(plan.dropped),
    }


@dataclass(frozen=True)
class Bounds:
    shortest: int
    longest: int


def _fixed_and_holds(sections: list[Section], speech: dict[str, int], chimes: dict[str, int]
                     ) -> tuple[int, dict[int, int]]:
    """Samples that never change, and how many times each pose's hold occurs."""
    fixed, count = 0, dict[int, int]()
    for sec in sections:
        for item in sec.items:
            if isinstance(item, Speech):
                fixed += speech[item.text]
            elif isinstance(item, Silence):
                fixed += item.samples
            elif isinstance(item, Ring):
                fixed += chimes[item.sound]
            else:
                count[item.pose] = count.get(item.pose, 0) + 1
    return fixed, count


def _hold_range(pose: Pose) -> tuple[int, int]:
    assert pose.hold is not None
    return ms_to_samples(pose.hold.min_ms), ms_to_samples(pose.hold.max_ms)


def _bounds_of(script: Script, sections: list[Section], speech: dict[str, int],
               chimes: dict[str, int]) -> Bounds:
    fixed, count = _fixed_and_holds(_with_chimes(script, sections), speech, chimes)
    lo = fixed + sum(n * _hold_range(script.poses[p])[0] for p, n in count.items())
    hi = fixed + sum(n * _hold_range(script.poses[p])[1] for p, n in count.items())
    return Bounds(lo, hi)


def drop_order(script: Script) -> list[int]:
    """Optional poses in the order they are left out: lowest priority first, later first."""
    optional = [i for i, p in enumerate(script.poses) if p.optional]
    return sorted(optional, key=lambda i: (script.poses[i].priority, -i))


def _candidates(script: Script, sections: list[Section]) -> list[list[Section]]:
    """The sessions fitting may choose from: nothing left out, then one more optional
    pose left out at a time, in drop order. What is left out is always a prefix of it."""
    order = drop_order(script)
    if len(order) == len(script.poses):
        order = order[:-1]  # a session keeps at least one pose
    return [[s for s in sections if s.pose not in order[:k]] for k in range(len(order) + 1)]


def reachable(script: Script, speech: dict[str, int], chimes: dict[str, int]) -> list[Bounds]:
    """The lengths this script can take, as sorted, merged ranges of samples."""
    ranges = sorted((_bounds_of(script, kept, speech, chimes)
                     for kept in _candidates(script, outline(script))),
                    key=lambda b: b.shortest)
    merged: list[Bounds] = []
    for r in ranges:
        if merged and r.shortest <= merged[-1].longest + 1:
            merged[-1] = Bounds(merged[-1].shortest, max(merged[-1].longest, r.longest))
        else:
            merged.append(r)
    return merged


def length_bounds(script: Script, speech: dict[str, int], chimes: dict[str, int]) -> Bounds:
    """Shortest (every optional pose left out, holds at minimum) and longest (full)."""
    ranges = reachable(script, speech, chimes)
    return Bounds(ranges[0].shortest, ranges[-1].longest)


def _choose_sections(script: Script, sections: list[Section], target: int,
                     speech: dict[str, int], chimes: dict[str, int]) -> list[Section]:
    """Leave out optional poses, lowest priority first, until the target is reachable."""
    for kept in _candidates(script, sections):
        b = _bounds_of(script, kept, speech, chimes)
        if b.shortest <= target <= b.longest:
            return kept
    raise unreachable(script, target, reachable(script, speech, chimes))


def unreachable(script: Script, target: int, ranges: list[Bounds]) -> LengthError:
    """The error for a length the script cannot take, naming the lengths it can."""
    spans = " or ".join(
        f"exactly {format_duration(r.shortest / RATE)}"
        if format_duration(r.shortest / RATE) == format_duration(r.longest / RATE)
        else f"between {format_duration(r.shortest / RATE)} and {format_duration(r.longest / RATE)}"
        for r in ranges)
    return LengthError(f"this script cannot last {format_duration(target / RATE)}: with this "
                       f"voice it can last {spans}", Where(script.path))


def _fit_holds(script: Script, sections: list[Section], target: int | None,
               speech: dict[str, int], chimes: dict[str, int]) -> tuple[dict[int, int], int]:
    """Hold per side for each pose, shrunk evenly toward the minimum; and the remainder.

    Every pose gives the same fraction of its room (max - min), so both sides of a pose
    stay equal; the few samples that rounding leaves over end the session.
    """
    fixed, count = _fixed_and_holds(sections, speech, chimes)
    ranges = {p: _hold_range(script.poses[p]) for p in count}
    full = fixed + sum(n * ranges[p][1] for p, n in count.items())
    if target is None:
        return {p: hi for p, (lo, hi) in ranges.items()}, 0
    room = sum(n * (hi - lo) for p, n in count.items() for lo, hi in [ranges[p]])
    give = full - target
    holds = {}
    for p, (lo, hi) in ranges.items():
        holds[p] = hi - (-(-(hi - lo) * give // room) if room else 0)  # ceil: never over
    total = fixed + sum(n * holds[p] for p, n in count.items())
    return holds, target - total


def make_plan(script: Script, speech: dict[str, int], chimes: dict[str, int],
              target: int | None = None, length_name: str = "full") -> Plan:
    """The timeline for a chosen length (None: full, every hold at its upper bound).

    speech: samples of each text (as returned by texts_to_speak); chimes: samples of
    each sound. Raises LengthError when the target cannot be reached.
    """
    sections = outline(script)
    everything = sections
    if target is not None:
        sections = _choose_sections(script, sections, target, speech, chimes)
    sections = _with_chimes(script, sections)
    holds, remainder = _fit_holds(script, sections, target, speech, chimes)
    events: list[Event] = []
    chapters: list[Chapter] = []
    t = 0

    def add(kind: str, length: int, **kw: str | None) -> None:
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
                add("speech", speech[item.text], text=item.text, pose=pose)
            elif isinstance(item, Silence):
                add("silence", item.samples, pose=pose)
            elif isinstance(item, HoldSlot):
                add("silence", holds[item.pose], pose=pose)
            else:
                add("chime", chimes[item.sound], sound=item.sound, pose=pose)
        if last and remainder and spare_at is None:
            add("silence", remainder, pose=pose)
        chapters.append(Chapter(sec.title, start, t))
    kept = {s.pose for s in sections}
    dropped = tuple(s.title for s in everything if s.pose not in kept)
    return Plan(script.title, length_name, t, tuple(events), tuple(chapters), dropped,
                {script.poses[p].name: h for p, h in holds.items()})
