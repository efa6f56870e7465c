"""MP3 encoding through ffmpeg's libmp3lame, only where the session sounds.

A guided session is mostly silence (80% of the psoas session, 94% of a long one), and
LAME spends its time on silence as on speech. So only the parts around sounds are
encoded (slots.py), several encoders at once, each fed block by block through a pipe by
one thread; every other frame slot gets a hand-made silent frame (frames.py). The stream
is written in slot order into the output file, and its Info/LAME tag (infotag.py) is
written last: frame and byte counts, seek table, delay and padding set from the session's
exact length, CRCs. Should a part not come out as the stream needs (another libmp3lame),
the session is encoded again in one piece, with a warning.
"""

from __future__ import annotations

import fcntl
import logging
import os
import selectors
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

from .. import RATE
from ..cores import encoders
from ..errors import ExportError
from ..ffmpeg import OWN_GROUP, decode_file, ffmpeg_exe
from .frames import FRAME, CbrLine, FrameCounter, SilentFrames, frame_bytes, is_header
from .infotag import InfoTag, crc16, parse_tag, write_tag
from .loop import LEAD, TAIL, LoopFrames, Steer, loop_frames, split_frames
from .slots import Part, parts_for, slot_count, whole

CODEC_LOSS_DB = {"64k": 0.44, "96k": 0.45, "128k": 0.45, "160k": 0.45, "192k": 0.27}
"""Loudness that LAME's CBR quantizer takes away, by bitrate, made up before encoding.

Measured here on speech, a 1 kHz tone and noise alike (integrated loudness before and
after encoding): the loss is a steady level drop, not a change of sound.
"""

_SETTINGS = ["-c:a", "libmp3lame", "-fflags", "+bitexact", "-flags:a", "+bitexact",
             "-map_metadata", "-1", "-id3v2_version", "0"]
_INPUT = ["-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0"]


