"""The ffmpeg binary shipped inside the imageio-ffmpeg wheel: no system package needed."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()
