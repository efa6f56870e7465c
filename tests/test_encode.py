"""Encoding on several cores: cuts in silence, parts joined into one gapless MP3 that
decodes to exactly the plan's samples, in the right places (real Piper, real ffmpeg)."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.mp3 import MP3

from audio_builder import RATE
from audio_builder.ffmpeg import ffmpeg_exe
from audio_builder.mp3.cuts import GUARD, MIN_PART, cut_points, silent_gaps
from audio_builder.mp3.encode import decode, encode
from audio_builder.mp3.infotag import FRAME, crc16, crc16_combine, read_tag
from audio_builder.pipeline.render import leveled, plan_length, prepare, speak
from audio_builder.sound.mix import blocks, sounding_spans
from audio_builder.speech.cache import Cache


def test_crc16_is_crc16_arc():
    assert crc16(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC


@given(st.binary(max_size=300), st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_crc16_combine(a, b):
    assert crc16_combine(crc16(a), crc16(b), len(b)) == crc16(a + b)


def test_silent_gaps_merge_overlapping_sounds():
    assert silent_gaps([(10, 5), (12, 10), (40, 5)], 50) == [(0, 10), (22, 40), (45, 50)]
    assert silent_gaps([], 7) == [(0, 7)]
    assert silent_gaps([(0, 7)], 7) == []


@given(st.lists(st.tuples(st.integers(0, 200 * RATE), st.integers(1, 20 * RATE)),
                max_size=40),
       st.integers(0, 240 * RATE), st.integers(1, 4))
@settings(max_examples=300, deadline=None)
def test_cuts_are_frame_aligned_in_silence(sounds, total, parts):
    cuts = cut_points(sounds, total, parts)
    assert len(cuts) <= parts - 1
    bounds = [0, *cuts, total]
    assert not cuts or all(b - a >= MIN_PART for a, b in zip(bounds, bounds[1:]))
    for cut in cuts:
        assert cut % FRAME == 0
        quiet = (cut - FRAME - GUARD, cut + GUARD)
        assert all(s + n <= quiet[0] or s >= quiet[1] for s, n in sounds), (cut, sounds)


def test_cuts_land_near_equal_shares():
    minute = 60 * RATE
    sounds = [(s, 5 * RATE) for s in range(0, 20 * minute, 20 * RATE)]  # 5 s in every 20
    cuts = cut_points(sounds, 20 * minute, 2)
    assert len(cuts) == 1 and abs(cuts[0] - 10 * minute) < 10 * RATE
    assert len(cut_points(sounds, 20 * minute, 4)) == 3
    assert cut_points([(0, 20 * minute)], 20 * minute, 2) == []  # no silence: one part
    assert cut_points([], 20 * RATE, 2) == []  # too short to be worth a second encoder


@pytest.fixture(scope="module")
def mix(speech_cache, tmp_path_factory):
    """The tiny script's full plan and its mixed samples, block by block, as rendered."""
    from conftest import DATA

    prep = prepare(DATA / "tiny.yaml")
    speech = speak(prep, Cache(speech_cache), show_progress=False)
    plan = plan_length(prep, speech, prep.lengths[0])
    audio = leveled(prep, plan, speech)
    whole = np.concatenate(list(blocks(plan, audio)))
    return plan, audio, whole


@pytest.fixture
def short_parts(monkeypatch):
    """Parts as short as 5 s, so the 40 s tiny session can be cut in three."""
    monkeypatch.setattr("audio_builder.mp3.cuts.MIN_PART", 5 * RATE)


def test_mix_is_exactly_the_plan(mix):
    """Every clip sits at its planned sample, at its level; silence is exact zeros."""
    plan, audio, whole = mix
    assert len(whole) == plan.total
    expected = np.zeros(plan.total, np.float32)
    for e in plan.events:
        if e.kind != "silence":
            key = ("speech", e.text) if e.kind == "speech" else ("chime", e.sound)
            expected[e.start:e.start + e.length] += audio(key)[:e.length]
    assert np.array_equal(whole, np.clip(expected, -1, 1))


@pytest.mark.parametrize("block", [1000, 4096, 1 << 16])
def test_parts_stream_the_same_samples(mix, block, short_parts):
    """Streamed in parts (any block size), the samples are those of the whole; the
    frame before each cut, which the join leaves to the encoder, is silent."""
    plan, audio, whole = mix
    cuts = cut_points(sounding_spans(plan), plan.total, 3)
    assert len(cuts) == 2
    bounds = [0, *cuts, plan.total]
    parts = [np.concatenate(list(blocks(plan, audio, block, a, b)))
             for a, b in zip(bounds, bounds[1:])]
    assert np.array_equal(np.concatenate(parts), whole)
    for cut in cuts:
        assert not whole[cut - FRAME - GUARD:cut + GUARD].any()


def encoded(mix, tmp_path: Path, parts: int) -> tuple[Path, list[int]]:
    plan, audio, _ = mix
    cuts = cut_points(sounding_spans(plan), plan.total, parts)
    out = tmp_path / f"parts-{parts}.mp3"
    encode(lambda a, b: blocks(plan, audio, start=a, stop=b), plan.total, out, "96k",
           None, cuts)
    return out, cuts


