"""publish: scripts -> rendered sessions -> a static site (and a feed), re-made only
where something changed.

Everything a user can get wrong (scripts, lengths, the base URL, files in the way) is
found before the first word is spoken. An MP3 is encoded again only when what it is
made from changed: the session's content key (pipeline/session.py) says what that is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from .. import RATE
from ..errors import ScriptError, Where
from ..pipeline.options import DEFAULT_OPTIONS, RenderOptions
from ..pipeline.progress import Progress
from ..pipeline.render import MAX_SESSION_S, LengthChoice, Prepared, prepare, speak
from ..pipeline.session import Session
from ..plan import reachable
from ..script.durations import format_duration
from ..script.loader import load_script
from ..script.model import Script
from ..script.translation import languages_of
from ..speech.cache import Cache
from .data import Episode, chapters_data, page_data
from .files import Site, one_writer
from .icons import BACKGROUND, ICONS, MASKABLE, icon_files
from .pages import DEFAULT_TITLE, STATIC, index_html, session_html


@dataclass(frozen=True)
class Outcome:
    """What one publish did, for the command to report."""

    encoded: list[str]
    kept: list[str]
    feed: str | None


def check_base_url(url: str) -> str:
    """An http(s) URL with a host, ending in '/' so files are found under it; ASCII
    only (a feed or page cannot hold a control character, and a non-ASCII address is
    refused rather than guessed: its percent-encoded or xn-- form is accepted)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(
            ch.isspace() or ch in "<>\"'\\" or ord(ch) < 32 or ord(ch) == 127
            for ch in url.strip()):
        raise ValueError("must be an http:// or https:// address, like https://example.org/yoga/")
    if not url.isascii():
        raise ValueError("must be ASCII: write a non-ASCII folder percent-encoded "
                         "(%C3%A9 for é) and a non-ASCII host in its xn-- form")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query (?...) or fragment (#...)")
    base = url.strip()
    return base if base.endswith("/") else base + "/"


def slug_for(path: Path, taken: set[str]) -> str:
    """The session's folder name: the script's file name, made safe and unique (no dots,
    so it never takes the name of one of the site's own files)."""
    stem = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower())
    stem = re.sub(r"-{2,}", "-", stem).strip("-")[:60] or "session"
    slug, n = stem, 2
    while slug in taken:
        slug, n = f"{stem}-{n}", n + 1
    taken.add(slug)
    return slug


def assign_slugs(scripts: list[Path], site: Site) -> list[str]:
    """Each script's folder: the one the record gives it, so a guid never moves to another
    script when the order of the arguments changes; else a new one that no script here,
    nor any recorded script still on disk, has."""
    keys = [str(p.resolve()) for p in scripts]
    taken = {slug for key, slug in site.slugs.items() if key in keys or Path(key).is_file()}
    used: set[str] = set()
    out = []
    for path, key in zip(scripts, keys):
        slug = site.slugs.get(key)
        if slug is None or slug in used:
            slug = slug_for(path, taken)
        used.add(slug)
        site.slugs.setdefault(key, slug)
        out.append(slug)
    return out


def _suits(spec: str, script: Script) -> bool:
    """'full' and durations suit every script; a name, the scripts that give it."""
    return spec == "full" or spec in script.lengths or spec.strip()[:1].isdigit()


