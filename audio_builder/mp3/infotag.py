"""The Info/LAME tag in an MP3's first frame: read it, and write it for a stream the
encoder did not write whole (encode.py assembles it from parts and silent frames).

The tag holds the frame and byte counts, a seek table, the encoder delay and padding (the
gapless fields), the CRC of the audio frames, and the tag's own CRC. Players trust delay
and padding only after a "LAME" version string; ffmpeg signs its tag "Lavf".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import fastcrc

from ..errors import ExportError
from .frames import FRAME, frame_bytes, header_kbps, header_rate, is_header

CBR_METHOD = 1
"""The LAME tag's VBR-method nibble for a constant bitrate (0 reads as "unknown")."""
LOWPASS_HZ = {64: 16500}
"""libmp3lame's lowpass for mono CBR at 44.1 kHz, by bitrate; 20000 for 96 kbps and up.
Measured: white noise encoded by the project's ffmpeg and decoded, the edge where the
spectrum falls (64 kbps: -0.3 dB at 16.0 kHz, -7 dB at 16.5; 96 kbps and up: -1 dB at
19.5 kHz, -17 dB at 20.0)."""
SOURCE_RATE_BITS = {32000: 0, 44100: 1, 48000: 2}
"""The tag's source sample-frequency field: <= 32 kHz, 44.1, 48, more."""


def cbr_fields(head: bytes | memoryview) -> tuple[int, int, int]:
    """What the LAME tag should say of a constant-bitrate stream whose first frame header
    this is: the revision/method byte, the lowpass in units of 100 Hz, the bitrate byte."""
    kbps = header_kbps(head)
    return CBR_METHOD, LOWPASS_HZ.get(kbps, 20000) // 100, min(kbps, 255)


def _linear_toc() -> bytes:
    """The seek table of a constant bitrate: i% of the time is i% of the bytes, each entry
    rounded to nearest (rounding down lands seeks up to 1/256 of the file early)."""
    return bytes(min(255, round(i * 256 / 100)) for i in range(100))


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (poly 0x8005, reflected), as LAME computes both of its tag's CRCs."""
    return fastcrc.crc16.arc(data, initial=crc)


@dataclass(frozen=True)
class InfoTag:
    at: int
    """Offset of b"Info" in the file (the tag frame starts the file)."""
    lame: int
    """Offset of the LAME extension (encoder name, delay and padding, CRCs)."""
    toc: int | None
    """Offset of the 100-byte seek table, if the tag has one."""
    frame_bytes: int
    """Size of the tag's own frame, which holds no audio."""
    frames: int
    """Audio frames after the tag frame."""
    size: int
    """Bytes of the whole stream, tag frame included."""
    delay: int
    """Encoder delay in samples (decoders skip it, with their own 529)."""
    padding: int
    """Samples of padding at the end, skipped by decoders."""
    music_crc: int
    """CRC-16 of the audio frames after the tag frame."""

    @property
    def samples(self) -> int:
        """What a gapless decoder gives back: exactly the samples that were encoded."""
        return self.frames * FRAME - self.delay - self.padding


def read_tag(path: Path) -> InfoTag:
    """The Info tag at the start of `path` (see parse_tag)."""
    with open(path, "rb") as f:
        return parse_tag(f.read(512))


def parse_tag(head: bytes) -> InfoTag:
    """The Info tag of the frame at the start of `head`; ExportError if there is none, or
    if it lacks the counts or the encoder delay and padding (the length would be inexact)."""
    if not is_header(head):
        raise ExportError("the encoder wrote no MPEG-1 Layer III frame")
    mono = head[3] >> 6 == 3
    at = 4 + (0 if head[1] & 1 else 2) + (17 if mono else 32)  # after the side info
    if head[at:at + 4] not in (b"Info", b"Xing"):
        raise ExportError("the encoder wrote no Info header; the length would be inexact")
    flags = int.from_bytes(head[at + 4:at + 8], "big")
    if flags & 0b0011 != 0b0011:
        raise ExportError("the encoder's Info header lacks the frame and byte counts")
    toc = at + 16 if flags & 0b0100 else None
    lame = at + 16 + (100 if toc else 0) + (4 if flags & 0b1000 else 0)
    if len(head) < lame + 36 or head[lame:lame + 4] not in (b"LAME", b"Lavf", b"Lavc"):
        raise ExportError("the encoder's Info header gives no encoder delay and padding; "
                          "the length would be inexact")
    gap = head[lame + 21:lame + 24]
    return InfoTag(
        at=at, lame=lame, toc=toc, frame_bytes=frame_bytes(head),
        frames=int.from_bytes(head[at + 8:at + 12], "big"),
        size=int.from_bytes(head[at + 12:at + 16], "big"),
        delay=(gap[0] << 4) | (gap[1] >> 4), padding=((gap[1] & 0x0F) << 8) | gap[2],
        music_crc=int.from_bytes(head[lame + 32:lame + 34], "big"))


def write_tag(path: Path, tag: InfoTag, linear_toc: bool = False, offset: int = 0) -> None:
    """Write `tag`'s fields into the file's tag frame, signed "LAME3.100", CRC renewed.

    The sounding frames are libmp3lame's (the silent ones hand-made, decoding to zeros),
    so the signature tells players what they need: trust the gapless fields. With
    `linear_toc`, the seek table is rewritten for a constant bitrate. `offset`: where the
    stream starts in the file (after an ID3 tag)."""
    with open(path, "r+b") as f:
        at, lame = tag.at, tag.lame
        f.seek(offset)
        head = bytearray(f.read(lame + 36))
        head[at + 8:at + 12] = tag.frames.to_bytes(4, "big")
        head[at + 12:at + 16] = tag.size.to_bytes(4, "big")
        if linear_toc and tag.toc is not None:
            head[tag.toc:tag.toc + 100] = _linear_toc()
        head[lame:lame + 9] = b"LAME3.100"
        # a CBR file says so: method, lowpass, bitrate and the source's rate (ffmpeg's
        # own tag leaves them 0, which players read as VBR, "<= 32 kHz")
        method, lowpass, kbps = cbr_fields(head)
        head[lame + 9] = method
        head[lame + 10] = lowpass
        head[lame + 20] = kbps
        rate_bits = SOURCE_RATE_BITS.get(header_rate(head), 3)
        head[lame + 24] = (head[lame + 24] & 0x3F) | (rate_bits << 6)
        head[lame + 21:lame + 24] = ((tag.delay << 12) | tag.padding).to_bytes(3, "big")
        head[lame + 28:lame + 32] = tag.size.to_bytes(4, "big")
        head[lame + 32:lame + 34] = tag.music_crc.to_bytes(2, "big")
        head[lame + 34:lame + 36] = crc16(bytes(head[:lame + 34])).to_bytes(2, "big")
        f.seek(offset)
        f.write(head)
