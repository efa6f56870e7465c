"""Publishing survives a kill, a second publish, and an upload as is (#24): real
processes, killed outright at chosen moments (tests/publish_stopper.py), then publish
again; two publishes into one site at once; and a site with nothing private in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import DATA, ROOT

from audio_builder.publish.files import one_writer

BASE = "https://example.org/yoga/"
STOPPER = ROOT / "tests" / "publish_stopper.py"


def env(cache: Path) -> dict:
    # one date for every run: a site made twice from the same scripts is the same bytes
    return dict(os.environ, AUDIO_BUILDER_CACHE_DIR=str(cache), SOURCE_DATE_EPOCH="1767225600")


def scripts(folder: Path) -> list[Path]:
    a = folder / "a.yaml"
    shutil.copy(DATA / "tiny.yaml", a)
    b = folder / "b.yaml"
    b.write_text((DATA / "tiny.yaml").read_text().replace("Tiny Practice", "Second Practice")
                 .replace("Lie down softly.", "Lie down softly, and rest."))
    return [a, b]


def publish(args: list, cache: Path, stop: str | None = None) -> subprocess.CompletedProcess:
    cmd = ([sys.executable, str(STOPPER), stop] if stop else
           [sys.executable, "-m", "audio_builder"]) + ["publish", *map(str, args)]
    return subprocess.run(cmd, env=env(cache), capture_output=True, text=True, timeout=600,
                          start_new_session=True)


def public(site: Path) -> dict[str, bytes]:
    """Every file a teacher uploads (dotfiles are publish's own, and never served)."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and not any(part.startswith(".")
                                       for part in p.relative_to(site).parts)}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[list[Path], Path, dict[str, bytes]]:
    """The scripts, a warm cache, and the site an uninterrupted publish makes."""
    folder = tmp_path_factory.mktemp("clean")
    paths = scripts(folder)
    cache = folder / "cache"
    done = publish([*paths, "-o", folder / "site", "--base-url", BASE], cache)
    assert done.returncode == 0, done.stderr
    return paths, cache, public(folder / "site")


@pytest.mark.parametrize("moment", ["speech", "mp3:1", "mp3:4", "before:feed.xml",
                                    "before:index.html"])
def test_killed_at_any_moment_then_published_again_is_the_same_site(clean, tmp_path, moment):
    paths, warm, expected = clean
    cache = tmp_path / "cache"  # cold for "speech": the kill lands while it speaks
    if moment != "speech":
        shutil.copytree(warm, cache)
    site = tmp_path / "site"
    killed = publish([*paths, "-o", site, "--base-url", BASE], cache, stop=moment)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    again = publish([*paths, "-o", site, "--base-url", BASE], cache)
    assert again.returncode == 0, again.stderr  # nothing asked of the teacher
    assert public(site) == expected
    if moment.startswith("before:"):  # every MP3 was in place: none is encoded again
        assert "(0 encoded, 4 unchanged" in again.stdout


def test_a_hand_edit_is_still_refused_after_a_kill(clean, tmp_path):
    paths, warm, _ = clean
    cache = tmp_path / "cache"
    shutil.copytree(warm, cache)
    site = tmp_path / "site"
    killed = publish([*paths, "-o", site], cache, stop="mp3:1")
    assert killed.returncode == -9
    (first,) = [p for p in site.rglob("*.mp3") if not p.name.startswith(".")]
    first.write_bytes(first.read_bytes()[:-100])  # the teacher's tool trimmed it
    again = publish([*paths, "-o", site], cache)
    assert again.returncode == 1
    assert again.stderr == (f"error: {first} was changed since publish wrote it; move it "
                            "away to publish it again, or publish into another folder\n")


def test_two_publishes_into_one_site_at_once_then_both(clean, tmp_path):
    paths, warm, _ = clean
    site = tmp_path / "site"
    cmds = [[sys.executable, "-m", "audio_builder", "publish", str(p), "-o", str(site)]
            for p in paths]
    procs = [subprocess.Popen(c, env=env(warm), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    both = publish([*paths, "-o", site], warm)
    assert both.returncode == 0, both.stderr
    assert "(0 encoded, 4 unchanged" in both.stdout  # each kept the other's work


def test_a_second_publish_waits_for_the_first_saying_so(clean, tmp_path):
    paths, warm, _ = clean
    site = tmp_path / "site"
    held, release = threading.Event(), threading.Event()

    def first() -> None:  # another writer (a publish, the studio) holds the site
        with one_writer(site):
            held.set()
            release.wait(60)
    holder = threading.Thread(target=first)
    holder.start()
    held.wait(10)
    proc = subprocess.Popen([sys.executable, "-m", "audio_builder", "publish", str(paths[0]),
                             "-o", str(site)], env=env(warm), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert proc.poll() is None, "it went on beside the first writer"
    assert not (site / "index.html").exists()
    release.set()
    holder.join()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"waiting for another publish into {site} to finish" in err
    assert (site / "index.html").is_file()


def test_nothing_private_reaches_the_site(tmp_path):
    """A teacher's folders under a made-up home: no path, no user name in any file of
    SITE (dotfiles included), and preview serves no dotfile."""
    import urllib.error
    import urllib.request

    from audio_builder.publish.server import serving

    home = tmp_path / "home" / "yogini-quokka-7731"
    (home / "Documents" / "classes").mkdir(parents=True)
    paths = scripts(home / "Documents" / "classes")
    site = home / "Documents" / "site"
    cache = home / ".cache" / "audio-builder"
    done = subprocess.run([sys.executable, "-m", "audio_builder", "publish", *map(str, paths),
                           "-o", str(site), "--base-url", BASE],
                          env=dict(env(cache), HOME=str(home), USER="yogini-quokka-7731"),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    every = [p for p in site.rglob("*") if p.is_file()]
    assert any(p.name.startswith(".") for p in every)  # the record is there, and read too
    for path in every:
        data = path.read_bytes()
        for private in ("yogini-quokka-7731", str(tmp_path), "Documents"):
            assert private.encode() not in data, (path, private)
    with serving(site) as url:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + ".audio-builder-publish.json")
        assert err.value.code == 404
        assert urllib.request.urlopen(url + "index.html").status == 200
