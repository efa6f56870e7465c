"""Fitting a session to a chosen length: which lengths a script can take, which
optional poses to leave out, and how long each hold lasts. Pure arithmetic in samples.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import RATE
from ..errors import LengthError, Where
from ..script.durations import format_duration, ms_to_samples
from ..script.model import Pose, Script
from .outline import HoldSlot, Ring, Section, Silence, Speech, outline, with_chimes


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
                fixed += speech[item.key]
            elif isinstance(item, Silence):
                fixed += item.samples
            elif isinstance(item, Ring):
                fixed += chimes[item.sound]
            elif isinstance(item, HoldSlot):
                count[item.pose] = count.get(item.pose, 0) + 1
    return fixed, count


def _hold_range(pose: Pose) -> tuple[int, int]:
    assert pose.hold is not None
    return ms_to_samples(pose.hold.min_ms), ms_to_samples(pose.hold.max_ms)


def _bounds_of(script: Script, sections: list[Section], speech: dict[str, int],
               chimes: dict[str, int]) -> Bounds:
    fixed, count = _fixed_and_holds(with_chimes(script, sections), speech, chimes)
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


def choose_sections(script: Script, sections: list[Section], target: int,
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


def fit_holds(script: Script, sections: list[Section], target: int | None,
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
