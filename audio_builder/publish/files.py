"""Writing inside SITE only, and only files publish owns.

A small record in SITE (MANIFEST) lists every file publish wrote, with its hash and,
for MP3s, what it was made from. A file publish did not write is never overwritten or
deleted: finding one where publish would write is an error, found before any work; so
is a file publish wrote that was changed since (a teacher's edit is never replaced).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ExportError

MANIFEST = ".audio-builder-publish.json"
FORMAT = 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Site:
    """SITE on disk: where files go, and the record of what publish wrote there."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)
    """Relative path -> sha256 of every file publish wrote (this run and earlier ones)."""
    sources: dict[str, dict] = field(default_factory=dict)
    """MP3 relative path -> {"key": what it was made from, "published": ISO date}; and
    "feed.xml" -> {"built": ISO date the feed last changed}."""
    slugs: dict[str, str] = field(default_factory=dict)
    """A script's resolved path -> its session folder, kept so guids stay with scripts."""

    @classmethod
    def open(cls, root: Path) -> Site:
        if root.exists() and not root.is_dir():
            raise ExportError(f"cannot publish into {root}: it is a file, not a folder")
        site = cls(root)
        record = root / MANIFEST
        if record.is_file():
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT:
                    site.files = {str(k): str(v) for k, v in data["files"].items()}
                    site.sources = {str(k): dict(v) for k, v in data["sources"].items()}
                    site.slugs = {str(k): str(v) for k, v in data.get("slugs", {}).items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # an unreadable record: everything is made again, nothing is trusted
        return site

    def path(self, rel: str) -> Path:
        """The place of `rel` inside SITE; refused if it (or a link on the way) leads out."""
        root = self.root.resolve()
        target = (root / rel).resolve()
        if root not in target.parents:
            raise ExportError(f"cannot write {self.root / rel}: it leads outside {self.root}")
        return self.root / rel

    def check_ours(self, rels: list[str]) -> None:
        """Refuse, before any work, to replace a file publish did not write."""
        for rel in [MANIFEST, *rels]:
            path = self.path(rel)
            for folder in reversed(path.relative_to(self.root).parents[:-1]):
                if (self.root / folder).exists() and not (self.root / folder).is_dir():
                    raise ExportError(f"cannot write {path}: {self.root / folder} is a file, "
                                      f"not a folder")
            if path.is_symlink() or (path.exists() and not path.is_file()):
                raise ExportError(f"cannot write {path}: something else is there "
                                  f"(publish replaces only files it wrote)")
            if rel != MANIFEST and path.exists() and rel not in self.files:
                raise ExportError(f"{path} exists and was not written by publish; move it "
                                  f"away or publish into another folder")
            if rel != MANIFEST and path.is_file() and sha256_file(path) != self.files[rel]:
                raise ExportError(f"{path} was changed since publish wrote it; move it "
                                  f"away to publish it again, or publish into another folder")

    def unchanged(self, rel: str, key: str) -> bool:
        """Whether the MP3 at `rel` is the one made from `key`, as publish left it."""
        path = self.path(rel)
        src = self.sources.get(rel)
        return (src is not None and src.get("key") == key and path.is_file()
                and self.files.get(rel) == sha256_file(path))

    def write(self, rel: str, data: bytes) -> None:
        """Write `data` at `rel` atomically, unless it is there already."""
        path = self.path(rel)
        digest = hashlib.sha256(data).hexdigest()
        if path.is_file() and self.files.get(rel) == digest and sha256_file(path) == digest:
            return
        with self.atomic(rel) as tmp:
            tmp.write_bytes(data)

    @contextlib.contextmanager
    def atomic(self, rel: str) -> Iterator[Path]:
        """A temp file beside `rel`, renamed onto it (and recorded) when complete."""
        path = self.path(rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".part",
                                        dir=path.parent)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            os.chmod(tmp, 0o644)
            digest = sha256_file(tmp)
            os.replace(tmp, path)
            self.files[rel] = digest
        finally:
            tmp.unlink(missing_ok=True)

    def save(self) -> None:
        """Write the record (only if it changed, so an unchanged site is left as it was)."""
        self.files.pop(MANIFEST, None)
        data = json.dumps({"format": FORMAT, "files": dict(sorted(self.files.items())),
                           "sources": dict(sorted(self.sources.items())),
                           "slugs": dict(sorted(self.slugs.items()))},
                          indent=1).encode("ascii")  # a path may hold any bytes
        record = self.path(MANIFEST)
        if not (record.is_file() and record.read_bytes() == data):
            with self.atomic(MANIFEST) as tmp:
                tmp.write_bytes(data)
        self.files.pop(MANIFEST, None)
