"""A sound bed's loop as MP3 frames, encoded once and copied wherever the bed plays
alone and steady, as silent frames fill the silence of a session without a bed.

The loop is a whole number of frames (sound/bed.py), so slot k of any session plays the
loop's frame k mod M. It is encoded without LAME's bit reservoir (`-reservoir 0`): every
frame then reads only its own bytes (`main_data_begin` 0) and may sit after any other
frame. LAME's first few frames still reach back, so the loop is encoded after LEAD frames
of its own end, which are dropped. The stretches where the bed changes (fades, ducks) or
where anything else sounds are encoded as parts with the same lead-in and a tail of the
real session (encode.py), so every frame was made from the sound on both sides of it.

Frames are resized to keep the stream on its constant-bitrate byte line: a frame gains
a padding byte (a zero after its data, which nothing reads), or loses one when its last
byte is stuffing (its side information says how many bits it uses).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import RATE
from ..ffmpeg import OWN_GROUP
from .frames import FRAME, HEADER, CbrLine, frame_bytes, main_data_begin

LEAD = 8
"""Frames of real sound encoded before the first kept frame (LAME's first five frames
reach back even without a reservoir: measured on rain and speech)."""
TAIL = 3
"""Frames of real sound encoded after the last kept frame: its look-ahead and overlap."""
SIDE_INFO = 17
"""Bytes of side information of an MPEG-1 mono frame (without CRC)."""


def used_bits(frame: bytes | memoryview) -> int:
    """Bits of main data the frame's two granules use (part2_3_length, MPEG-1 mono)."""
    bits = int.from_bytes(bytes(frame[HEADER:HEADER + SIDE_INFO]), "big")

    def field(offset: int, length: int) -> int:
        return (bits >> (SIDE_INFO * 8 - offset - length)) & ((1 << length) - 1)
    return field(18, 12) + field(77, 12)


def resized(frame: bytes, padded: bool) -> bytes | None:
    """The frame with or without its padding byte; None if its last byte is data."""
    has = bool(frame[2] & 0b10)
    if has == padded:
        return frame
    if padded:
        return bytes([frame[0], frame[1], frame[2] | 0b10]) + frame[3:] + b"\0"
    room = (len(frame) - 1 - HEADER - SIDE_INFO) * 8
    if used_bits(frame) > room:
        return None
    return bytes([frame[0], frame[1], frame[2] & ~0b10 & 0xFF]) + frame[3:-1]


def self_contained(frame: bytes | memoryview) -> bool:
    """Mono, no CRC, and reading no bytes of the frames before it."""
    return bool(frame[1] & 1) and (frame[3] >> 6) == 3 and main_data_begin(frame) == 0


def split_frames(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + HEADER <= len(data):
        n = frame_bytes(data[pos:pos + HEADER])
        out.append(data[pos:pos + n])
        pos += n
    return out


class Steer:
    """Sizes frames, one slot after another, to keep the stream on the CBR line."""

    def __init__(self, line: CbrLine) -> None:
        self.line = line

    def frame(self, frame: bytes, slot: int, written: int) -> bytes:
        """`frame` for `slot`, padded or not as brings the byte count toward the line
        (as it is if it cannot be)."""
        padded = self.line.after(slot + 1) - written > self.line.short
        return resized(frame, padded) or frame


@dataclass(frozen=True)
class LoopFrames:
    """The loop's frames, one per phase: slot k plays phase k % M, without or with its
    padding byte (None where the frame's last byte is data and cannot go)."""

    plain: tuple[bytes | None, ...]
    padded: tuple[bytes, ...]
    line: CbrLine

    def run(self, first_slot: int, slots: int, written: int, chunk: int = 1024
            ) -> Iterator[bytes]:
        """Frames for `slots` slots from `first_slot`, sized to keep the byte line (as
        SilentFrames.run), given `written` audio bytes so far; in chunks."""
        m, k, end, line = len(self.padded), first_slot, first_slot + slots, self.line
        while k < end:
            n = min(chunk, end - k)
            block: list[bytes] = []
            if written == line.after(k):  # on the line: the line's sizes, while it can
                ends = np.arange(k, k + n + 1, dtype=np.int64) * (144_000 * line.kbps)
                pads = (np.diff(ends // line.rate) - line.short).tolist()
                for pad, j in zip(pads, range(k, k + n)):
                    f = self.padded[j % m] if pad else self.plain[j % m]
                    if f is None:
                        break
                    block.append(f)
            if not block:  # off the line (or a frame that cannot shed its byte): steer
                j = k % m
                grow = line.after(k + 1) - written > line.short
                block = [self.padded[j] if grow else (self.plain[j] or self.padded[j])]
            data = b"".join(block)
            written += len(data)
            k += len(block)
            yield data


def loop_frames(loop: np.ndarray, gain: float, bitrate: str, command: list[str]
                ) -> LoopFrames | None:
    """The loop at `gain`, encoded once by `command` (encode.part_command without a
    reservoir); None if it cannot be copied (not on the frame grid, or a frame that
    reaches back): the session is then encoded whole."""
    if len(loop) % FRAME or len(loop) < LEAD * FRAME:
        return None
    m = len(loop) // FRAME
    x = np.concatenate([loop[-LEAD * FRAME:], loop, loop[:TAIL * FRAME]]) * np.float32(gain)
    proc = subprocess.run(command, input=np.ascontiguousarray(x, "<f4").tobytes(),
                          capture_output=True, process_group=OWN_GROUP)
    if proc.returncode != 0:
        return None
    frames = split_frames(proc.stdout)[LEAD:LEAD + m]
    if len(frames) != m or not all(self_contained(f) for f in frames):
        return None
    padded = tuple(resized(f, True) or f for f in frames)
    return LoopFrames(tuple(resized(f, False) for f in frames), padded,
                      CbrLine(int(bitrate[:-1]), RATE))
