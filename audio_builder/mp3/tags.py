"""ID3v2 tags with mutagen: title, artist, comment, and chapters (CHAP inside a CTOC).

Players such as Overcast and Apple Podcasts ignore CHAP frames without a CTOC table, and
readers that ignore the CTOC (ffmpeg, and players built on it) list chapters in the
order their frames stand in the file, so CHAP frames are written by start time.
Nothing time- or random-dependent is written, so renders stay byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TIT2, TPE1, CTOCFlags, PictureType


class _ChaptersInOrder(ID3):
    """mutagen writes frames by importance, then by size and hash, which scrambles CHAP
    frames; this writes them in the order they were added (by time), after the text
    frames and before pictures. (mutagen's ID3 writer is overridden at `_write`: the
    version range in pyproject.toml is the one checked.)"""

    def _write(self, config):  # type: ignore[no-untyped-def]
        from mutagen.id3._tags import save_frame

        frames = list(self.values())  # a new tag: no unknown frames to carry over
        rank = {"APIC": 2, "CHAP": 1}
        ordered = sorted(range(len(frames)), key=lambda i: (rank.get(frames[i].FrameID, 0), i))
        return bytearray().join(save_frame(frames[i], config=config) for i in ordered)


@dataclass(frozen=True)
class ChapterMark:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str | None
    comment: str | None
    chapters: tuple[ChapterMark, ...]
    cover: tuple[str, bytes] | None = None
    """(MIME type, image bytes)."""


def write_tags(path: Path, tags: Tags) -> None:
    id3 = _ChaptersInOrder()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=[tags.artist]))
    if tags.comment:
        id3.add(COMM(encoding=3, lang="eng", desc="", text=[tags.comment]))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover[0], type=PictureType.COVER_FRONT, desc="",
                     data=tags.cover[1]))
    ids = [f"chp{i}" for i in range(len(tags.chapters))]
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                 child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=[tags.title])]))
    for cid, ch in zip(ids, tags.chapters):
        id3.add(CHAP(element_id=cid, start_time=ch.start_ms, end_time=ch.end_ms,
                     start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                     sub_frames=[TIT2(encoding=3, text=[ch.title])]))
    id3.save(path, v2_version=4, padding=lambda info: 0)


def read_chapters(path: Path) -> list[ChapterMark]:
    id3 = ID3(path)
    toc = id3.getall("CTOC")[0]
    chaps = {c.element_id: c for c in id3.getall("CHAP")}
    return [ChapterMark(chaps[i].sub_frames["TIT2"].text[0], chaps[i].start_time,
                        chaps[i].end_time) for i in toc.child_element_ids]
