"""The site's HTML: Jinja2 templates with autoescape, so a script's text is always text.

A session page is the cue sheet itself (readable and printable without script); app.js
reads the session's JSON file and adds the live parts (now playing, hold countdown).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from .. import RATE
from ..script.durations import format_duration
from .data import Episode

STATIC = Path(str(files(__package__) / "static"))
DEFAULT_TITLE = "Guided practice"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "media-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'")
"""Only the site's own files; no inline script or style, nothing from elsewhere."""

_env = Environment(loader=PackageLoader(__package__ or "audio_builder.publish", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)


def mmss(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


_env.filters["mmss"] = mmss
ENDONYMS = {"en": "English", "es": "Español", "fr": "Français", "it": "Italiano",
            "pt": "Português", "de": "Deutsch", "hi": "हिन्दी", "ja": "日本語", "zh": "中文",
            "nl": "Nederlands"}


def language_name(code: str) -> str:
    """A language as its speakers name it (the switch between a session's languages)."""
    return ENDONYMS.get(code.split("-")[0].lower(), code)


_env.filters["language_name"] = language_name
_env.filters["duration"] = format_duration
_env.globals["csp"] = CSP


@dataclass(frozen=True)
class Bar:
    """One rectangle of the timeline picture, in thousandths of the session."""

    kind: str
    x: float
    width: float
    label: str


def timeline(ep: Episode) -> tuple[list[Bar], list[Bar]]:
    """The picture of the session: speech, holds and chimes on a line; chapter ticks."""
    total = ep.plan.total or 1

    def bar(kind: str, start: int, length: int) -> Bar:
        return Bar(kind, round(start * 1000 / total, 2), max(0.6, round(length * 1000 / total, 2)),
                   f"{kind} {mmss(start / RATE)}, {format_duration(length / RATE)}")
    spans = [(h.start, 0, "hold", h.length) for h in ep.plan.holds]
    spans += [(e.start, 1, str(e.kind), e.length) for e in ep.plan.events if e.kind.sounds]
    bars = [bar(kind, start, length) for start, _, kind, length in sorted(spans)]
    ticks = [Bar("chapter", round(c.start * 1000 / total, 2), 0, c.title)
             for c in ep.plan.chapters]
    return bars, ticks


def timeline_html(ep: Episode) -> str:
    """The timeline picture alone, as the session page draws it (the studio shows it
    while the teacher edits)."""
    bars, ticks = timeline(ep)
    return _env.get_template("_timeline.html").render(bars=bars, ticks=ticks)


def session_html(ep: Episode, audio: str, others: list[tuple[str, str]] | None = None) -> str:
    """One session at one length: player, chapters with their cues, timeline, cue sheet.

    `audio` is the MP3's address relative to the page (versioned by its content);
    `others`: (language, address) of the same session and length in other languages."""
    chapters = []
    for c in ep.plan.chapters:
        cues = [e.text for e in ep.plan.events
                if e.kind == "speech" and e.text and c.start <= e.start < c.end]
        chapters.append({"title": c.title, "start": c.start / RATE, "cues": cues})
    bars, ticks = timeline(ep)
    return _env.get_template("session.html").render(
        ep=ep, chapters=chapters, bars=bars, ticks=ticks, seconds=ep.seconds,
        dropped=ep.plan.dropped, data=f"{ep.length}.json", audio=audio, others=others or [])


def index_html(episodes: list[Episode], title: str | None,
               feeds: list[tuple[str, str, str]] | None = None) -> str:
    """Every session and its lengths, in the order the scripts were given; `feeds`:
    (language, file, full address) of each language's feed (students copy the address
    into a podcast app)."""
    sessions: dict[str, list[Episode]] = {}
    for ep in episodes:
        sessions.setdefault(ep.slug, []).append(ep)
    return _env.get_template("index.html").render(
        title=title or DEFAULT_TITLE, sessions=list(sessions.values()), feeds=feeds or [])
