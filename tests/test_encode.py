"""Encoding only what sounds: parts around the sounds, encoded side by side, silent
frames everywhere else, one gapless MP3 that decodes to exactly the plan's samples in the
right places, for every total length (real Piper, real ffmpeg, decoded and measured)."""

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
from audio_builder.mp3 import encode as encode_module
from audio_builder.mp3.encode import decode, encode, part_command
from audio_builder.mp3.frames import FRAME, CbrLine, frame_bytes
from audio_builder.mp3.infotag import crc16, read_tag
from audio_builder.mp3.slots import MARGIN, parts_for
from audio_builder.pipeline.progress import Quiet
from audio_builder.pipeline.render import plan_length, prepare, sources, speak
from audio_builder.sound.mix import blocks, sounding_spans
from audio_builder.speech.cache import Cache

DELAY = 576 + 529
"""Where input sample 0 lands in a bare LAME stream decoded without its gapless tag."""


def test_crc16_is_crc16_arc():
    assert crc16(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC
    assert crc16(b"56789", crc16(b"1234")) == 0xBB3D  # and it runs on


def strict_faults(path: Path) -> str:
    """What ffmpeg's strictest decoder says of the file (nothing, for a sound file)."""
    return subprocess.run([ffmpeg_exe(), "-v", "warning", "-err_detect",
                           "crccheck+bitstream+buffer+explode", "-i", str(path),
                           "-f", "null", "-"], capture_output=True, text=True).stderr


def array_source(x: np.ndarray):
    def source(a: int, b: int):
        for i in range(a, b, 5000):
            yield x[i:min(b, i + 5000)]
    return source


def bursts(total: int, starts: list[int], length: int = 3000
           ) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Silence with tone bursts (faded in and out) at `starts`, and where they sound."""
    x = np.zeros(total, np.float32)
    t = np.arange(length)
    burst = (0.3 * np.sin(2 * np.pi * 440 * (t + 0.5) / RATE) * np.hanning(length + 2)[1:-1]
             ).astype(np.float32)
    sounding = []
    for s in starts:
        n = min(length, total - s)
        x[s:s + n] = burst[:n]
        sounding.append((s, n))
    return x, sounding


REMAINDERS = [0, 1, 2, 46, 47, 48, 575, 576, 577, 1100, 1151]


@pytest.mark.parametrize("ending", ["sound", "silence"])
@pytest.mark.parametrize("remainder", REMAINDERS)
def test_every_total_decodes_to_exactly_its_samples(tmp_path, remainder, ending):
    """The short-padding case of LAME (total % 1152 in 1..47) included: the stream never
    asks LAME to pad, and states its own padding."""
    total = 300 * FRAME + remainder
    last = total - 3000 if ending == "sound" else total - 200 * FRAME
    x, sounding = bursts(total, [0, 100 * FRAME + 17, last])
    out = tmp_path / "x.mp3"
    tag = encode(array_source(x), total, out, "96k", None, sounding)
    assert tag.samples == read_tag(out).samples == total
    got = decode(out)
    assert len(got) == total
    assert MP3(out).info.length == pytest.approx(total / RATE, abs=1e-6)
    for s, n in sounding:
        assert best_lag(got, x, s, s + n) == 0
        assert rms(got[s:s + n] - x[s:s + n]) < rms(x[s:s + n]) * 10 ** (-20 / 20)
    quiet = np.ones(total, bool)
    for s, n in sounding:  # exact zeros farther than a part's margins from any sound
        quiet[max(0, s - 3 * FRAME):s + n + 3 * FRAME] = False
    assert not got[quiet].any()
    assert strict_faults(out) == ""


@given(st.integers(0, FRAME - 1), st.integers(20, 80))
@settings(max_examples=12, deadline=None)
def test_any_remainder_is_exact(tmp_path_factory, remainder, frames):
    total = frames * FRAME + remainder
    x, sounding = bursts(total, [total // 3, total - 2000], 2000)
    out = tmp_path_factory.mktemp("r") / "r.mp3"
    encode(array_source(x), total, out, "96k", None, sounding)
    assert len(decode(out)) == total == read_tag(out).samples


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def best_lag(got: np.ndarray, want: np.ndarray, a: int, b: int, most: int = 8) -> int:
    """The shift of got[a:b] against want[a:b] that leaves the least difference (codec
    noise is about -25 dB here; one sample off, speech differs by about -17 dB)."""
    inner = want[a + most:b - most]
    errors = [np.mean((got[a + most + lag:b - most + lag] - inner) ** 2)
              for lag in range(-most, most + 1)]
    return int(np.argmin(errors)) - most


@pytest.fixture(scope="module")
def mix(speech_cache, tmp_path_factory):
    """The tiny script's full plan and its mixed samples, block by block, as rendered."""
    from conftest import DATA

    prep = prepare(DATA / "tiny.yaml")
    speech = speak(prep, Cache(speech_cache), Quiet())
    plan = plan_length(prep, speech, prep.lengths[0])
    audio = sources(prep, plan, speech).audio
    whole = np.concatenate(list(blocks(plan, audio)))
    return plan, audio, whole


def test_mix_is_exactly_the_plan(mix):
    """Every clip sits at its planned sample, at its level; silence is exact zeros."""
    plan, audio, whole = mix
    assert len(whole) == plan.total
    expected = np.zeros(plan.total, np.float32)
    for e in plan.events:
        if e.kind.sounds:
            key = ("speech", e.text) if e.kind == "speech" else ("chime", e.sound)
            expected[e.start:e.start + e.length] += audio(key)[:e.length]
    assert np.array_equal(whole, np.clip(expected, -1, 1))


@pytest.mark.parametrize("block", [1000, 4096, 1 << 16])
def test_parts_stream_the_same_samples(mix, block):
    """Streamed part by part (any block size), the samples are those of the whole, and
    the margins of every part are silent."""
    plan, audio, whole = mix
    parts = parts_for(sounding_spans(plan), plan.total, merge_gap=0)
    assert len(parts) >= 3
    pieces = [np.concatenate(list(blocks(plan, audio, block, p.start,
                                         min(p.stop, plan.total)))) for p in parts]
    for p, piece in zip(parts, pieces):
        assert np.array_equal(piece, whole[p.start:p.stop])
        assert p.first == 0 or not piece[:MARGIN * FRAME].any()
        assert p.stop >= plan.total or not piece[-MARGIN * FRAME:].any()


def encoded(mix, tmp_path: Path, whole: bool = False, name: str = "") -> Path:
    plan, audio, _ = mix
    out = tmp_path / (name or ("whole.mp3" if whole else "parts.mp3"))
    encode(lambda a, b: blocks(plan, audio, start=a, stop=b), plan.total, out, "96k",
           None, None if whole else sounding_spans(plan))
    return out


def test_the_stream_holds_each_part_as_encoded_alone(mix, tmp_path, monkeypatch):
    """Sample for sample, each part decodes in the stream as it decodes on its own, and
    everything between parts is exact zeros: the seams are inaudible by construction."""
    monkeypatch.setattr("audio_builder.mp3.slots.MERGE_GAP", 0)
    plan, audio, whole = mix
    out = encoded(mix, tmp_path)
    got = decode(out)
    assert len(got) == plan.total
    parts = parts_for(sounding_spans(plan), plan.total, merge_gap=0)
    covered = np.zeros(plan.total, bool)
    for p in parts:
        x = np.concatenate([whole[p.start:p.stop],
                            np.zeros(max(0, p.stop - plan.total), np.float32)])
        bare = subprocess.run(part_command("96k"), input=x.astype("<f4").tobytes(),
                              capture_output=True, check=True).stdout
        alone_mp3 = tmp_path / "alone.mp3"
        alone_mp3.write_bytes(bare)
        alone = decode(alone_mp3)[DELAY:]
        stop = min(p.stop, plan.total)
        assert np.allclose(got[p.start:stop], alone[:stop - p.start], atol=1e-6)
        covered[p.start:stop] = True
    assert not got[~covered].any()


def test_the_stream_keeps_every_promise_of_a_whole_encode(mix, tmp_path):
    plan, _, whole = mix
    ref, out = encoded(mix, tmp_path, whole=True), encoded(mix, tmp_path)
    tag, data = read_tag(out), out.read_bytes()
    assert tag.samples == plan.total and tag.size == len(data)
    assert tag.music_crc == crc16(data[tag.frame_bytes:])
    assert data.count(b"Info") == 1 and data[tag.lame:tag.lame + 9] == b"LAME3.100"
    assert crc16(data[:tag.lame + 34]) == int.from_bytes(data[tag.lame + 34:tag.lame + 36], "big")
    assert MP3(out).info.length == pytest.approx(plan.total / RATE, abs=1e-6)
    assert strict_faults(out) == ""
    # on the constant-bitrate line at every frame, so seeking by bitrate lands right
    line, pos, k = CbrLine(96), tag.frame_bytes, 0
    while pos < len(data):
        pos += frame_bytes(data[pos:pos + 4])
        k += 1
        assert abs((pos - tag.frame_bytes) - line.after(k)) <= 2
    assert k == tag.frames
    assert list(data[tag.toc:tag.toc + 100]) == [min(255, round(i * 2.56)) for i in range(100)]
    got, one = decode(out), decode(ref)
    assert len(got) == len(one) == plan.total
    for s, n in sounding_spans(plan):  # each sound where the plan puts it, as clean
        assert best_lag(got, whole, s, s + n) == 0
        assert rms(got[s:s + n] - whole[s:s + n]) < rms(one[s:s + n] - whole[s:s + n]) * 1.5


def test_a_part_that_does_not_fit_falls_back_to_one_encoder(mix, tmp_path, caplog,
                                                             monkeypatch):
    """A part the stream cannot take (here: a frame too many, as another libmp3lame might
    give) is caught; the session is encoded again in one piece, still exact."""
    calls = []

    def odd_first(bitrate: str, reservoir: bool = True) -> list[str]:
        calls.append(bitrate)
        cmd = part_command(bitrate, reservoir)
        if len(calls) == 1:
            cmd[cmd.index("-c:a"):cmd.index("-c:a")] = ["-af", f"apad=pad_len={FRAME}"]
        return cmd

    monkeypatch.setattr(encode_module, "part_command", odd_first)
    plan = mix[0]
    with caplog.at_level(logging.WARNING):
        out = encoded(mix, tmp_path, name="fallback.mp3")
    assert "encoding the session again in one piece" in caplog.text
    assert read_tag(out).samples == plan.total == len(decode(out))
    assert os.listdir(tmp_path) == ["fallback.mp3"]


def test_a_failing_part_stops_every_encoder(mix, tmp_path):
    """An error while mixing one part ends the whole encode with that error."""
    plan, audio, _ = mix
    parts = parts_for(sounding_spans(plan), plan.total)

    def source(a, b):
        if a == parts[-1].start:
            raise_after = blocks(plan, audio, 4096, a, b)
            yield next(raise_after)
            raise OSError("the speech cache went away")
        yield from blocks(plan, audio, start=a, stop=b)

    with pytest.raises(OSError, match="went away"):
        encode(source, plan.total, tmp_path / "x.mp3", "96k", None, sounding_spans(plan))
    # the target itself is the caller's to remove (atomic_output); nothing else is left
    assert [p.name for p in tmp_path.iterdir()] == ["x.mp3"]


def test_the_bytes_do_not_depend_on_the_machine(tmp_path, tiny, monkeypatch):
    """Parts are set by the plan, not by the cores or the encoders running at once: a
    one-core machine writes the same file as this one (SPEC.md: repeatable)."""
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
    assert render("one-encoder.mp3") == here


def test_a_tag_without_seek_table_is_read_where_it_is(mix, tmp_path):
    """The LAME extension follows whichever optional fields the Info tag has."""
    one = encoded(mix, tmp_path, whole=True)
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


def test_many_parts_waiting_behind_a_long_one_hold_no_descriptors(tmp_path):
    """A long sound, then a hundred short ones: the short parts finish first and wait
    their turn; with few file descriptors allowed, the render still completes."""
    script = f"""
import resource, sys
import numpy as np
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_encode import array_source, bursts
from audio_builder.mp3.encode import encode, decode
resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))
total = 400 * 44100
x, sounding = bursts(total, [0] + [150 * 44100 + 4 * 44100 * n for n in range(60)], 3000)
x[:120 * 44100] = 0.1 * np.sin(np.arange(120 * 44100) * 0.05)
sounding[0] = (0, 120 * 44100)
encode(array_source(x), total, {str(tmp_path / "many.mp3")!r}, "96k", None, sounding)
print(len(decode({str(tmp_path / "many.mp3")!r})) == total)
"""
    run = subprocess.run([os.sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.stdout == "True\n", run.stderr[-800:]