def encode_command(out: Path, bitrate: str) -> list[str]:
    """ffmpeg encoding raw samples on stdin into a whole MP3 file with its Info tag (the
    bench's floor, and the template of the tag)."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *_INPUT,
            *_SETTINGS, "-b:a", bitrate, "-write_xing", "1", "-f", "mp3", str(out)]


def part_command(bitrate: str, reservoir: bool = True) -> list[str]:
    """ffmpeg encoding raw samples on stdin into bare MP3 frames on stdout; without the
    bit reservoir, every frame (but LAME's first few) reads only its own bytes."""
    return [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *_INPUT,
            *_SETTINGS, "-b:a", bitrate, *([] if reservoir else ["-reservoir", "0"]),
            "-write_xing", "0", "-flush_packets", "0", "-f", "mp3", "pipe:1"]


Source = Callable[[int, int], Iterable[np.ndarray]]
"""The session's samples from `start` to `stop`, as float32 blocks."""

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def tag_template(bitrate: str) -> bytes:
    """The Info/LAME tag frame libmp3lame writes at this bitrate (from one silent frame
    encoded in a temp folder): every field the stream's own tag keeps as LAME set it."""
    with tempfile.TemporaryDirectory(prefix="audio-builder-") as folder:
        out = Path(folder) / "tag.mp3"
        proc = subprocess.run(encode_command(out, bitrate), input=bytes(4 * FRAME),
                              capture_output=True, process_group=OWN_GROUP)
        if proc.returncode != 0 or not out.is_file():
            raise ExportError(f"ffmpeg could not encode the MP3: "
                              f"{proc.stderr.decode(errors='replace').strip()[:200]}")
        head = out.read_bytes()
    return head[:parse_tag(head).frame_bytes]


def encode(source: Source, total: int, out: Path, bitrate: str = "96k",
           progress: Callable[[int], None] | None = None,
           sounding: Iterable[tuple[int, int]] | None = None, after: int = 0,
           bed: Bed | None = None) -> InfoTag:
    """Encode samples [0, total) of `source` into an MP3 file at `out`.

    `sounding`: the (start, length) spans where anything sounds (mix.sounding_spans);
    the session is exact zeros elsewhere. None: sound everywhere (one whole part).
    `after`: the stream starts at this byte of `out`, after what is there (the ID3 tag,
    written first so that it never has to be inserted before hours of audio).
    `bed`: the loop a sound bed plays wherever `sounding` (which then holds its fades and
    ducks too) leaves room, at its steady gain: its frames are copied there (loop.py),
    and every part is encoded in chunks with a lead-in and a tail of the real session.
    """
    if bed is not None:
        loop = loop_frames(bed.loop, bed.gain, bitrate, part_command(bitrate, False))
        spans = list(sounding) if sounding is not None and loop is not None else [(0, total)]
        stream = _Stream(source, total, out, bitrate, progress, after, loop, context=True)
        try:
            return stream.write(chunked(parts_for(spans, total, BED_MERGE)))
        except _Misfit as exc:
            log.warning("%s; encoding the session again in one piece", exc)
            again = _Stream(source, total, out, bitrate, progress, after)
            again.reported = stream.reported
            return again.write(whole(total))
    parts = whole(total) if sounding is None else parts_for(sounding, total)
    first = _Stream(source, total, out, bitrate, progress, after)
    try:
        return first.write(parts)
    except _Misfit as exc:
        if parts == whole(total):
            raise ExportError(f"the encoder's output does not fit the stream: {exc}") from None
        log.warning("%s; encoding the session again in one piece", exc)
        again = _Stream(source, total, out, bitrate, progress, after)
        again.reported = first.reported  # the bar goes on from where it stood
        return again.write(whole(total))


@dataclass(frozen=True)
class Bed:
    """What encode needs of a sound bed: its loop (whole frames) and steady gain."""

    loop: np.ndarray
    gain: float


CHUNK = 1024
"""Frames (about 27 s) of the longest part under a bed: a session that sounds all
through is cut into chunks that join seamlessly (lead-in and tail), one per core."""
BED_MERGE = 2 * (LEAD + TAIL)
"""Under a bed, parts closer than this many slots are one: each costs its lead-in and
tail, where copying the frames between them costs nothing."""


def chunked(parts: list[Part]) -> list[Part]:
    """Parts of at most CHUNK slots (by the plan alone: every machine cuts alike)."""
    out = []
    for p in parts:
        for first in range(p.first, p.last + 1, CHUNK):
            out.append(Part(first, min(p.last, first + CHUNK - 1)))
    return out


class _Misfit(Exception):
    """A part that did not come out as the stream needs it."""


PIPE_BYTES = 1 << 20
"""Room asked for in each encoder's pipes (Linux allows up to 1 MiB unprivileged)."""
READ_BYTES = 1 << 16
MAX_WAITING = 8
"""Finished parts that may wait behind a long one before no new part is started: their
spools are what a render holds beyond its blocks."""
SPOOL_BYTES = 2 << 20
"""A part encoded ahead of its turn is kept in memory up to this size, then on disk (an
unnamed temp file: nothing is left behind if the render is killed)."""


@dataclass
class _Job:
    """One ffmpeg encoding one part: its input blocks, what it has given back so far."""

    part: Part
    blocks: Iterator[np.ndarray]
    proc: subprocess.Popen
    log: IO[bytes]
    counter: FrameCounter = field(default_factory=FrameCounter)
    spool: IO[bytes] | None = None
    """Output kept until the part's turn to be written; None once it streams to the file."""
    pending: memoryview = memoryview(b"")
    eof: bool = False
    trim: _Trim | None = None
    """Under a bed: the lead-in and tail frames to drop from what the encoder gives."""

    def messages(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[:200]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe:
                with suppress(OSError):
                    pipe.close()
        self.log.close()
        if self.spool:
            self.spool.close()


class _Trim:
    """Keeps frames skip..skip+keep-1 of an encoder's output, as whole frames."""

    def __init__(self, skip: int, keep: int) -> None:
        self.skip, self.keep, self.seen, self.buf = skip, keep, 0, b""

    def feed(self, data: bytes) -> bytes:
        buf, pos, out = self.buf + data, 0, []
        while pos + 4 <= len(buf):
            if not is_header(buf[pos:pos + 4]):
                raise ValueError(f"no frame header after {self.seen} frames")
            n = frame_bytes(buf[pos:pos + 4])
            if pos + n > len(buf):
                break
            if self.skip <= self.seen < self.skip + self.keep:
                out.append(buf[pos:pos + n])
            self.seen += 1
            pos += n
        self.buf = buf[pos:]
        return b"".join(out)


class _Stream:
    """The MP3 stream written in slot order: the tag frame (rewritten last), then each
    part's frames or silent frames, slot by slot, with a running CRC and byte count."""

    def __init__(self, source: Source, total: int, out: Path, bitrate: str,
                 progress: Callable[[int], None] | None, after: int = 0,
                 fill: LoopFrames | None = None, context: bool = False) -> None:
        self.source, self.total, self.out, self.bitrate = source, total, out, bitrate
        self.after = after
        self.progress = progress or (lambda n: None)
        self.template = tag_template(bitrate)
        line = CbrLine(int(bitrate[:-1]))
        if frame_bytes(self.template) not in (line.short, line.short + 1):
            raise ExportError(f"bitrate {bitrate}: the encoder's tag frame is not of that "
                              "bitrate; choose 64k or more")
        self.silent = SilentFrames.like(self.template[:4], line)
        self.fill: LoopFrames | SilentFrames = fill or self.silent
        self.context = context
        """Parts are encoded with a lead-in and tail of the session, without a reservoir,
        and their frames sized for the byte line as they are written (under a bed)."""
        self.steer = Steer(line) if context else None
        self.slots = slot_count(total)
        self.next_slot = 0
        self.written = 0
        self.crc = 0
        self.reported = 0
        self.file: BinaryIO | None = None

    # ---- writing, in slot order ----------------------------------------------------

    def _audio(self, data: bytes) -> None:
        assert self.file is not None
        self.file.write(data)
        self.crc = crc16(data, self.crc)
        self.written += len(data)

    def _silence_until(self, slot: int) -> None:
        """Silent frames (or the bed's loop frames) up to `slot`."""
        for block in self.fill.run(self.next_slot, slot - self.next_slot, self.written):
            self._audio(block)
        self._advance(slot)

    def _part_frames(self, data: bytes, slot: int) -> None:
        """A part's frames from `slot` on, sized for the byte line under a bed."""
        if self.steer is None:
            self._audio(data)
            return
        for n, frame in enumerate(split_frames(data)):
            self._audio(self.steer.frame(frame, slot + n, self.written))

    def _advance(self, slot: int) -> None:
        """Report progress in samples, up to the session's end."""
        self.next_slot = slot
        done = min(self.total, slot * FRAME)
        if done > self.reported:
            self.progress(done - self.reported)
            self.reported = done

    def write(self, parts: list[Part]) -> InfoTag:
        with open(self.out, "r+b" if self.after else "wb") as self.file:
            self.file.seek(self.after)
            self.file.write(self.template)
            self._encode(parts)
            self._silence_until(self.slots)
            self.file.truncate()  # a first attempt (see encode) may have written more
        tag = parse_tag(self.template)
        delay = tag.delay
        tag = replace(tag, frames=self.slots, size=len(self.template) + self.written,
                      padding=self.slots * FRAME - delay - self.total, music_crc=self.crc)
        write_tag(self.out, tag, linear_toc=True, offset=self.after)
        return tag

    # ---- the encoders --------------------------------------------------------------

    def _blocks(self, part: Part) -> Iterator[np.ndarray]:
        """The part's input: the session's samples, then zeros to its whole frames
        (under a bed, from LEAD frames before it to TAIL after it: zeros outside)."""
        start, stop = part.start, part.stop
        if self.context:
            start, stop = start - LEAD * FRAME, stop + (1 + TAIL) * FRAME
        if start < 0:
            yield np.zeros(-start, np.float32)
        if max(start, 0) < min(stop, self.total):
            yield from self.source(max(start, 0), min(stop, self.total))
        if stop > max(self.total, start):
            yield np.zeros(stop - max(self.total, start), np.float32)

    def _start(self, part: Part) -> _Job:
        err = tempfile.TemporaryFile()
        proc = subprocess.Popen(part_command(self.bitrate, not self.context),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                process_group=OWN_GROUP)
        job = _Job(part, self._blocks(part), proc, err,
                   spool=tempfile.SpooledTemporaryFile(SPOOL_BYTES),
                   trim=_Trim(LEAD, part.frames) if self.context else None)
        for pipe in (proc.stdin, proc.stdout):
            assert pipe is not None
            os.set_blocking(pipe.fileno(), False)
            with suppress(OSError, AttributeError):
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        return job

    def _encode(self, parts: list[Part]) -> None:
        """Run up to encoders() ffmpegs at once, fed and drained by this one thread (no
        locks, and memory stays that of one thread); the earliest unfinished part streams
        into the file, later ones wait in their spools (a finished one no longer counts
        against the encoders running, so a long part never leaves a core idle)."""
        waiting, turn = list(reversed(parts)), 0
        running: list[_Job] = []
        at_once = encoders()
        selector = selectors.DefaultSelector()
        try:
            while turn < len(parts):
                while (waiting and sum(not _done(j) for j in running) < at_once
                       and sum(_done(j) for j in running) < MAX_WAITING):
                    job = self._start(waiting.pop())
                    running.append(job)
                    stdin, stdout = job.proc.stdin, job.proc.stdout
                    assert stdin is not None and stdout is not None
                    selector.register(stdin.fileno(), selectors.EVENT_WRITE, job)
                    selector.register(stdout.fileno(), selectors.EVENT_READ, job)
                    if job.part == parts[turn]:
                        self._take_turn(job)
                for key, events in selector.select():
                    job = key.data
                    if events & selectors.EVENT_READ:
                        self._drain(job, selector, key.fd)
                    else:
                        self._feed(job, selector, key.fd)
                while turn < len(parts) and (done := _finished(running, parts[turn])):
                    self._close(done)
                    running.remove(done)
                    turn += 1
                    nxt = [j for j in running if turn < len(parts) and j.part == parts[turn]]
                    if nxt:
                        self._take_turn(nxt[0])
        finally:
            selector.close()
            for job in running:
                job.stop()

    def _take_turn(self, job: _Job) -> None:
        """The part is next in the stream: silence up to it, then what it has made."""
        self._silence_until(job.part.first)
        assert job.spool is not None
        job.spool.seek(0)
        if self.steer is not None:  # whole frames, sized one by one
            self._part_frames(job.spool.read(), job.part.first)
        while data := job.spool.read(1 << 20):
            self._audio(data)
        job.spool.close()
        job.spool = None
        self._advance(job.part.first + job.counter.frames)

    def _drain(self, job: _Job, selector: selectors.BaseSelector, fd: int) -> None:
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return
        if not data:
            selector.unregister(fd)
            self._ended(job)
            return
        slot = job.part.first + job.counter.frames
        try:
            if job.trim is not None:
                data = job.trim.feed(data)
            job.counter.feed(data)
        except ValueError as exc:
            raise _Misfit(f"part at slot {job.part.first}: {exc}") from None
        if job.spool is None:
            self._part_frames(data, slot)
            self._advance(job.part.first + job.counter.frames)
        else:
            job.spool.write(data)

    def _feed(self, job: _Job, selector: selectors.BaseSelector, fd: int) -> None:
        if not job.pending:
            chunk = next(job.blocks, None)
            if chunk is None:
                selector.unregister(fd)
                assert job.proc.stdin is not None
                job.proc.stdin.close()
                return
            job.pending = np.ascontiguousarray(chunk, "<f4").data.cast("B")
        try:
            job.pending = job.pending[os.write(fd, job.pending):]
        except BlockingIOError:
            return
        except BrokenPipeError:
            job.proc.wait()
            raise ExportError(f"ffmpeg stopped while encoding: {job.messages()}") from None

    def _ended(self, job: _Job) -> None:
        """The encoder has given back everything: check its frames, and let go of its
        process, pipe and log at once (a part waiting its turn keeps only its spool, so
        many can wait without running out of file descriptors)."""
        job.eof = True
        if job.proc.wait() != 0:
            raise ExportError(f"ffmpeg could not encode the MP3: {job.messages()}")
        part, counter = job.part, job.counter
        if not counter.complete() or counter.frames != part.frames or counter.first_reach:
            raise _Misfit(f"the part at slot {part.first} came out as {counter.frames} "
                          f"frames (first reaching back {counter.first_reach} bytes), not "
                          f"the {part.frames} the stream needs")
        for pipe in (job.proc.stdin, job.proc.stdout):
            if pipe:
                with suppress(OSError):
                    pipe.close()
        job.log.close()

    def _close(self, job: _Job) -> None:
        """A part's frames are all in the file."""
        self._advance(job.part.last + 1)
        job.stop()


def _done(job: _Job) -> bool:
    """Whether the encoder has given back everything (its frames may wait their turn)."""
    return job.eof


def _finished(running: list[_Job], part: Part) -> _Job | None:
    """The job of `part`, if its encoder has given back everything."""
    return next((j for j in running if j.part == part and _done(j)), None)


def decode(path: Path) -> np.ndarray:
    """Decode an MP3 to mono float32 at RATE (honours the gapless header)."""
    return decode_file(path, RATE)
