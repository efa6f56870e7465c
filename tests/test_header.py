"""The Info/LAME header tells the truth about a constant-bitrate file: its method, bitrate,
lowpass and source rate, read back by our parser and by eyeD3 (an independent reader,
as players read it); its seek table rounded to nearest."""

from __future__ import annotations

import logging

import eyed3
import pytest
from click.testing import CliRunner

from audio_builder.cli import main
from audio_builder.mp3.infotag import parse_tag

logging.getLogger("eyed3").setLevel(logging.ERROR)


def stream_start(path) -> int:
    data = path.read_bytes()[:10]
    return 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])


@pytest.mark.parametrize(("bitrate", "lowpass"), [("64k", 16500), ("96k", 20000),
                                                  ("128k", 20000)])
def test_the_header_says_cbr_its_bitrate_lowpass_and_rate(tiny, tmp_path, bitrate, lowpass):
    out = tmp_path / f"{bitrate}.mp3"
    result = CliRunner().invoke(main, ["render", str(tiny), "-o", str(out), "--bitrate",
                                       bitrate])
    assert result.exit_code == 0, result.output
    lame = eyed3.load(str(out)).info.lame_tag
    kbps = int(bitrate[:-1])
    assert lame["vbr_method"] == "Constant Bitrate"
    assert lame["bitrate"] == (kbps, "Constant")
    assert lame["lowpass_filter"] == lowpass
    assert lame["sample_freq"] == "44.1 kHz"
    assert lame["stereo_mode"] == "Mono"
    with open(out, "rb") as f:  # the seek table: entry i is i/100 of 256, to nearest
        f.seek(stream_start(out))
        head = f.read(600)
    tag = parse_tag(head)
    assert tag.toc is not None
    toc = head[tag.toc:tag.toc + 100]
    assert list(toc) == [min(255, round(i * 2.56)) for i in range(100)]
    assert toc[1] == 3  # 2.56 rounds to 3; rounding down gave 2, a seek landing early


def test_read_tag_still_reads_delay_and_padding(tiny, tmp_path):
    out = tmp_path / "t.mp3"
    CliRunner().invoke(main, ["render", str(tiny), "-o", str(out)])
    lame = eyed3.load(str(out)).info.lame_tag
    with open(out, "rb") as f:
        f.seek(stream_start(out))
        tag = parse_tag(f.read(600))
    assert (lame["encoder_delay"], lame["encoder_padding"]) == (tag.delay, tag.padding)
    assert lame["music_length"] == tag.size
