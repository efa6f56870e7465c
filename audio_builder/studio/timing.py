"""What the page shows while the teacher edits: what `check` says, at its line, and the
timeline of each length, drawn by the published page's own code.

Nothing is spoken for these: speech is measured where it is cached, and estimated from
its words where it is not yet (the page says which), so they follow her typing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .. import RATE
from ..errors import AudioBuilderError
from ..pipeline.options import RenderOptions
from ..pipeline.render import Prepared, cached_durations, check_named_lengths, pace_warnings
from ..plan import make_plan
from ..plan.timeline import plan_dict
from ..publish.data import Episode
from ..publish.pages import timeline_html
from ..script.durations import format_duration
from ..script.pace import words
from ..script.speech_fields import tone_warnings
from ..speech.cache import Cache
from .voice import Engines

ESTIMATE_WPM = 160
"""Words a minute a voice says a sentence in, to place speech not yet spoken."""


@dataclass(frozen=True)
class Finding:
    level: str
    """'error' (the session cannot be rendered) or 'warning'."""
    line: int | None
    message: str

    def as_dict(self) -> dict:
        return {"level": self.level, "line": self.line, "message": self.message}


def findings(engines: Engines, path: Path, text: str, cache: Cache
             ) -> tuple[list[Finding], Prepared | None]:
    """What `check` says of the text, with the same words: its first error, or its
    warnings (tone, pace, lengths)."""
    try:
        prep = engines.prepare(path, text, RenderOptions())
        check_named_lengths(prep, cache)
    except AudioBuilderError as exc:
        return [Finding("error", exc.where.line, " ".join(exc.message.split()))], None
    out = [Finding("warning", w.line, w.message) for w in tone_warnings(prep.script)]
    out += [Finding("warning", line, message) for line, message in pace_warnings(prep, cache)]
    return out, prep


def estimated(prep: Prepared, cache: Cache) -> tuple[dict[str, int], int]:
    """Each text's length: as spoken where cached, else from its words; and how many
    were estimated."""
    found, _ = cached_durations(prep, cache)
    guessed = 0
    for text, samples in found.items():
        if not samples:
            found[text] = max(1, round(words(text) * 60 / ESTIMATE_WPM * RATE))
            guessed += 1
    return found, guessed


def timings(prep: Prepared, cache: Cache) -> list[dict]:
    """Every length of the session, full first: its total, what it leaves out, its
    timeline picture and plan (or why it cannot be made)."""
    speech, guessed = estimated(prep, cache)
    chimes = {n: len(c) for n, c in prep.chimes.items()}
    script = prep.script
    out = []
    for name, target in [("full", None), *((n, round(v.ms * RATE / 1000))
                                           for n, v in script.lengths.items())]:
        entry: dict = {"name": name, "estimated": guessed}
        try:
            plan = make_plan(script, speech, chimes, target, name)
        except AudioBuilderError as exc:
            entry["error"] = " ".join(exc.message.split())
            out.append(entry)
            continue
        ep = Episode("studio", name, script.title, script.author, script.description,
                     script.language, replace(plan))
        entry |= {"total": format_duration(plan.total / RATE), "seconds": plan.total / RATE,
                  "dropped": list(plan.dropped), "timeline": timeline_html(ep),
                  "plan": plan_dict(plan)}
        out.append(entry)
    return out