def choose_lengths(scripts: list[Path], asked: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Lengths per script: full and all its named ones by default, else those asked
    that suit it; a name no script gives is an error."""
    loaded = [load_script(p) for p in scripts]
    if not asked:
        return [("full", *s.lengths) for s in loaded]
    for spec in asked:
        if not any(_suits(spec, s) for s in loaded):
            names = sorted({n for s in loaded for n in s.lengths} | {"full"})
            raise ScriptError(f"no script names a length '{spec}' (named: {', '.join(names)})")
    return [tuple(a for a in asked if _suits(a, s)) for s in loaded]


def distinct(prep: Prepared) -> list[LengthChoice]:
    """The lengths once each, as resolved: '36s', '36S' and '36.0s' are one episode (one
    guid, one link), named by the first typed; a name the script gives stays its own."""
    names: set[str] = set()
    durations: set[int | None] = set()
    out = []
    for choice in prep.lengths:
        typed = choice.name != "full" and choice.name not in prep.script.lengths
        if choice.name in names or (typed and choice.target in durations):
            continue
        names.add(choice.name)
        if typed:
            durations.add(choice.target)
        out.append(choice)
    return out


def check_case(prep: Prepared) -> None:
    """Two length names differing only in case (quick, Quick) would be one file on
    macOS and Windows: refused, with the line of the second."""
    seen: dict[str, str] = {}
    for choice in prep.lengths:
        other = seen.setdefault(choice.name.casefold(), choice.name)
        if other != choice.name:
            named = prep.script.lengths.get(choice.name)
            raise ScriptError(f"lengths '{other}' and '{choice.name}' differ only in case, and "
                              "would be one file on macOS and Windows; rename one",
                              Where(prep.script.path, named.line if named else None))


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def publish(scripts: list[Path], out: Path, cache: Cache, base_url: str | None = None,
            lengths: tuple[str, ...] = (), title: str | None = None,
            say: Callable[[str], None] = lambda _: None,
            options: RenderOptions = DEFAULT_OPTIONS,
            progress: Progress | None = None, every: int | None = None,
            languages: tuple[str, ...] = ()) -> Outcome:
    """Render every script at its lengths into `out` and write the site around them,
    one publish at a time (see files.py); `progress` is told of speaking and encoding.
    `every` (samples): also a ladder of lengths that far apart, from the shortest each
    script can take to its full length, for the page's "how long do you have?" (not in
    the feed, which lists the lengths named). `languages`: translations to publish beside
    each script (NAME.LANG.yaml; ("all",): every one there is), each as its own session
    (SLUG-LANG), its pages in its language, a switch between them, a feed per language."""
    with one_writer(out, say):
        return _publish(scripts, Site.open(out, cache.root / "publish"), cache, base_url,
                        lengths, title, say, options, progress, every, languages)


def _publish(scripts: list[Path], site: Site, cache: Cache, base_url: str | None,
             lengths: tuple[str, ...], title: str | None, say: Callable[[str], None],
             options: RenderOptions, progress: Progress | None = None,
             every: int | None = None, languages: tuple[str, ...] = ()) -> Outcome:
    per_script = choose_lengths(scripts, lengths)
    preps: list[tuple[Prepared, str]] = []
    versions: dict[str, list[tuple[str, str]]] = {}
    """slug -> (language, slug) of every language the session is published in."""
    for path, chosen, slug in zip(scripts, per_script, assign_slugs(scripts, site)):
        group = [(prepare(path, options, chosen, cache=cache), slug)]
        for lang in (languages_of(path) if languages == ("all",) else languages):
            group.append((prepare(path, replace(options, language=lang), chosen, cache=cache),
                          f"{slug}-{lang}"))
        for _, one in group:
            versions[one] = [(p.script.language, s) for p, s in group]
        preps += group
    for prep, _ in preps:
        prep.lengths = distinct(prep)
        check_case(prep)
    planned = [f"{slug}/{c.name}.{ext}" for prep, slug in preps for c in prep.lengths
               for ext in ("mp3", "html", "json", "chapters.json")]
    planned += [cover_file(prep, slug) for prep, slug in preps
                if prep.script.cover and prep.lengths]
    planned += [f"{slug}/lengths.json" for prep, slug in preps if prep.lengths]
    if every:  # every rung the ladder could have (which ones, the speech will say)
        planned += [f"{slug}/{rung_name(k * every)}.{ext}" for _, slug in preps
                    for k in range(1, MAX_SESSION_S * RATE // every + 1)
                    for ext in ("mp3", "html", "json", "chapters.json")]
    if base_url is not None:
        planned += [f"feed-{p.script.language}.xml" for p, _ in preps]
    site.check_ours(planned + shell_files(base_url is not None))
    done = Outcome([], [], None)
    episodes: list[Episode] = []
    ladder: set[str] = set()
    try:  # the record follows every finished file, even when a later one fails
        for prep, slug in preps:
            if not prep.lengths:
                continue  # none of the lengths asked is this script's: nothing to speak
            made, rungs = _session(site, Session(prep, speak(prep, cache, progress)), slug,
                                   done, say, progress, every, versions[slug])
            episodes += made
            ladder |= {f"{slug}/{r}" for r in rungs}
        feeds: list[tuple[str, str]] = []
        if base_url is not None:  # one feed per language (a feed has one <language>)
            named = [ep for ep in episodes if ep.base not in ladder]  # the feed: named only
            first = named[0].language if named else "en"
            for lang in dict.fromkeys(ep.language for ep in named):
                rel = "feed.xml" if lang == first else f"feed-{lang}.xml"
                _feed(site, rel, [ep for ep in named if ep.language == lang], base_url, title)
                feeds.append((lang, rel))
            done = Outcome(done.encoded, done.kept, "feed.xml")
        site.write("index.html", index_html(episodes, title, [
            (lang, rel, (base_url or "") + rel) for lang, rel in feeds]).encode("utf-8"))
        for rel, data in shell(title or DEFAULT_TITLE).items():
            site.write(rel, data)
    finally:
        site.save()
    return done


def _feed(site: Site, rel: str, named: list[Episode], base_url: str,
          title: str | None) -> None:
    """A podcast feed of these episodes (one language), re-dated only when it changes."""
    from .feed import feed_xml

    sizes = {ep.base: site.path(f"{ep.base}.mp3").stat().st_size for ep in named}
    dates = {ep.base: site.sources[f"{ep.base}.mp3"]["published"] for ep in named}
    versions = {r: site.files[r][:12] for ep in named
                for r in (f"{ep.base}.mp3", f"{ep.base}.chapters.json")}
    # lastBuildDate moves only when the feed does: an unchanged one stays unchanged
    built = _date(site.sources.get(rel, {}).get("built"))
    xml = feed_xml(named, base_url, sizes, dates, title, versions, built or _now(), rel)
    if built is None or hashlib.sha256(xml).hexdigest() != site.files.get(rel):
        built = _now()
        xml = feed_xml(named, base_url, sizes, dates, title, versions, built, rel)
        site.sources[rel] = {"built": built.isoformat()}
    site.write(rel, xml)


def _now() -> datetime:
    """Now, to the second; or SOURCE_DATE_EPOCH, as reproducible builds set it, so a site
    made twice from the same scripts is the same bytes, dates included."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def _date(text: object) -> datetime | None:
    """A date from the record, or None if it has none (or an unreadable one)."""
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def cover_file(prep: Prepared, slug: str) -> str:
    suffix = "png" if prep.script.cover and prep.script.cover.suffix.lower() == ".png" else "jpg"
    return f"{slug}/cover.{suffix}"


