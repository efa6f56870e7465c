"""A WebVTT transcript of every spoken cue with its times, for reading along or captions."""

from __future__ import annotations

from .. import RATE
from ..plan import Plan


def _stamp(samples: int) -> str:
    ms = round(samples * 1000 / RATE)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def webvtt(plan: Plan) -> str:
    lines = ["WEBVTT", "", f"NOTE {plan.title} ({plan.length_name})", ""]
    n = 0
    for e in plan.events:
        if e.kind != "speech" or not e.text:  # a recording may have no text
            continue
        n += 1
        lines += [f"{n}", f"{_stamp(e.start)} --> {_stamp(e.start + e.length)}",
                  (e.text or "").replace("-->", "->"), ""]
    return "\n".join(lines)
