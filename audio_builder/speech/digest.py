"""Hashes of voice model files, remembered across runs.

A cache key names the voice by the hash of its model file, so a changed voice never
reuses cached speech. Hashing a 60 MB model costs ~0.2 s, more than all else `check`
does, so the hash is kept in the user cache folder under the file's identity (path,
size, modification time, inode): a file replaced or touched is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path


def file_digest(path: Path) -> str:
    """The first 16 hex digits of the file's sha256."""
    st = path.stat()
    return _digest(str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


@lru_cache(maxsize=16)
def _digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    identity = json.dumps([path, size, mtime_ns, inode])
    memo = _memo_dir() / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.txt"
    try:
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 16 and all(c in "0123456789abcdef" for c in known):
            return known
    except OSError:
        pass
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()[:16]
    try:  # a memo that cannot be written costs only time
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(digest, encoding="ascii")
        os.replace(tmp, memo)
    except OSError:
        pass
    return digest


def _memo_dir() -> Path:
    from .cache import default_dir

    return default_dir() / "digests"