def rung_name(samples: int) -> str:
    """A ladder length's name: whole minutes as 5m, else its duration (2m30s)."""
    seconds = samples / RATE
    return f"{round(seconds / 60)}m" if seconds % 60 == 0 else format_duration(seconds)


def ladder(session: Session, every: int) -> list[LengthChoice]:
    """Lengths `every` apart that the session can take, from its shortest up to (not
    including) full, but those a named length already is."""
    prep = session.prep
    ranges = reachable(prep.script, session.speech.lengths(),
                       {n: len(c) for n, c in prep.chimes.items()})
    taken = {c.target for c in prep.lengths}
    out = []
    for k in range(1, ranges[-1].longest // every + 1):
        t = k * every
        if t < ranges[-1].longest and t not in taken and any(
                r.shortest <= t <= r.longest for r in ranges):
            out.append(LengthChoice(rung_name(t), t))
    return out


def _session(site: Site, session: Session, slug: str, done: Outcome,
             say: Callable[[str], None], progress: Progress | None = None,
             every: int | None = None, versions: list[tuple[str, str]] | None = None
             ) -> tuple[list[Episode], set[str]]:
    """One script at each of its lengths: MP3 (only if changed), data, chapters, page;
    and its lengths.json (every length published, for the page's "how long do you
    have?"). Returns the episodes and the ladder's length names."""
    prep = session.prep
    rungs = ladder(session, every) if every else []
    prep.lengths = prep.lengths + rungs
    cover = prep.script.cover.read_bytes() if prep.script.cover else None
    if cover is not None:
        site.write(cover_file(prep, slug), cover)
    s = prep.script
    episodes = []
    for choice in prep.lengths:
        plan = session.plan(choice)
        ep = Episode(slug, choice.name, s.title, s.author, s.description, s.language, plan,
                     cover_file(prep, slug).split("/")[1] if cover else None)
        rel = f"{ep.base}.mp3"
        key = session.key(plan)
        if site.unchanged(rel, key):
            done.kept.append(rel)
        else:
            say(f"encoding {rel}")
            first = site.sources.get(rel, {}).get("published")
            site.make(rel, partial(session.write, plan, progress=progress),
                      {"key": key, "published": first or _now().isoformat()})
            done.encoded.append(rel)
        audio = f"{ep.length}.mp3?v={site.files[rel][:12]}"  # a new file, a new URL
        site.write(f"{ep.base}.json", _json(page_data(ep, audio)))
        site.write(f"{ep.base}.chapters.json", _json(chapters_data(ep)))
        others = [(lang, f"../{other}/{ep.length}.html") for lang, other in versions or []
                  if other != slug]
        site.write(f"{ep.base}.html", session_html(ep, audio, others).encode("utf-8"))
        episodes.append(ep)
    site.write(f"{slug}/lengths.json", _json([
        {"name": ep.length, "seconds": round(ep.seconds, 3), "page": f"{ep.length}.html"}
        for ep in sorted(episodes, key=lambda e: e.plan.total)]))
    return episodes, {r.name for r in rungs}


SHELL = ("app.js", "sw.js", "style.css", "icon.svg", "manifest.webmanifest")
OFFLINE = ["index.html", *(f for f in SHELL if f != "sw.js"), "icon-192.png", "icon-512.png"]
"""What the worker keeps at install: the index and what every page needs (not itself,
the feed, nor the podcast apps' 1400 px icon)."""


def shell_files(with_feed: bool) -> list[str]:
    """The files every site has beside its sessions (checked before any work)."""
    return ["index.html", *SHELL, *ICONS, *MASKABLE, *(["feed.xml"] if with_feed else [])]


def shell(name: str) -> dict[str, bytes]:
    """The app's own files: script, styles, worker, icons and the web app manifest."""
    files = {f: (STATIC / f).read_bytes() for f in SHELL if f != "manifest.webmanifest"}
    marker = b"written in by publish (site.py) */ []"
    assert marker in files["sw.js"]
    files["sw.js"] = files["sw.js"].replace(marker, marker[:-2] + json.dumps(OFFLINE).encode())
    files["manifest.webmanifest"] = _json({
        "name": name, "short_name": name[:12], "start_url": "./index.html", "scope": "./",
        "display": "standalone", "background_color": BACKGROUND, "theme_color": BACKGROUND,
        "icons": [{"src": "icon.svg", "sizes": "any", "type": "image/svg+xml"},
                  *({"src": f, "sizes": f"{n}x{n}", "type": "image/png", "purpose": "any"}
                    for f, n in ICONS.items()),
                  *({"src": f, "sizes": f"{n}x{n}", "type": "image/png",
                     "purpose": "maskable"} for f, n in MASKABLE.items())]})
    files |= icon_files()
    return files
