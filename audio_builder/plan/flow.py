"""Flows on the breath (#25): where each movement of each round starts, to the sample, and
how many rounds a length takes.

The breath clock starts on an inhale as the flow begins. A movement on `in` starts at the
next inhale, one on `out` at the next exhale (waiting out the other phase, silent, when two
movements name the same phase in a row), one of `N breaths` at the next inhale for N whole
breaths. Positions are kept in milliseconds and turned into samples once each, so the
phases never drift from the breath guide however many rounds there are.

A shorter length first takes fewer rounds (see round_steps), and only then shrinks
holds or leaves poses out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import RATE
from ..errors import ScriptError, Where
from ..script.durations import ms_to_samples
from ..script.flows import Flow, Movement


@dataclass(frozen=True)
class Placed:
    """One movement of one round, placed on its breath phase."""

    round: int
    """0-based; shown as "round {round + 1} of {rounds}"."""
    movement: int
    side: str | None
    phase: str
    start: int
    """Samples from the flow's start: where the phase (and the movement's cue) begins."""
    length: int
    """Samples of the phase (or breaths) the movement lasts."""


def breath_split(breath_ms: int, breath_in_ms: int | None) -> tuple[int, int]:
    """(inhale, exhale) in ms; an unsplit breath is half in, half out."""
    inhale = breath_in_ms if breath_in_ms is not None else breath_ms // 2
    return inhale, breath_ms - inhale


def _phase_ms(movement: Movement, in_ms: int, out_ms: int) -> int:
    if movement.phase == "in":
        return in_ms
    if movement.phase == "out":
        return out_ms
    return movement.breaths * (in_ms + out_ms)


def _place_ms(flow: Flow, rounds: int, in_ms: int, out_ms: int
              ) -> tuple[list[tuple[int, int, int, int]], int]:
    """(round, movement, start ms, end ms) of each movement, and the flow's end in ms."""
    cursor, inhaling = 0, True
    out: list[tuple[int, int, int, int]] = []
    for r in range(rounds):
        for m, movement in enumerate(flow.movements):
            wants_in = movement.phase != "out"
            if wants_in != inhaling:  # wait out the other phase
                cursor += in_ms if inhaling else out_ms
                inhaling = not inhaling
            length = _phase_ms(movement, in_ms, out_ms)
            out.append((r, m, cursor, cursor + length))
            cursor += length
            if movement.phase != "breaths":
                inhaling = not inhaling
    return out, cursor


def place(flow: Flow, rounds: int, in_ms: int, out_ms: int, rate: int = RATE
          ) -> tuple[list[Placed], int]:
    """Every movement of `rounds` rounds, and the flow's whole length, in samples."""
    spans, end_ms = _place_ms(flow, rounds, in_ms, out_ms)
    placed = []
    for r, m, start, end in spans:
        first = ms_to_samples(start, rate)
        placed.append(Placed(r, m, flow.side_of(r), flow.movements[m].phase, first,
                             ms_to_samples(end, rate) - first))
    return placed, ms_to_samples(end_ms, rate)


def flow_samples(flow: Flow, rounds: int, in_ms: int, out_ms: int, rate: int = RATE) -> int:
    return place(flow, rounds, in_ms, out_ms, rate)[1]


def round_steps(flows: list[Flow]) -> list[list[int]]:
    """Rounds per flow, from every flow at its most rounds to every flow at its least, in
    the order a shorter length gives them up: the flow with the most rounds above its
    least (the later one on a tie) gives up one round (two when its sides alternate).
    Fitting takes the last step that still leaves the holds room (fit.py), so a shorter
    length takes fewer rounds before any hold shrinks."""
    rounds = [f.max_rounds for f in flows]
    steps = [list(rounds)]
    while True:
        spare = [(rounds[i] - f.min_rounds, i) for i, f in enumerate(flows)
                 if rounds[i] - f.min_rounds >= f.round_step]
        if not spare:
            return steps
        _, i = max(spare)
        rounds[i] -= flows[i].round_step
        steps.append(list(rounds))


def check_cue_fits(path: Path, flow: Flow, spot: Placed, cue_samples: int,
                   rate: int = RATE) -> None:
    """Refuse a movement whose cue, at the script's pace, outlasts its breath phase."""
    if cue_samples <= spot.length:
        return
    movement = flow.movements[spot.movement]
    phase = {"in": "inhale", "out": "exhale"}.get(spot.phase, f"{movement.breaths} breaths")
    cue = movement.cue_for(spot.round)
    raise ScriptError(
        f"the cue of '{movement.name}' (flow '{flow.name}', round {spot.round + 1}) takes "
        f"{cue_samples / rate:.2f}s to say, but its {phase} lasts {spot.length / rate:.2f}s; "
        "give the flow a slower 'breath:', shorten the cue, or give this movement "
        "'breath: 2 breaths'", Where(path, cue.line))