@pytest.mark.parametrize("parts", [2, 3])
def test_joined_parts_decode_to_the_exact_session(mix, tmp_path, parts, short_parts):
    plan, _, whole = mix
    one, _ = encoded(mix, tmp_path, 1)
    joined, cuts = encoded(mix, tmp_path, parts)
    assert len(cuts) == parts - 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({one.name, joined.name})

    tag = read_tag(joined)
    assert tag.samples == plan.total
    assert MP3(joined).info.length == pytest.approx(plan.total / RATE, abs=1e-6)
    data = joined.read_bytes()
    assert tag.size == len(data)
    assert tag.music_crc == crc16(data[tag.frame_bytes:])
    assert data.count(b"Info") == 1  # the later parts' own tags were dropped

    got, ref = decode(joined), decode(one)
    assert len(got) == len(ref) == plan.total
    for cut in cuts:  # the seams are silent
        assert np.abs(got[cut - FRAME - GUARD:cut + GUARD]).max() < 1e-4
    bounds = [0, *cuts, plan.total]
    for a, b in zip(bounds, bounds[1:]):  # each part where the plan puts it
        assert best_lag(got, whole, a, b) == 0
        assert best_lag(got, ref, a, b) == 0
        signal = np.sqrt(np.mean(whole[a:b] ** 2))
        assert np.sqrt(np.mean((got[a:b] - whole[a:b]) ** 2)) < signal * 10 ** (-20 / 20)


def best_lag(got: np.ndarray, want: np.ndarray, a: int, b: int, most: int = 8) -> int:
    """The shift of got[a:b] against want[a:b] that leaves the least difference (codec
    noise is about -25 dB here; one sample off, speech differs by about -17 dB)."""
    inner = want[a + most:b - most]
    errors = [np.mean((got[a + most + lag:b - most + lag] - inner) ** 2)
              for lag in range(-most, most + 1)]
    return int(np.argmin(errors)) - most


def test_ffmpeg_finds_no_fault_in_a_joined_file(mix, tmp_path):
    joined, _ = encoded(mix, tmp_path, 2)
    err = subprocess.run([ffmpeg_exe(), "-v", "warning", "-err_detect", "crccheck+bitstream",
                          "-i", str(joined), "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    assert err == ""


def test_a_part_of_the_wrong_length_falls_back_to_one_encoder(mix, tmp_path, caplog):
    """A cut the encoder cannot honour (here: not on a frame boundary) is caught when
    joining; the session is encoded again whole, still exact."""
    plan, audio, _ = mix
    cut = cut_points(sounding_spans(plan), plan.total, 2)[0] + 1
    out = tmp_path / "fallback.mp3"
    with caplog.at_level(logging.WARNING):
        encode(lambda a, b: blocks(plan, audio, start=a, stop=b), plan.total, out, "96k",
               None, [cut])
    assert "encoding again on one core" in caplog.text
    assert read_tag(out).samples == plan.total == len(decode(out))
    assert os.listdir(tmp_path) == ["fallback.mp3"]


def test_a_failing_part_stops_every_encoder(mix, tmp_path):
    """An error while mixing one part ends the whole encode with that error."""
    plan, audio, _ = mix
    cuts = cut_points(sounding_spans(plan), plan.total, 2)

    def source(a, b):
        if a:
            raise_after = blocks(plan, audio, 4096, a, b)
            yield next(raise_after)
            raise OSError("the speech cache went away")
        yield from blocks(plan, audio, start=a, stop=b)

    with pytest.raises(OSError, match="went away"):
        encode(source, plan.total, tmp_path / "x.mp3", "96k", None, cuts)
    # the parts are gone; the target itself is the caller's to remove (atomic_output)
    assert not [p.name for p in tmp_path.iterdir() if p.name != "x.mp3"]


def test_the_bytes_do_not_depend_on_the_machines_cores(tmp_path, tiny, monkeypatch):
    """Parts are set by the session, not the core count: a one-core machine writes the
    same file as this one (SPEC.md: repeatable)."""
    from click.testing import CliRunner

    from audio_builder.cli import main

    def render(name: str) -> bytes:
        out = tmp_path / name
        result = CliRunner().invoke(main, ["render", str(tiny), "-o", str(out)])
        assert result.exit_code == 0, result.output
        return out.read_bytes()

    here = render("here.mp3")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert render("one-core.mp3") == here
    monkeypatch.setenv("AUDIO_BUILDER_ENCODERS", "1")
    assert render("one-part.mp3") != here  # the knob that does change the bytes


def test_a_tag_without_seek_table_is_read_where_it_is(mix, tmp_path):
    """The LAME extension follows whichever optional fields the Info tag has."""
    one, _ = encoded(mix, tmp_path, 1)
    tag = read_tag(one)
    data = one.read_bytes()
    frame = bytearray(data[:tag.frame_bytes])
    flags = int.from_bytes(frame[tag.at + 4:tag.at + 8], "big") & ~0b0100
    frame[tag.at + 4:tag.at + 8] = flags.to_bytes(4, "big")
    del frame[tag.at + 16:tag.at + 116]  # no seek table: all that follows moves up
    frame += bytes(100)
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(bytes(frame) + data[tag.frame_bytes:])
    got = read_tag(bare)
    assert got.toc is None and got.lame == tag.lame - 100
    assert (got.frames, got.delay, got.padding, got.music_crc) == \
        (tag.frames, tag.delay, tag.padding, tag.music_crc)


def test_a_file_without_gapless_fields_is_refused(tmp_path):
    from audio_builder.errors import ExportError

    junk = tmp_path / "plain.mp3"
    junk.write_bytes(bytes([0xFF, 0xFB, 0x70, 0xC4]) + bytes(600))
    with pytest.raises(ExportError, match="no Info header"):
        read_tag(junk)
