"""MPEG-1 Layer III frames, at the level a stream is assembled from: their sizes, the
constant-bitrate byte line, and the silent frame that fills every slot where nothing
sounds.

A session is a row of frame slots. Slot k decodes to output samples that LAME placed
there; a slot where the session is silent needs no encoder at all: a hand-made frame
whose side information is all zero (no main data, `main_data_begin` 0, so it reads no
bit-reservoir bytes across a seam) decodes to exact zeros.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import RATE

FRAME = 1152
"""Samples in one MPEG-1 Layer III frame."""
_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)
HEADER = 4


def is_header(data: bytes | memoryview) -> bool:
    """An MPEG-1 Layer III frame header (no CRC or with one) at the start of `data`, of a
    bitrate and sample rate with a size (not free-format, nor a reserved value)."""
    return (len(data) >= HEADER and data[0] == 0xFF and (data[1] & 0xFE) == 0xFA
            and 0 < data[2] >> 4 < 15 and (data[2] >> 2) & 3 != 3)


def frame_bytes(header: bytes | memoryview) -> int:
    """The size of the frame whose 4-byte header this is (padding byte included)."""
    kbps = _KBPS[min(header[2] >> 4, len(_KBPS) - 1)]
    rate = _RATES[min((header[2] >> 2) & 3, len(_RATES) - 1)]
    return 144_000 * kbps // rate + ((header[2] >> 1) & 1)


def header_kbps(header: bytes | memoryview) -> int:
    return _KBPS[min(header[2] >> 4, len(_KBPS) - 1)]


def header_rate(header: bytes | memoryview) -> int:
    return _RATES[min((header[2] >> 2) & 3, len(_RATES) - 1)]


def main_data_begin(frame: bytes | memoryview) -> int:
    """How many bytes before this frame its audio data starts (the bit reservoir)."""
    at = HEADER + (0 if frame[1] & 1 else 2)
    return (frame[at] << 1) | (frame[at + 1] >> 7)


class FrameCounter:
    """Counts the frames of a stream fed in arbitrary chunks, checking each header, and
    keeps the first frame's `main_data_begin` (it must be 0 where a part starts)."""

    def __init__(self) -> None:
        self.frames = 0
        self.first_reach: int | None = None
        self._rest = b""
        """The start of a frame header cut by the end of the last chunk."""
        self._skip = 0
        """Bytes of the current frame still to come."""

    def feed(self, chunk: bytes) -> None:
        data = self._rest + chunk if self._rest else chunk
        pos = self._skip
        while pos + 8 <= len(data):  # a header, its CRC if any, main_data_begin
            head = data[pos:pos + 8]
            if not is_header(head):
                raise ValueError(f"no frame header after {self.frames} frames")
            if self.frames == 0:
                self.first_reach = main_data_begin(head)
            self.frames += 1
            pos += frame_bytes(head)
        self._skip, self._rest = (pos - len(data), b"") if pos >= len(data) else (0, data[pos:])

    def complete(self) -> bool:
        """Whether the stream ended at the end of a whole frame."""
        return not self._skip and not self._rest


@dataclass(frozen=True)
class CbrLine:
    """Where a constant-bitrate stream's byte count should be after each frame: players
    seek by bitrate, so every slot stays on floor(k * 144000 * kbps / rate) bytes."""

    kbps: int
    rate: int = RATE

    def after(self, slots: int) -> int:
        """Audio bytes a stream on the line has after `slots` frames."""
        return slots * 144_000 * self.kbps // self.rate

    @property
    def short(self) -> int:
        return 144_000 * self.kbps // self.rate


@dataclass(frozen=True)
class SilentFrames:
    """The two silent frames of a bitrate (without and with the padding byte)."""

    line: CbrLine
    plain: bytes
    padded: bytes

    @classmethod
    def like(cls, header: bytes, line: CbrLine) -> SilentFrames:
        """Silent frames with the header fields (version, rate, mode...) of `header`."""
        base = bytes([header[0], header[1] | 1, header[2] & ~0b10, header[3]])  # no CRC
        padded = bytes([base[0], base[1], base[2] | 0b10, base[3]])
        return cls(line, base + bytes(line.short - HEADER),
                   padded + bytes(line.short + 1 - HEADER))

    def run(self, first_slot: int, slots: int, written: int, chunk: int = 1024
            ) -> Iterator[bytes]:
        """Frames for `slots` slots from `first_slot` on, given `written` audio bytes so
        far, each sized to bring the byte count back onto the line; in chunks of bytes.

        Off the line (after a part, whose own padding started at its own first frame)
        the first frames steer back one byte at a time; on it, the sizes are the line's."""
        k, end, frames = first_slot, first_slot + slots, (self.plain, self.padded)
        while k < end:
            n = min(chunk, end - k)
            if written == self.line.after(k):
                ends = np.arange(k, k + n + 1, dtype=np.int64) * (144_000 * self.line.kbps)
                sizes = np.diff(ends // self.line.rate) - self.line.short
                block = b"".join([frames[int(p)] for p in sizes])
            else:
                steer = self.line.after(k + 1) - written > self.line.short
                block, n = frames[steer], 1
            written += len(block)
            k += n
            yield block
