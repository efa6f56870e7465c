"""The audio the floors encode, and the renderer they are compared with: the project's
encoder command on a raw file, the raw audio cut per core or per sounding part, and a
copy of the previous renderer's package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from measure import ROOT, log

RATE = 44100
PREVIOUS = "4b17f5a"
"""The last commit with the two-part renderer (the whole session encoded, cut in two in
silence): its warm render is the `previous` column, run from a copy of that commit."""


def ffmpeg() -> str:
    sys.path.insert(0, str(ROOT))
    from audio_builder.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


def floor_command(raw: Path, out: Path) -> tuple[list[str], str]:
    """The project's own encoder command, reading `raw` instead of its pipe."""
    try:
        from audio_builder.mp3.encode import encode_command

        cmd = [str(c) for c in encode_command(out, "96k")]
        if "pipe:0" in cmd:
            cmd[cmd.index("pipe:0")] = str(raw)
            return cmd, "audio_builder.mp3.encode.encode_command"
    except Exception as exc:  # noqa: BLE001 -- edited concurrently: fall back to a copy
        log(f"note: encode_command unavailable ({exc!r}); using a copy of its settings")
    return ([ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(raw),
             "-c:a", "libmp3lame", "-b:a", "96k",
             "-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
             "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(out)],
            "copy of encode_command (96k)")


def previous_checkout(tmp: Path) -> Path | None:
    """audio_builder and sounds/ of PREVIOUS, unpacked from git into `tmp` (None if the
    history is not there, e.g. a shallow clone)."""
    folder = tmp / "previous"
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", PREVIOUS, "audio_builder",
                              "sounds"], capture_output=True)
    if archive.returncode != 0:
        log(f"note: commit {PREVIOUS} not found; no `previous` column")
        return None
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


OLD_FIELDS = ("title", "author", "description", "language", "voice", "breath", "chime",
              "lengths", "intro", "poses", "outro", "cover")
"""The script fields the previous renderer knows."""


def previous_script(script: Path, folder: Path) -> Path:
    """A copy of `script` the previous renderer can read: the fields it does not know
    (pronounce, tone, ambience...) left out; the words, holds and lengths are the same."""
    import yaml

    data = yaml.safe_load(script.read_text(encoding="utf-8"))
    out = folder / f"previous-{script.name}"
    out.write_text(yaml.safe_dump({k: v for k, v in data.items() if k in OLD_FIELDS},
                                  allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def sounding_pieces(raw: Path, plan: dict, folder: Path) -> list[Path]:
    """The raw input of every part the renderer encodes (the plan's sounds with their
    margins, mp3/slots.py), each in its own file: what a bare encode of only the sounding
    spans must read."""
    sys.path.insert(0, str(ROOT))
    from audio_builder.mp3.slots import parts_for

    spans = [(e["start"], e["length"])
             for e in plan["events"] if e["kind"] in ("speech", "chime", "breath")]
    total = raw.stat().st_size // 4
    pieces = []
    with open(raw, "rb") as f:
        for n, part in enumerate(parts_for(spans, total)):
            f.seek(part.start * 4)
            data = f.read((min(part.stop, total) - part.start) * 4)
            piece = folder / f"sounding-{n}.f32"
            piece.write_bytes(data + bytes((part.stop - part.start) * 4 - len(data)))
            pieces.append(piece)
    return pieces


def split_raw(raw: Path, parts: int) -> list[Path]:
    """`raw` (f32le) cut into `parts` files of about equal length, on sample boundaries."""
    samples = raw.stat().st_size // 4
    bounds = [samples * i // parts for i in range(parts + 1)]
    pieces = []
    with open(raw, "rb") as f:
        for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
            piece = raw.with_name(f"{raw.stem}.{i}.f32")
            with open(piece, "wb") as out:
                left = (b - a) * 4
                while left:  # in small reads: this process's RSS shows up in its
                    data = f.read(min(left, 1 << 20))  # children's ru_maxrss (fork)
                    out.write(data)
                    left -= len(data)
            pieces.append(piece)
    return pieces
