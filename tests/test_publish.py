"""`publish`: a folder of scripts becomes a site and a feed; re-publishing re-makes only
what changed; nothing outside SITE, and nothing in it publish did not write, is touched."""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from click.testing import CliRunner
from conftest import DATA, SHIPPED, write_script
from mutagen.id3 import ID3

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.mp3.encode import decode
from audio_builder.publish.icons import draw

BASE = "https://example.org/yoga/"
HOSTILE = "</title><script>alert(1)</script>"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def publish(*args: object):
    result = invoke("publish", *args)
    assert result.exit_code == 0, result.output
    return result


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(site: Path) -> dict[str, tuple[int, int]]:
    """Every file with its inode and modification time: what a rewrite would change."""
    return {str(p.relative_to(site)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_publish_writes_pages_audio_and_feed_that_agree(tmp_path):
    site = tmp_path / "site"
    result = publish(DATA / "tiny.yaml", "-o", site, "--base-url", BASE)
    assert "(2 encoded, 0 unchanged, feed" in result.output
    for rel in ["index.html", "feed.xml", "app.js", "sw.js", "style.css", "icon.svg",
                "icon-192.png", "icon-512.png", "manifest.webmanifest"]:
        assert (site / rel).is_file(), rel
    for length in ["full", "quick"]:
        data = json.loads((site / f"tiny/{length}.json").read_text(encoding="utf-8"))
        audio = decode(site / f"tiny/{length}.mp3")
        assert abs(len(audio) / RATE - data["length_s"]) < 0.05
        chaps = ID3(site / f"tiny/{length}.mp3").getall("CHAP")
        starts = sorted(c.start_time / 1000 for c in chaps)
        assert [round(c["start_s"], 2) for c in data["chapters"]] == pytest.approx(
            starts, abs=0.05)
        feed_chapters = json.loads((site / f"tiny/{length}.chapters.json").read_text())
        assert feed_chapters["version"] == "1.2.0"
        assert [c["startTime"] for c in feed_chapters["chapters"]] == [
            c["start_s"] for c in data["chapters"]]
        assert data["audio"].startswith(f"{length}.mp3?v=")
    assert data["holds"] and all(e["kind"] in ("hold", "breath") for e in data["events"]
                                 if "hold" in e)
    manifest = json.loads((site / "manifest.webmanifest").read_text())
    assert {i["src"] for i in manifest["icons"]} >= {"icon-192.png", "icon-512.png"}
    assert (site / "icon-192.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    worker = (site / "sw.js").read_text()
    kept = json.loads(worker.split("(site.py) */ ", 1)[1].split(";", 1)[0])
    assert sorted(kept) == sorted(["index.html", "app.js", "style.css", "icon.svg",
                                   "icon-192.png", "icon-512.png", "manifest.webmanifest"])


def test_publishing_again_unchanged_rewrites_nothing(tmp_path):
    site = tmp_path / "site"
    publish(DATA / "tiny.yaml", "-o", site, "--base-url", BASE)
    before = snapshot(site)
    result = publish(DATA / "tiny.yaml", "-o", site, "--base-url", BASE)
    assert "(0 encoded, 2 unchanged" in result.output
    assert snapshot(site) == before


def test_a_changed_length_is_the_only_one_encoded_again(tmp_path):
    script = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", script)
    site = tmp_path / "site"
    publish(script, "-o", site)
    before = snapshot(site)
    script.write_text(script.read_text().replace("quick: 35s", "quick: 36s"))
    result = publish(script, "-o", site)
    assert "(1 encoded, 1 unchanged" in result.output
    after = snapshot(site)
    assert after["tiny/full.mp3"] == before["tiny/full.mp3"]
    assert after["tiny/quick.mp3"] != before["tiny/quick.mp3"]
    assert abs(len(decode(site / "tiny/quick.mp3")) / RATE - 36) < 0.5


def test_a_damaged_mp3_is_refused_then_made_again_once_moved_away(tmp_path):
    site = tmp_path / "site"
    publish(DATA / "tiny.yaml", "-o", site, "--length", "quick")
    mp3 = site / "tiny/quick.mp3"
    good = mp3.read_bytes()
    mp3.write_bytes(good[:1000])
    result = invoke("publish", DATA / "tiny.yaml", "-o", site, "--length", "quick")
    assert (result.exit_code, result.output) == (1, (
        f"error: {mp3} was changed since publish wrote it; move it away to publish it "
        "again, or publish into another folder\n"))
    assert mp3.read_bytes() == good[:1000]
    mp3.unlink()
    assert "(1 encoded, 0 unchanged" in publish(DATA / "tiny.yaml", "-o", site,
                                                "--length", "quick").output
    assert mp3.read_bytes() == good


def test_a_teachers_edit_of_a_published_file_is_refused_before_any_work(tmp_path):
    script = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", script)
    site = tmp_path / "site"
    publish(script, "-o", site, "--length", "quick")
    (site / "style.css").write_text("body { color: rebeccapurple }")
    script.write_text(script.read_text().replace("quick: 35s", "quick: 36s"))
    before = snapshot(site)
    result = invoke("publish", script, "-o", site, "--length", "quick")
    assert (result.exit_code, result.output) == (1, (
        f"error: {site / 'style.css'} was changed since publish wrote it; move it away to "
        "publish it again, or publish into another folder\n"))
    assert snapshot(site) == before
    assert (site / "style.css").read_text() == "body { color: rebeccapurple }"


def test_a_file_where_a_session_folder_goes_is_refused_before_any_work(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "tiny").write_text("a note, not a folder")
    result = invoke("publish", DATA / "tiny.yaml", "-o", site, "--length", "quick")
    assert (result.exit_code, result.output) == (1, (
        f"error: cannot write {site / 'tiny/quick.mp3'}: {site / 'tiny'} is a file, "
        "not a folder\n"))
    assert [p.name for p in site.iterdir()] == ["tiny"]


def test_files_publish_did_not_write_are_left_alone(tmp_path):
    site = tmp_path / "site"
    (site / "tiny").mkdir(parents=True)
    (site / "notes.txt").write_text("mine")
    (site / "tiny" / "old.mp3").write_bytes(b"mine too")
    publish(DATA / "tiny.yaml", "-o", site)
    publish(DATA / "tiny.yaml", "-o", site, "--length", "quick")
    assert (site / "notes.txt").read_text() == "mine"
    assert (site / "tiny" / "old.mp3").read_bytes() == b"mine too"
    assert (site / "tiny" / "full.mp3").is_file()  # no longer listed, still not deleted


def test_a_file_in_the_way_is_refused_before_any_work(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("the teacher's own page")
    result = invoke("publish", DATA / "tiny.yaml", "-o", site)
    assert result.exit_code == 1
    assert result.output == (f"error: {site / 'index.html'} exists and was not written by "
                             "publish; move it away or publish into another folder\n")
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert (site / "index.html").read_text() == "the teacher's own page"


def test_a_link_leading_outside_the_site_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    (site / "tiny").symlink_to(outside)
    result = invoke("publish", DATA / "tiny.yaml", "-o", site)
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "leads outside" in result.output
    assert len(result.output.splitlines()) == 1
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("url", ["ftp://example.org/", "javascript:alert(1)", "example.org",
                                 "https://", "https://example.org/a b/", "file:///tmp/site",
                                 "https://a.org/\x01y/", "https://a.org/a\\b/",
                                 "https://a.org/\x7f/", "https://a.org/yoga\u00e9/"])
def test_a_base_url_that_is_not_http_is_refused(tmp_path, url):
    result = invoke("publish", DATA / "tiny.yaml", "-o", tmp_path / "site", "--base-url", url)
    assert result.exit_code == 2
    assert "Invalid value for '--base-url'" in result.output
    assert not (tmp_path / "site").exists()


def test_a_broken_script_is_one_line_and_writes_nothing(tmp_path):
    bad = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues: []\n", "bad.yaml")
    result = invoke("publish", DATA / "tiny.yaml", bad, "-o", tmp_path / "site")
    assert (result.exit_code, result.output) == (
        1, f"error: {bad}:4: 'cues' needs at least one cue\n")
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("title", ["\\uFFFE", "\\uFFFF", "\\uD800", "\\U0010FFFF"])
def test_a_title_that_is_not_text_is_one_line_and_writes_nothing(tmp_path, title):
    bad = write_script(tmp_path, f'title: "Tiny{title}"\nposes:\n  - name: A\n    cues:\n'
                       '      - "Rest."\n', "bad.yaml")
    result = invoke("publish", bad, "-o", tmp_path / "site", "--base-url", BASE)
    code = title[2:].lstrip("0") if title.startswith("\\U") else title[2:]
    assert (result.exit_code, result.output) == (1, (
        f"error: {bad}:1: 'title' contains U+{code}, which is not a character "
        "(a noncharacter, unassigned or half a pair)\n"))
    assert not (tmp_path / "site").exists()


def test_a_cue_that_is_not_text_is_one_line_and_writes_nothing(tmp_path):
    bad = write_script(tmp_path, 'title: T\nposes:\n  - name: A\n    cues:\n'
                       '      - "Rest."\n      - "Lie\\uDC00 down."\n', "bad.yaml")
    result = invoke("publish", bad, "-o", tmp_path / "site")
    assert (result.exit_code, result.output) == (1, (
        f"error: {bad}:6: U+DC00 in the cue is not a character (a noncharacter, "
        "unassigned or half a pair)\n"))
    assert not (tmp_path / "site").exists()


def test_an_unknown_length_name_is_one_line(tmp_path):
    result = invoke("publish", DATA / "tiny.yaml", "-o", tmp_path / "site", "--length", "nap")
    assert (result.exit_code, result.output) == (
        1, "error: no script names a length 'nap' (named: full, quick)\n")


def explicit(raw: bytes) -> list[str | None]:
    """Every itunes:explicit of the feed (feedparser reads only the legacy yes/clean)."""
    ns = "{http://www.itunes.com/dtds/podcast-1.0.dtd}explicit"
    return [e.text for e in ElementTree.fromstring(raw).iter(ns)]


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes, and the text of <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title" and not self.title  # the page's, not the SVG's

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_every_text_of_a_hostile_script_stays_text(tmp_path):
    site = tmp_path / "site"
    publish(DATA / "hostile" / "hostile.yaml", "-o", site, "--base-url", BASE)
    for page in ["index.html", "hostile/full.html"]:
        parsed = Elements()
        parsed.feed((site / page).read_text(encoding="utf-8"))
        scripts = [a.get("src") for t, a in parsed.tags if t == "script"]
        assert scripts in (["app.js"], ["../app.js"])
        assert not [t for t, _ in parsed.tags if t in ("img", "b")]
        assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
        csp = [a["content"] for t, a in parsed.tags
               if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        assert csp and "default-src 'self'" in csp[0] and "unsafe" not in csp[0]
    assert parsed.title == f"{HOSTILE} (full)"
    data = json.loads((site / "hostile/full.json").read_text(encoding="utf-8"))
    assert data["title"] == HOSTILE
    assert data["chapters"][1]["title"] == "<img src=x onerror=alert(2)>"
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    entry = feed.entries[0]
    assert entry.title == HOSTILE
    assert entry.author == "Ann & <b>Bob</b>"
    assert html.unescape(entry.summary) == "]]> <!-- \" ' {{ 7*7 }} {% raw %}"  # HTML


def test_the_feed_says_what_podcast_apps_need(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "cover.png").write_bytes(draw(64))
    script = folder / "tiny.yaml"
    script.write_text((DATA / "tiny.yaml").read_text() + "cover: cover.png\n")
    site = tmp_path / "site"
    publish(script, "-o", site, "--base-url", "https://example.org/yoga", "--title", "Mat Time")
    raw = (site / "feed.xml").read_bytes()
    feed = feedparser.parse(raw)
    assert not feed.bozo
    assert feed.version == "rss20"
    assert feed.feed.title == "Mat Time"
    assert feed.feed.link == BASE + "index.html"
    assert {(x.rel, x.href) for x in feed.feed.links} == {
        ("alternate", BASE + "index.html"), ("self", BASE + "feed.xml")}
    assert f">{BASE}feed.xml</a>" in (site / "index.html").read_text()
    assert feed.feed.language == "en"
    assert feed.feed.image.href == BASE + "icon-1400.png"
    assert explicit(raw) == ["false", "false", "false"]  # Apple's values: true or false
    assert [e.title for e in feed.entries] == ["Tiny Practice", "Tiny Practice (quick)"]
    for entry, length in zip(feed.entries, ["full", "quick"]):
        mp3 = site / f"tiny/{length}.mp3"
        seconds = len(decode(mp3)) / RATE
        assert entry.id == f"audio-builder:tiny/{length}"
        assert entry.guidislink is False
        assert entry.link == f"{BASE}tiny/{length}.html"
        assert entry.summary == "A very small session for tests."
        (enclosure,) = entry.enclosures
        assert enclosure.href == f"{BASE}tiny/{length}.mp3?v={sha256(mp3)[:12]}"
        assert enclosure.type == "audio/mpeg"
        assert int(enclosure.length) == mp3.stat().st_size
        h, m, s = (int(x) for x in entry.itunes_duration.split(":"))
        assert abs(h * 3600 + m * 60 + s - seconds) <= 0.5
        assert entry.image.href == f"{BASE}tiny/cover.png"
        assert entry.published_parsed is not None
        chapters = site / f"tiny/{length}.chapters.json"
        assert entry.podcast_chapters == {
            "url": f"{BASE}tiny/{length}.chapters.json?v={sha256(chapters)[:12]}",
            "type": "application/json+chapters"}
    assert (site / "tiny/cover.png").read_bytes() == (folder / "cover.png").read_bytes()
    # publishing again keeps every guid and date: apps download nothing twice
    os.utime(script)
    publish(script, "-o", site, "--base-url", "https://example.org/yoga", "--title", "Mat Time")
    assert (site / "feed.xml").read_bytes() == raw


def test_a_changed_session_has_new_audio_and_chapter_urls_in_the_feed(tmp_path):
    script = write_script(tmp_path, (DATA / "tiny.yaml").read_text(), "tiny.yaml")
    site = tmp_path / "site"
    publish(script, "-o", site, "--base-url", BASE, "--length", "quick")
    before = feedparser.parse((site / "feed.xml").read_bytes())
    script.write_text(script.read_text().replace("Thank you.", "Thank you, friend."))
    record = json.loads((site / ".audio-builder-publish.json").read_text())
    record["sources"]["feed.xml"] = {"built": "2020-01-01T00:00:00+00:00"}  # long ago
    (site / ".audio-builder-publish.json").write_text(json.dumps(record))
    publish(script, "-o", site, "--base-url", BASE, "--length", "quick")
    after = feedparser.parse((site / "feed.xml").read_bytes())
    (old,), (new,) = before.entries, after.entries
    assert new.id == old.id and new.published == old.published
    assert new.enclosures[0].href != old.enclosures[0].href
    assert new.enclosures[0].href.endswith(f"?v={sha256(site / 'tiny/quick.mp3')[:12]}")
    assert new.podcast_chapters["url"] != old.podcast_chapters["url"]
    assert after.feed.updated_parsed.tm_year > 2020


def test_scripts_of_the_same_name_get_their_own_folders_and_any_duration(tmp_path):
    for folder in ["a", "b"]:
        (tmp_path / folder).mkdir()
        shutil.copy(DATA / "tiny.yaml", tmp_path / folder / "Tiny.yaml")
    site = tmp_path / "site"
    publish(tmp_path / "a/Tiny.yaml", tmp_path / "b/Tiny.yaml", "-o", site, "--length", "36s")
    for slug in ["tiny", "tiny-2"]:
        assert abs(len(decode(site / f"{slug}/36s.mp3")) / RATE - 36) < 0.5
    index = (site / "index.html").read_text()
    assert 'href="tiny/36s.html"' in index and 'href="tiny-2/36s.html"' in index


def test_a_duration_typed_three_ways_is_one_episode(tmp_path):
    site = tmp_path / "site"
    result = publish(DATA / "tiny.yaml", "-o", site, "--base-url", BASE,
                     "--length", "36s", "--length", "36S", "--length", "36.0s")
    assert "(1 encoded, 0 unchanged" in result.output
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [e.id for e in feed.entries] == ["audio-builder:tiny/36s"]
    assert (site / "index.html").read_text().count('href="tiny/36s.html"') == 1
    assert sorted(p.name for p in (site / "tiny").glob("*.mp3")) == ["36s.mp3"]


def test_a_script_with_none_of_the_lengths_asked_is_not_spoken(tmp_path, speech_cache):
    other = write_script(tmp_path, "title: Other\nposes:\n  - name: Stand\n    cues:\n"
                         "      - \"A sentence only the other script says.\"\n", "other.yaml")
    publish(DATA / "tiny.yaml", "-o", tmp_path / "warm", "--length", "quick")
    cached = sorted((speech_cache / "clips").rglob("*"))
    site = tmp_path / "site"
    result = publish(DATA / "tiny.yaml", other, "-o", site, "--length", "quick")
    assert "(1 encoded, 0 unchanged" in result.output
    assert sorted((speech_cache / "clips").rglob("*")) == cached  # nothing new was spoken
    assert not (site / "other").exists()
    assert (site / "tiny/quick.mp3").is_file()


def test_length_names_differing_only_in_case_are_one_line(tmp_path):
    script = write_script(tmp_path, (DATA / "tiny.yaml").read_text().replace(
        "  quick: 35s\n", "  quick: 35s\n  Quick: 40s\n"), "tiny.yaml")
    result = invoke("publish", script, "-o", tmp_path / "site")
    assert (result.exit_code, result.output) == (1, (
        f"error: {script}:8: lengths 'quick' and 'Quick' differ only in case, and would be "
        "one file on macOS and Windows; rename one\n"))
    assert not (tmp_path / "site").exists()


def test_each_script_keeps_its_folder_whatever_the_order(tmp_path):
    for folder, name, title in [("a", "Tiny.yaml", "Tiny A"), ("b", "tiny.yaml", "Tiny B")]:
        (tmp_path / folder).mkdir()
        write_script(tmp_path / folder, (DATA / "tiny.yaml").read_text().replace(
            "Tiny Practice", title), name)
    a, b = tmp_path / "a/Tiny.yaml", tmp_path / "b/tiny.yaml"
    site = tmp_path / "site"
    publish(a, b, "-o", site, "--length", "quick", "--base-url", BASE)
    assert "(0 encoded, 2 unchanged" in publish(b, a, "-o", site, "--length", "quick",
                                                "--base-url", BASE).output
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert {e.id: e.title for e in feed.entries} == {
        "audio-builder:tiny/quick": "Tiny A (quick)",
        "audio-builder:tiny-2/quick": "Tiny B (quick)"}
    assert "Tiny B" in (site / "tiny-2/quick.html").read_text()


def test_a_script_name_of_any_bytes_is_recorded(tmp_path):
    script = Path(os.fsdecode(bytes(tmp_path / "t") + b"\xff.yaml"))
    shutil.copy(DATA / "tiny.yaml", script)
    site = tmp_path / "site"
    publish(script, "-o", site, "--length", "quick")
    assert "(0 encoded, 1 unchanged" in publish(script, "-o", site, "--length", "quick").output
    assert "slugs" not in json.loads((site / ".audio-builder-publish.json").read_text())
    from audio_builder.publish.files import _site_id

    private = Path(os.environ["AUDIO_BUILDER_CACHE_DIR"]) / "publish" / f"{_site_id(site)}.json"
    assert json.loads(private.read_text())["slugs"] == {str(script.resolve()): "t"}


def test_the_shipped_scripts_publish_with_every_hold_found(tmp_path):
    """The README's command on the shipped scripts (short lengths, to keep it quick):
    an episode each, and the page marks exactly one hold per side of every held pose."""
    from audio_builder.script.loader import load_script

    site = tmp_path / "site"
    scripts = SHIPPED
    publish(*scripts, "-o", site, "--base-url", BASE, "--length", "short")
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [e.id for e in feed.entries] == [
        "audio-builder:deep-psoas-release/short", "audio-builder:evening-wind-down/short",
        "audio-builder:morning-flow/short"]
    for script in scripts:
        data = json.loads((site / f"{script.stem}/short.json").read_text(encoding="utf-8"))
        held = {h["pose"] for h in data["holds"]}
        for pose in load_script(script).poses:
            if pose.hold is None or pose.name not in {c["title"] for c in data["chapters"]}:
                continue
            holds = [h for h in data["holds"] if h["pose"] == pose.name]
            assert len(holds) == max(1, len(pose.sides)), pose.name
            held.discard(pose.name)
        assert held == set()


def test_a_pose_that_appears_twice_keeps_both_holds(tmp_path):
    """Cat-Cow, Child's Pose, Cat-Cow again: each hold is its own, found by its section,
    never by the pose's name (flows repeat poses every round)."""
    script = write_script(tmp_path, """title: Twice
voice: {engine: piper}
chime: none
poses:
  - name: Cat-Cow
    hold: 30s
    cues: ["Move with your breath."]
  - name: Child's Pose
    hold: 10s
    cues: ["Rest."]
  - name: Cat-Cow
    hold: 5s
    cues: ["Once more."]
""")
    site = tmp_path / "site"
    publish(script, "-o", site)
    data = json.loads((site / "script/full.json").read_text(encoding="utf-8"))
    assert [(h["pose"], h["section"], h["duration_s"]) for h in data["holds"]] == [
        ("Cat-Cow", 0, 30.0), ("Child's Pose", 1, 10.0), ("Cat-Cow", 2, 5.0)]
    for n, h in enumerate(data["holds"]):
        inside = [e for e in data["events"] if e.get("hold") == n]
        assert [e["kind"] for e in inside] == ["hold"] and inside[0]["start"] == h["start"]
    page = (site / "script/full.html").read_text(encoding="utf-8")
    assert page.count('<rect class="hold"') == 3  # the timeline draws every hold
