"""End to end: the real Piper voice, the real ffmpeg, real MP3 files decoded and measured."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import write_script

from audio_builder import RATE
from audio_builder.cli import main
from audio_builder.mp3.encode import decode
from audio_builder.mp3.tags import read_chapters


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def plan_of(script: Path, length: str = "full") -> dict:
    result = run("plan", script, "--length", length, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, speech_cache):
    """The tiny script rendered once at full length and at its named length."""
    from conftest import DATA

    folder = tmp_path_factory.mktemp("render")
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDIO_BUILDER_CACHE_DIR", str(speech_cache))
    mp.chdir(folder)
    result = run("render", DATA / "tiny.yaml", "--length", "full", "--length", "quick")
    mp.undo()
    assert result.exit_code == 0, result.output
    return folder / "out"


def test_render_writes_default_names(rendered):
    assert sorted(p.name for p in rendered.iterdir()) == ["tiny-full.mp3", "tiny-quick.mp3"]


@pytest.mark.parametrize("length", ["full", "quick"])
def test_decoded_length_matches_plan(rendered, tiny, length):
    plan = plan_of(tiny, length)
    audio = decode(rendered / f"tiny-{length}.mp3")
    assert abs(len(audio) / RATE - plan["length_s"]) <= 0.5
    assert abs(len(audio) / RATE - plan["length_s"]) < 0.001  # gapless header: exact


def test_named_length_is_exact(rendered):
    assert len(decode(rendered / "tiny-quick.mp3")) == 35 * RATE


def test_sound_where_the_plan_says(rendered, tiny):
    plan = plan_of(tiny)
    audio = decode(rendered / "tiny-full.mp3")
    margin = int(0.06 * RATE)
    for e in plan["events"]:
        a, b = int(e["start_s"] * RATE), int((e["start_s"] + e["duration_s"]) * RATE)
        part = audio[a + margin:b - margin]
        if e["kind"] in ("silence", "gap", "hold", "rest"):
            assert np.abs(part).max() < 1e-3, f"a hold is not silent at {e['start_s']}s"
        else:
            rms = float(np.sqrt(np.mean(part ** 2)))
            assert rms > 0.01, f"{e['kind']} at {e['start_s']}s is not audible"
    assert np.abs(audio).max() < 1.0


def test_chapters_match_plan(rendered, tiny):
    plan = plan_of(tiny)
    chapters = read_chapters(rendered / "tiny-full.mp3")
    assert [c.title for c in chapters] == ["Welcome", "Lying Rest", "Knee Hug", "Closing"]
    for got, want in zip(chapters, plan["chapters"]):
        assert abs(got.start_ms / 1000 - want["start_s"]) <= 0.05
        assert abs(got.end_ms / 1000 - want["end_s"]) <= 0.05


def test_chapters_stand_in_time_order_for_readers_that_ignore_the_table(rendered, tiny):
    """ffmpeg (and players built on it) lists CHAP frames in file order, not the CTOC's."""
    import subprocess

    from audio_builder.ffmpeg import ffmpeg_exe

    meta = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(rendered / "tiny-full.mp3"),
                           "-f", "ffmetadata", "-"], capture_output=True, text=True,
                          check=True).stdout
    sections = meta.split("[CHAPTER]")[1:]
    titles = [line.split("=", 1)[1] for sec in sections for line in sec.splitlines()
              if line.startswith("title=")]
    starts = [int(line.split("=", 1)[1]) for sec in sections for line in sec.splitlines()
              if line.startswith("START=")]
    assert titles == [c["title"] for c in plan_of(tiny)["chapters"]]
    assert starts == sorted(starts)


def test_many_chapters_are_written_by_start_time(rendered, tmp_path):
    """With a dozen chapters of unequal titles, mutagen's own order (by size, then hash)
    would scramble them; ffmpeg reads them back in time order."""
    import shutil
    import subprocess

    from audio_builder.ffmpeg import ffmpeg_exe
    from audio_builder.mp3.tags import ChapterMark, Tags, write_tags

    copy = tmp_path / "many.mp3"
    shutil.copy(rendered / "tiny-full.mp3", copy)
    names = [("Pose " + "x" * (n * 7 % 11)) + f" {n}" for n in range(12)]
    marks = tuple(ChapterMark(t, n * 3000, (n + 1) * 3000) for n, t in enumerate(names))
    write_tags(copy, Tags("Many", None, None, marks))
    meta = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(copy), "-f", "ffmetadata",
                           "-"], capture_output=True, text=True, check=True).stdout
    assert [line[6:] for line in meta.splitlines() if line.startswith("title=")][1:] == names
    assert [c.title for c in read_chapters(copy)] == names


def test_mp3_format(rendered):
    from mutagen.mp3 import MP3

    info = MP3(rendered / "tiny-full.mp3").info
    assert (info.channels, info.sample_rate, info.bitrate) == (1, 44100, 96000)
    # The Info/LAME header carries encoder delay and padding, so a player's idea of the
    # length (mutagen reads it as players do) is the exact decoded length.
    decoded = len(decode(rendered / "tiny-full.mp3")) / RATE
    assert abs(info.length - decoded) < 0.001


def test_tags(rendered):
    from mutagen.id3 import ID3

    tags = ID3(rendered / "tiny-quick.mp3")
    assert str(tags["TIT2"]) == "Tiny Practice (quick)"
    assert str(tags["TPE1"]) == "Test Author"
    assert tags.getall("COMM")[0].text == ["A very small session for tests."]


def test_render_is_repeatable_from_a_cold_cache(tmp_path, tiny):
    """The offline voice is deterministic: two cold renders give identical files."""
    hashes = []
    for n in range(2):
        out = tmp_path / f"{n}.mp3"
        result = run("render", tiny, "--length", "quick", "-o", out,
                     "--cache-dir", tmp_path / f"cache{n}")
        assert result.exit_code == 0, result.output
        hashes.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert hashes[0] == hashes[1]


def test_broken_script_gives_one_line_and_no_file(tmp_path):
    script = write_script(tmp_path, "title: X\nposes:\n  - name: A\n    cues:\n"
                                    "      - \"Rest. [pasue 3s]\"\n")
    result = CliRunner().invoke(main, ["render", str(script)])
    assert result.exit_code == 1
    assert result.output == (f"error: {script}:5: unknown marker [pasue 3s] "
                             "(did you mean [pause ...]?)\n")
    assert not (tmp_path / "out").exists()


def test_unreachable_length_names_the_bounds_and_writes_nothing(tmp_path, tiny):
    result = CliRunner().invoke(main, ["render", str(tiny), "--length", "2h"])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {tiny}: this script cannot last 2h00m00s: "
                                    "with this voice it can last between ")
    assert len(result.output.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_failed_render_keeps_the_earlier_file(tmp_path, tiny):
    out = tmp_path / "session.mp3"
    out.write_bytes(b"an earlier render")
    result = CliRunner().invoke(main, ["render", str(tiny), "-o", str(out), "--length", "1s"])
    assert result.exit_code == 1
    assert out.read_bytes() == b"an earlier render"
    assert [p.name for p in tmp_path.iterdir()] == ["session.mp3"]
