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
    cover: str | None = None
    """Cover file name inside the session folder, if the script has one."""

    @property
    def base(self) -> str:
        return f"{self.slug}/{self.length}"

    @property
    def seconds(self) -> float:
        return self.plan.total / RATE


def page_data(ep: Episode, audio: str) -> dict:
    """What session.html's script reads: the plan of `plan --json` (holds included, as
    the plan placed them), its length's name and the audio's address."""
    data = plan_dict(ep.plan)
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
