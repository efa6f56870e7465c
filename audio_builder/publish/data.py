"""The plan as the page reads it (JSON) and as podcast apps read it (JSON chapters).

The page never computes timing itself: every time it shows comes from these files,
written beside the MP3 from the same Plan, so page and audio cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import RATE
from ..plan import Plan
from ..plan.timeline import plan_dict

CHAPTERS_TYPE = "application/json+chapters"


@dataclass(frozen=True)
class Episode:
    """One session at one length, as the site names and describes it."""

    slug: str
    """Folder of the session inside the site (from the script's file name)."""
    length: str
    """'full' or a length name; the file stem inside the folder."""
    title: str
    author: str | None
    description: str | None
    language: str
    plan: Plan
    sides: dict[str, int]
    """Pose name -> how many times its hold is held (sides, else 1)."""
    cover: str | None = None
    """Cover file name inside the session folder, if the script has one."""

    @property
    def base(self) -> str:
        return f"{self.slug}/{self.length}"

    @property
    def seconds(self) -> float:
        return self.plan.total / RATE


def hold_events(plan: Plan, sides: dict[str, int]) -> set[int]:
    """Indexes of the silences that carry a pose's hold.

    The plan merges a hold with the pauses and gaps next to it, so a hold is recognized
    as one of its pose's longest silences at least as long as the hold, one per side;
    the page then counts down to the next cue, which is what a listener waits for.
    """
    found: set[int] = set()
    for pose, hold in plan.holds.items():
        if hold <= 0:
            continue
        silences = [(e.length, i) for i, e in enumerate(plan.events)
                    if e.kind == "silence" and e.pose == pose and e.length >= hold]
        found.update(i for _, i in sorted(silences, reverse=True)[:sides.get(pose, 1)])
    return found


def page_data(ep: Episode, audio: str) -> dict:
    """What session.html's script reads: the plan of `plan --json`, plus holds marked."""
    data = plan_dict(ep.plan)
    holds = hold_events(ep.plan, ep.sides)
    for i, event in enumerate(data["events"]):
        if i in holds:
            event["hold"] = True
    data["length_name"] = ep.length
    data["audio"] = audio
    return data


def chapters_data(ep: Episode) -> dict:
    """Podcasting 2.0 JSON chapters (version 1.2.0) for the feed's podcast:chapters."""
    return {"version": "1.2.0",
            "title": ep.title,
            "chapters": [{"startTime": round(c.start / RATE, 3),
                          "endTime": round(c.end / RATE, 3),
                          "title": c.title} for c in ep.plan.chapters]}
