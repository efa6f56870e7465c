"""The Info/LAME tag that ffmpeg writes in an MP3's first frame: read it, sign it, and
join MP3 parts encoded side by side into one gapless file.

The tag holds the frame and byte counts, a seek table, the encoder delay and padding (the
gapless fields), the CRC of the audio frames, and the tag's own CRC. Players trust delay
and padding only after a "LAME" version string; ffmpeg signs its tag "Lavf".
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ExportError

FRAME = 1152
"""Samples in one MPEG-1 Layer III frame."""
_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (poly 0x8005, reflected), as LAME computes both of its tag's CRCs."""
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def _apply(matrix: list[int], reg: int) -> int:
    out, bit = 0, 0
    while reg:
        if reg & 1:
            out ^= matrix[bit]
        reg >>= 1
        bit += 1
    return out


def crc16_combine(crc_a: int, crc_b: int, len_b: int) -> int:
    """crc16(a + b) from crc16(a), crc16(b) and len(b), without reading a or b again.

    With a zero start value the CRC is linear: feeding b to the register crc_a gives
    crc_b xor (crc_a run through len_b zero bytes); the zero bytes are applied by
    squaring the 16x16 bit matrix of one zero byte, so the cost is log(len_b)."""
    matrix = [crc16(b"\0", 1 << bit) for bit in range(16)]
    while len_b:
        if len_b & 1:
            crc_a = _apply(matrix, crc_a)
        matrix = [_apply(matrix, column) for column in matrix]
        len_b >>= 1
    return crc_a ^ crc_b


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


def _frame_bytes(header: bytes) -> int:
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xFE) != 0xFA:
        raise ExportError("the encoder wrote no MPEG-1 Layer III frame")
    kbps = _KBPS[min(header[2] >> 4, len(_KBPS) - 1)]
    rate = _RATES[min((header[2] >> 2) & 3, len(_RATES) - 1)]
    return 144_000 * kbps // rate + ((header[2] >> 1) & 1)


def read_tag(path: Path) -> InfoTag:
    """The Info tag at the start of `path`; ExportError if there is none, or if it lacks
    the counts or the encoder delay and padding (the length would be inexact)."""
    with open(path, "rb") as f:
        head = f.read(512)
    frame_bytes = _frame_bytes(head)
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
        at=at, lame=lame, toc=toc, frame_bytes=frame_bytes,
        frames=int.from_bytes(head[at + 8:at + 12], "big"),
        size=int.from_bytes(head[at + 12:at + 16], "big"),
        delay=(gap[0] << 4) | (gap[1] >> 4), padding=((gap[1] & 0x0F) << 8) | gap[2],
        music_crc=int.from_bytes(head[lame + 32:lame + 34], "big"))


def write_tag(path: Path, tag: InfoTag, linear_toc: bool = False) -> None:
    """Write `tag`'s fields into the file's tag frame, signed "LAME3.100", CRC renewed.

    The audio frames are libmp3lame 3.100's own, so the signature is true. With
    `linear_toc`, the seek table is rewritten for a constant bitrate (after a join)."""
    with open(path, "r+b") as f:
        at, lame = tag.at, tag.lame
        head = bytearray(f.read(lame + 36))
        head[at + 8:at + 12] = tag.frames.to_bytes(4, "big")
        head[at + 12:at + 16] = tag.size.to_bytes(4, "big")
        if linear_toc and tag.toc is not None:
            head[tag.toc:tag.toc + 100] = bytes(min(255, i * 256 // 100) for i in range(100))
        head[lame:lame + 9] = b"LAME3.100"
        head[lame + 21:lame + 24] = ((tag.delay << 12) | tag.padding).to_bytes(3, "big")
        head[lame + 28:lame + 32] = tag.size.to_bytes(4, "big")
        head[lame + 32:lame + 34] = tag.music_crc.to_bytes(2, "big")
        head[lame + 34:lame + 36] = crc16(bytes(head[:lame + 34])).to_bytes(2, "big")
        f.seek(0)
        f.write(head)


def sign(path: Path) -> InfoTag:
    """Re-sign ffmpeg's tag as LAME's, so readers such as mutagen trust its gapless
    fields (without it they show the file 41 ms too long)."""
    tag = read_tag(path)
    write_tag(path, tag)
    return tag


def join(first: Path, rest: list[Path], spans: list[int]) -> InfoTag:
    """Append the audio frames of `rest` to `first` and make its tag describe the whole.

    `spans[i]` is the number of samples part i must fill, every part but the last: its
    frames times FRAME. The decoder then puts each later part exactly where it began on
    the timeline. The samples a part did not fill (its padding, the next part's encoder
    delay) fall in the silence the cut was chosen in (see mp3/cuts.py).
    """
    tags = [read_tag(p) for p in (first, *rest)]
    for tag, span in zip(tags[:-1], spans):
        if tag.frames * FRAME != span or tag.delay != tags[0].delay:
            raise ExportError(f"an encoded part has {tag.frames} frames and delay {tag.delay}"
                              f", not the {span // FRAME} frames the join needs")
    crc, size = tags[0].music_crc, first.stat().st_size
    with open(first, "ab") as out:
        for path, tag in zip(rest, tags[1:]):
            with open(path, "rb") as part:
                part.seek(tag.frame_bytes)
                shutil.copyfileobj(part, out, 1 << 20)
            audio = path.stat().st_size - tag.frame_bytes
            crc = crc16_combine(crc, tag.music_crc, audio)
            size += audio
    whole = replace(tags[0], frames=sum(t.frames for t in tags), size=size,
                    padding=tags[-1].padding, music_crc=crc)
    write_tag(first, whole, linear_toc=True)
    return whole
