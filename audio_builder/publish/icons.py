"""The app's icons as PNG, drawn here (a calm disc on the dark theme), so the site needs
no image tools and a phone's home screen and a podcast app each get the size they ask."""

from __future__ import annotations

import struct
import zlib

import numpy as np

BACKGROUND = "#111417"
ICONS = {"icon-192.png": 192, "icon-512.png": 512, "icon-1400.png": 1400}
"""File -> size: 192 and 512 for the home screen, 1400 for podcast apps."""
MASKABLE = {"icon-maskable-512.png": 512}
"""Full-bleed icons a phone may crop to its own shape: the disc within the safe zone
(the middle 80%), the background to every edge."""


def _png(rgb: np.ndarray) -> bytes:
    """RGB uint8 (h, w, 3) as a PNG file."""
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)) + chunk(b"IEND", b""))


def draw(size: int, scale: float = 1.0) -> bytes:
    """A soft teal disc with a quieter ring (the shape of icon.svg), antialiased;
    `scale` < 1 draws it smaller in the same square (a maskable icon's safe zone)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    r = np.hypot(x - size / 2, y - size / 2) / size / scale
    bg = np.array([0x11, 0x14, 0x17], np.float32)
    disc = np.array([0x5f, 0xa8, 0x9b], np.float32)
    ring = np.array([0x2e, 0x4f, 0x4a], np.float32)
    edge = 1.5 / size

    def cover(inner: float, outer: float) -> np.ndarray:
        inside = np.clip((outer - r) / edge, 0, 1) * np.clip((r - inner) / edge + 1, 0, 1)
        return inside[..., None]

    img = bg + (ring - bg) * cover(0.30, 0.38)
    img = img + (disc - img) * cover(-1.0, 0.22)
    return _png(np.round(img).astype(np.uint8))


def icon_files() -> dict[str, bytes]:
    icons = {name: draw(size) for name, size in ICONS.items()}
    return icons | {name: draw(size, 0.8) for name, size in MASKABLE.items()}
