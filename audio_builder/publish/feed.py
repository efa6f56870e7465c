"""The podcast feed: RSS 2.0 with iTunes tags and Podcasting 2.0 chapters, built by
feedgen (which escapes every text), never by string templates."""

from __future__ import annotations

import html
from datetime import datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .data import CHAPTERS_TYPE, Episode
from .pages import DEFAULT_TITLE

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def _not_explicit(parent):  # type: ignore[no-untyped-def]
    """`<itunes:explicit>false</itunes:explicit>`: Apple's current values are true/false,
    feedgen 1.0 writes only the older yes/no/clean."""
    xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = "false"


class PodcastIndex(BaseExtension):
    """The Podcasting 2.0 namespace on the channel (feedgen has no such extension)."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, feed):  # type: ignore[no-untyped-def]
        _not_explicit(feed[0])
        return feed


class PodcastIndexEntry(BaseEntryExtension):
    """`<podcast:chapters url=... type="application/json+chapters"/>` on an item."""

    def __init__(self) -> None:
        self._chapters: str | None = None

    def chapters(self, url: str) -> None:
        self._chapters = url

    def extend_rss(self, entry):  # type: ignore[no-untyped-def]
        _not_explicit(entry)
        if self._chapters:
            elem = xml_elem(f"{{{PODCAST_NS}}}chapters", entry)
            elem.attrib["url"] = self._chapters
            elem.attrib["type"] = CHAPTERS_TYPE
        return entry


def hhmmss(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def guid(ep: Episode) -> str:
    """Stable per session and length, whatever the host: apps never download it twice."""
    return f"audio-builder:{ep.slug}/{ep.length}"


def feed_xml(episodes: list[Episode], base: str, sizes: dict[str, int],
             dates: dict[str, str], title: str | None, versions: dict[str, str],
             built: datetime, rel: str = "feed.xml") -> bytes:
    """The feed of every episode; `base` ends with '/', `sizes` are MP3 bytes and
    `dates` first-published ISO times, both keyed by Episode.base; `versions` are the
    short hashes of each file ("tiny/full.mp3"), so a changed file has a new URL and
    apps fetch it again (the guid stays); `built` is when the feed last changed; `rel`
    the feed's own file (one per language)."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndex, PodcastIndexEntry)
    name = title or DEFAULT_TITLE
    fg.title(name)
    fg.link(href=base + rel, rel="self")  # first: feedgen's RSS <link> is the last
    fg.link(href=base + "index.html", rel="alternate")
    fg.description(html.escape(", ".join(dict.fromkeys(ep.title for ep in episodes)) or name))
    fg.language(episodes[0].language if episodes else "en")
    fg.generator("audio-builder")
    fg.lastBuildDate(built)
    fg.podcast.itunes_image(base + "icon-1400.png")
    fg.podcast.itunes_category("Health & Fitness", "Fitness")
    fg.podcast.itunes_type("episodic")
    authors = list(dict.fromkeys(ep.author for ep in episodes if ep.author))
    if authors:
        fg.podcast.itunes_author(", ".join(authors))
    for ep in episodes:
        fe = fg.add_entry(order="append")
        label = ep.title if ep.length == "full" else f"{ep.title} ({ep.length})"
        fe.title(label)
        fe.guid(guid(ep), permalink=False)
        fe.link(href=f"{base}{ep.base}.html")
        fe.description(html.escape(ep.description or label))  # RSS reads it as HTML
        mp3 = f"{ep.base}.mp3"
        fe.enclosure(f"{base}{mp3}?v={versions[mp3]}", str(sizes[ep.base]), "audio/mpeg")
        fe.pubDate(datetime.fromisoformat(dates[ep.base]))
        fe.podcast.itunes_duration(hhmmss(ep.seconds))
        if ep.author:
            fe.podcast.itunes_author(ep.author)
        if ep.cover:
            fe.podcast.itunes_image(f"{base}{ep.slug}/{ep.cover}")
        chapters = f"{ep.base}.chapters.json"
        fe.podcastindex.chapters(f"{base}{chapters}?v={versions[chapters]}")
    return fg.rss_str(pretty=True)
