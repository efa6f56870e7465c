"""MP3 encoding through ffmpeg's libmp3lame, fed block by block through a pipe.

libmp3lame (unlike lameenc) writes the Info/LAME header with the encoder delay and
padding, so players show the exact length and chapters land on time. The encoder is the
floor of a render's time, so a session is cut in silence into parts, encoded at once on
every core and joined (cuts.py, infotag.py). Output goes to a temp file beside the target
and is renamed into place only when complete.
"""

from __future__ import annotations

import fcntl
import logging
import os
import selectors
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

from .. import RATE
from ..cores import from_env
from ..errors import ExportError
from ..ffmpeg import OWN_GROUP, decode_file, ffmpeg_exe
from .infotag import FRAME, InfoTag, join, sign

CODEC_LOSS_DB = {"64k": 0.44, "96k": 0.45, "128k": 0.45, "160k": 0.45, "192k": 0.27}
"""Loudness that LAME's CBR quantizer takes away, by bitrate, made up before encoding.

Measured here on speech, a 1 kHz tone and noise alike (integrated loudness before and
after encoding): the loss is a steady level drop, not a change of sound.
"""


def encode_command(out: Path, bitrate: str) -> list[str]:
    return [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
        "-c:a", "libmp3lame", "-b:a", bitrate,
        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
        "-id3v2_version", "0", "-write_xing", "1",
        "-f", "mp3", str(out),
    ]


Source = Callable[[int, int], Iterable[np.ndarray]]
"""The session's samples from `start` to `stop`, as float32 blocks."""

log = logging.getLogger(__name__)


PARTS = 2
"""Parts a session is encoded in, all at once. A constant, not the core count, so every
machine writes the same bytes (SPEC.md: repeatable). Measured on 2 cores, 45 minutes,
five runs each: 2 parts 4.83 s, 4 parts 5.31 s (the feeding thread gets less of the
machine); more cores would gain from more parts, at the price of other bytes."""


def encoders() -> int:
    """Parts to encode in (AUDIO_BUILDER_ENCODERS overrides PARTS; 1: one encoder)."""
    return from_env("AUDIO_BUILDER_ENCODERS", PARTS)


def encode(source: Source, total: int, out: Path, bitrate: str = "96k",
           progress: Callable[[int], None] | None = None, cuts: Sequence[int] = ()) -> None:
    """Encode samples [0, total) of `source` into an MP3 file at `out`.

    With `cuts` (from cuts.cut_points: frame-aligned, in silence), each part has its own
    ffmpeg, all running at once, and the parts are joined into one gapless stream of
    exactly `total` samples. Should a part not come out the length the join needs (a
    different libmp3lame), the session is encoded again as one part, with a warning.
    """
    bounds = [0, *cuts, total]
    spans = list(zip(bounds, bounds[1:]))
    parts = [out, *(out.with_name(f"{out.name}.{i}") for i in range(1, len(spans)))]
    last = len(spans) - 1  # every part but the last stops a frame short of its cut
    try:
        _run([(source(a, b if i == last else b - FRAME), path)
              for i, ((a, b), path) in enumerate(zip(spans, parts))], bitrate, progress)
        if len(parts) == 1:
            _check_length(sign(out), total)
            return
        if progress:
            progress(FRAME * len(cuts))  # the frames the parts leave to the join
        try:
            whole = join(out, parts[1:], [b - a for a, b in spans])
        except ExportError as exc:
            log.warning("%s; encoding again on one core", exc)
            encode(source, total, out, bitrate)
            return
        _check_length(whole, total)
    finally:
        for path in parts[1:]:
            path.unlink(missing_ok=True)


PIPE_BYTES = 1 << 20
"""Room asked for in each encoder's pipe (Linux allows up to 1 MiB unprivileged)."""


class _Encoder:
    """One ffmpeg encoding one part. Its messages go to a temp file, not a pipe: a pipe
    nobody reads while feeding could fill and stall it."""

    def __init__(self, path: Path, bitrate: str) -> None:
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(encode_command(path, bitrate), stdin=subprocess.PIPE,
                                     stderr=self.log, process_group=OWN_GROUP)

    def messages(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace").strip()[:200]

    def finish(self) -> None:
        if self.proc.wait() != 0:
            raise ExportError(f"ffmpeg could not encode the MP3: {self.messages()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdin:
            with suppress(OSError):
                self.proc.stdin.close()
        self.log.close()


def _run(jobs: list[tuple[Iterable[np.ndarray], Path]], bitrate: str,
         progress: Callable[[int], None] | None) -> None:
    """One ffmpeg per (blocks, path), all fed at once by this one thread.

    Any failure or interruption kills them all; the caller removes the files. Ctrl-C
    reaches this process alone (OWN_GROUP), so it is never mistaken for an encoder
    failing."""
    encoders: list[_Encoder] = []
    try:
        for _, path in jobs:
            encoders.append(_Encoder(path, bitrate))
        _feed([chunks for chunks, _ in jobs], encoders, progress)
        for encoder in encoders:
            encoder.finish()
    finally:
        for encoder in encoders:
            encoder.stop()


def _feed(sources: list[Iterable[np.ndarray]], encoders: list[_Encoder],
          progress: Callable[[int], None] | None) -> None:
    """Write each source's blocks to its encoder whenever that pipe has room.

    One thread keeps every encoder busy (mixing a block is far quicker than encoding
    it), with no locks, and memory stays that of one thread: a second thread would get
    its own malloc arena and grow with the session's length."""
    selector = selectors.DefaultSelector()
    for chunks, encoder in zip(sources, encoders):
        assert encoder.proc.stdin is not None
        fd = encoder.proc.stdin.fileno()
        os.set_blocking(fd, False)
        with suppress(OSError, AttributeError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        selector.register(fd, selectors.EVENT_WRITE, [iter(chunks), memoryview(b""), encoder])
    try:
        while selector.get_map():
            for key, _ in selector.select():
                state = key.data
                if not state[1]:
                    chunk = next(state[0], None)
                    if chunk is None:
                        selector.unregister(key.fd)
                        state[2].proc.stdin.close()
                        continue
                    state[1] = np.ascontiguousarray(chunk, "<f4").data.cast("B")
                    if progress:
                        progress(len(chunk))
                try:
                    state[1] = state[1][os.write(key.fd, state[1]):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    state[2].proc.wait()
                    raise ExportError(f"ffmpeg stopped while encoding: {state[2].messages()}"
                                      ) from None
    finally:
        selector.close()


def _check_length(tag: InfoTag, total: int) -> None:
    if tag.samples != total:
        raise ExportError(f"the encoded file holds {tag.samples} samples, not the "
                          f"{total} planned")


def check_writable(target: Path) -> None:
    """ExportError if the file could not be written (its folders are made only when it is).

    Called before anything is spoken, so a typo in -o costs nothing."""
    if target.is_dir():
        raise ExportError(f"cannot write {target}: it is a folder")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {target}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"cannot write {target}: {folder} is not writable")


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """A temp path beside `target`, renamed onto it on success, removed on any failure.

    An earlier file at `target` stays untouched until the new one is complete.
    """
    try:
        check_writable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".part",
                                   dir=target.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def decode(path: Path) -> np.ndarray:
    """Decode an MP3 to mono float32 at RATE (honours the gapless header)."""
    return decode_file(path, RATE)
