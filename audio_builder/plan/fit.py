"""Fitting a session to a chosen length: which lengths a script can take, which
optional poses to leave out, and how long each hold lasts. Pure arithmetic in samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import RATE
from ..errors import LengthError, Where
from ..script.durations import format_duration, ms_to_samples
from ..script.model import Pose, Script
from ..script.pace import FLOOR_MS, rest_ms
from .flow import breath_split, flow_samples, round_steps
from .outline import (
    FlowSlot,
    HoldSlot,
    Rest,
    Ring,
    Section,
    Silence,
    Speech,
    outline,
    with_chimes,
)


@dataclass(frozen=True)
class Bounds:
    shortest: int
    longest: int


def rest_bounds(script: Script, rest: Rest, speech: dict[str, int]) -> tuple[int, int]:
    """(floor, full) of the rest after a sentence, in samples (pace.py)."""
    assert script.pace_wpm is not None  # the outline makes rests only with a pace
    full = ms_to_samples(rest_ms(rest.words, speech[rest.key] * 1000 / RATE, script.pace_wpm))
    return min(full, ms_to_samples(FLOOR_MS)), full


def _fixed_and_holds(sections: list[Section], speech: dict[str, int], chimes: dict[str, int],
                     script: Script | None = None) -> tuple[int, dict[int, int], int]:
    """Samples that never change (rests at their floor), how many times each pose's hold
    occurs, and how much longer the rests may be (their room)."""
    fixed, count, room = 0, dict[int, int](), 0
    for sec in sections:
        for item in sec.items:
            if isinstance(item, Speech):
                fixed += speech[item.key]
            elif isinstance(item, Silence):
                fixed += item.samples
            elif isinstance(item, Ring):
                fixed += chimes[item.sound]
            elif isinstance(item, HoldSlot):
                count[item.pose] = count.get(item.pose, 0) + 1
            elif isinstance(item, Rest) and script is not None:
                lo, hi = rest_bounds(script, item, speech)
                fixed += lo
                room += hi - lo
    return fixed, count, room


def _hold_range(pose: Pose) -> tuple[int, int]:
    assert pose.hold is not None
    return ms_to_samples(pose.hold.min_ms), ms_to_samples(pose.hold.max_ms)


@dataclass(frozen=True)
class Rounds:
    """The rounds each flow of a session can take, in the order a shorter length gives
    them up, with the samples the flows last at each step."""

    flows: tuple[int, ...]
    """Pose indices of the flows, in order."""
    steps: tuple[tuple[int, ...], ...]
    samples: tuple[int, ...]

    def at(self, k: int) -> dict[int, int]:
        return dict(zip(self.flows, self.steps[k]))


def flow_rounds(script: Script, sections: list[Section]) -> Rounds:
    flows = tuple(item.pose for sec in sections for item in sec.items
                  if isinstance(item, FlowSlot))
    found = [script.poses[p].flow for p in flows]
    assert all(f is not None for f in found)
    in_ms, out_ms = breath_split(script.breath_ms, script.breath_in_ms)
    steps = round_steps([f for f in found if f is not None])
    samples = tuple(sum(flow_samples(f, r, in_ms, out_ms) for f, r in zip(found, step)
                        if f is not None) for step in steps)
    return Rounds(flows, tuple(tuple(s) for s in steps), samples)


def _bounds_of(script: Script, sections: list[Section], speech: dict[str, int],
               chimes: dict[str, int]) -> list[Bounds]:
    """The lengths one choice of poses can take: a range for each number of rounds."""
    sections = with_chimes(script, sections)
    fixed, count, rests = _fixed_and_holds(sections, speech, chimes, script)
    lo = fixed + sum(n * _hold_range(script.poses[p])[0] for p, n in count.items())
    hi = fixed + rests + sum(n * _hold_range(script.poses[p])[1] for p, n in count.items())
    return [Bounds(lo + f, hi + f) for f in flow_rounds(script, sections).samples]


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
    ranges = sorted((b for kept in _candidates(script, outline(script))
                     for b in _bounds_of(script, kept, speech, chimes)),
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


def choose_sections(script: Script, sections: list[Section], target: int,
                     speech: dict[str, int], chimes: dict[str, int]) -> list[Section]:
    """Leave out optional poses, lowest priority first, until the target is reachable."""
    for kept in _candidates(script, sections):
        if any(b.shortest <= target <= b.longest
               for b in _bounds_of(script, kept, speech, chimes)):
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


@dataclass(frozen=True)
class Fitted:
    """How a session fits its length: each pose's hold per side, how many samples the
    rests give up in all, and what rounding leaves over (under 1 ms)."""

    holds: dict[int, int]
    rest_give: int
    rest_room: int
    remainder: int
    rounds: dict[int, int] = field(default_factory=dict)
    """Flow (pose index) -> the rounds it takes at this length."""

    def rest(self, floor: int, full: int) -> int:
        """The length of one rest: its room shrunk by the share all rests give (rounded
        up, so the total never exceeds the target)."""
        if not self.rest_room:
            return full
        return full - -(-(full - floor) * self.rest_give // self.rest_room)


def fit_holds(script: Script, sections: list[Section], target: int | None,
              speech: dict[str, int], chimes: dict[str, int]) -> Fitted:
    """The rests and holds for a target length. A shorter length gives up the pace's
    rests first (down to their floor, every rest the same share of its room), then the
    holds (every pose the same fraction of its room, so both sides stay equal). Before
    all that, flows take fewer rounds: as few as leave the rest no more to give than
    one round's length; optional poses are left out only when even that cannot fit
    (choose_sections). Rounding leaves a few samples over, which end the session.
    """
    fixed, count, room = _fixed_and_holds(sections, speech, chimes, script)
    ranges = {p: _hold_range(script.poses[p]) for p in count}
    full = fixed + room + sum(n * ranges[p][1] for p, n in count.items())
    rounds = flow_rounds(script, sections)
    if target is None:
        return Fitted({p: hi for p, (lo, hi) in ranges.items()}, 0, room, 0, rounds.at(0))
    k = max([k for k, f in enumerate(rounds.samples) if full + f >= target], default=0)
    target -= rounds.samples[k]
    give = full - target
    rest_give = min(max(give, 0), room)
    give -= rest_give
    hold_room = sum(n * (hi - lo) for p, n in count.items() for lo, hi in [ranges[p]])
    holds = {}
    for p, (lo, hi) in ranges.items():
        holds[p] = hi - (-(-(hi - lo) * give // hold_room) if hold_room and give > 0 else 0)
    fitted = Fitted(holds, rest_give, room, 0, rounds.at(k))
    rests = sum(fitted.rest(*rest_bounds(script, item, speech)) for sec in sections
                for item in sec.items if isinstance(item, Rest))
    total = fixed - sum(rest_bounds(script, item, speech)[0] for sec in sections
                        for item in sec.items if isinstance(item, Rest)) + rests
    total += sum(n * holds[p] for p, n in count.items())
    return Fitted(holds, rest_give, room, target - total, rounds.at(k))
