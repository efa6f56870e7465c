"""The plan as a table a person reads: chapter, start, duration, holds (a flow's
rounds), what was left out."""

from __future__ import annotations

from .. import RATE
from ..script.durations import clock
from .timeline import Plan, sentence_wpm


def _clock(samples: int) -> str:
    return clock(samples / RATE).rjust(7)


def plan_table(plan: Plan) -> str:
    rows = [f"{plan.title} — {plan.length_name}, {_clock(plan.total).strip()}",
            f"{'start':>7}  {'length':>7}  {'hold/side':>9}  {'pace':>7}  chapter"]
    paces: dict[int, list[float]] = {}
    for n, e in enumerate(plan.events):
        if (wpm := sentence_wpm(plan, n)) is not None:
            paces.setdefault(e.section, []).append(wpm)
    rounds = {e.section: e.rounds for e in plan.events if e.rounds is not None}
    for ch in plan.chapters:
        hold = next((h.length for h in plan.holds if h.section == ch.section), None)
        hold_s = f"{hold / RATE:8.1f}s" if hold is not None else " " * 9
        if ch.section in rounds:
            hold_s = f"{rounds[ch.section]:2d} rounds"[:9].rjust(9)
        wpms = sorted(paces.get(ch.section, []))
        pace = f"{wpms[len(wpms) // 2]:4.0f}wpm" if wpms else " " * 7
        rows.append(f"{_clock(ch.start):>7}  {_clock(ch.end - ch.start):>7}  {hold_s}  "
                    f"{pace}  {ch.title}")
    if plan.dropped:
        rows.append(f"left out: {', '.join(plan.dropped)}")
    return "\n".join(rows)
