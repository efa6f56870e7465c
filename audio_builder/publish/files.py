"""Writing inside SITE only, and only files publish owns; one publish at a time.

A small record in SITE (MANIFEST) lists every file publish wrote, with its hash and,
for MP3s, what it was made from. A file publish did not write is never overwritten or
deleted: finding one where publish would write is an error, found before any work; so
is a file publish wrote that was changed since (a teacher's edit is never replaced).

How publish knows its own files whatever moment it was stopped at (a kill -9, a closed
laptop): every file is written under a temp name, hashed, and its hash saved in the
record as *pending* before it is renamed into place; the next publish adopts a pending
file whose bytes on disk have that hash (publish put it there) and forgets one whose
bytes do not (the rename never happened). So a file is in the record before it is in
place, and a teacher's edit still never matches. A journal in the record rather than
recognising files by content alone, because an MP3's bytes are known only once encoded.

One writer at a time: a publish holds an OS lock (flock) on the SITE folder itself for
its whole run, which the kernel releases when the process ends, however it ends; a
second one waits for it, saying so.

Nothing private goes in SITE: what must know where the scripts live (which script has
which session folder, so guids stay with scripts) is kept in the user's cache folder,
keyed by the site's own resolved path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ExportError

MANIFEST = ".audio-builder-publish.json"
FORMAT = 2


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
    """A script's resolved path -> its session folder, kept so guids stay with scripts
    (in the private record, outside SITE)."""
    private: Path | None = None
    """Where the private record lives (the user's cache folder), or None: not kept."""
    pending: dict[str, dict] = field(default_factory=dict)
    """Relative path -> {"sha256", "source"?} of a file about to be renamed into place."""

    @classmethod
    def open(cls, root: Path, private_dir: Path | None = None) -> Site:
        """SITE's record, with what an interrupted publish left adopted (see above).
        Call under `one_writer(root)`."""
        if root.exists() and not root.is_dir():
            raise ExportError(f"cannot publish into {root}: it is a file, not a folder")
        site = cls(root)
        record = root / MANIFEST
        if record.is_file():
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                if data.get("format") in (1, FORMAT):
                    site.files = {str(k): str(v) for k, v in data["files"].items()}
                    site.sources = {str(k): dict(v) for k, v in data["sources"].items()}
                    site.pending = {str(k): dict(v) for k, v in data.get("pending", {}).items()}
                    site.slugs = {str(k): str(v) for k, v in data.get("slugs", {}).items()}
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # an unreadable record: everything is made again, nothing is trusted
        if private_dir is not None:
            site.private = private_dir / f"{_site_id(root)}.json"
            with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
                kept = json.loads(site.private.read_text(encoding="utf-8"))
                site.slugs |= {str(k): str(v) for k, v in kept.get("slugs", {}).items()}
        site._adopt()
        return site

    def _adopt(self) -> None:
        """Take over what an interrupted publish put in place: pending files whose bytes
        are what it was about to write; forget the others."""
        for rel, entry in self.pending.items():
            with contextlib.suppress(OSError, ExportError):
                path = self.path(rel)
                if not path.is_file() or path.is_symlink():
                    continue
                found = sha256_file(path)
                if found == entry.get("sha256"):  # put in place, not yet recorded
                    self.files[rel] = found
                    if isinstance(entry.get("source"), dict):
                        self.sources[rel] = dict(entry["source"])
                elif found != self.files.get(rel):  # neither: edited since it landed
                    self.files[rel] = str(entry.get("sha256"))
        self.pending = {}

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

    def make(self, rel: str, writer: Callable[[Path], object], source: dict) -> None:
        """A file made by `writer` (an MP3, written to the path it is given), recorded
        with what it was made from (`source`) in the same step as the file itself."""
        with self.atomic(rel, source) as tmp:
            writer(tmp)

    @contextlib.contextmanager
    def atomic(self, rel: str, source: dict | None = None) -> Iterator[Path]:
        """A temp file beside `rel`, renamed onto it when complete; recorded as pending
        (saved) before the rename, as written after it."""
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
            self.pending[rel] = {"sha256": digest, **({"source": source} if source else {})}
            self.save()
            os.replace(tmp, path)
            self.files[rel] = digest
            if source is not None:
                self.sources[rel] = source
            del self.pending[rel]
        finally:
            tmp.unlink(missing_ok=True)

    def save(self) -> None:
        """Write the record (only if it changed, so an unchanged site is left as it was),
        and the private one outside SITE."""
        self.files.pop(MANIFEST, None)
        record = {"format": FORMAT, "files": dict(sorted(self.files.items())),
                  "sources": dict(sorted(self.sources.items()))}
        if self.pending:
            record["pending"] = dict(sorted(self.pending.items()))
        _replace(self.path(MANIFEST), json.dumps(record, indent=1).encode("ascii"))
        if self.private is not None and self.slugs:
            with contextlib.suppress(OSError):  # a read-only cache costs only guid stability
                self.private.parent.mkdir(parents=True, exist_ok=True)
                _replace(self.private, json.dumps(
                    {"site": str(self.root.resolve()), "slugs": dict(sorted(self.slugs.items()))},
                    indent=1).encode("ascii"))  # a path may hold any bytes


def _replace(path: Path, data: bytes) -> None:
    """`data` at `path`, atomically, unless it is there already."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == data:
            return
    fd, name = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(name, 0o644)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)


def _site_id(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:24]


@contextlib.contextmanager
def one_writer(root: Path, say: Callable[[str], None] = lambda _: None) -> Iterator[None]:
    """Hold SITE's lock for the whole block: a second publish (or the studio's) waits
    for the first, saying so, instead of writing beside it. The lock is taken on the
    folder itself (no file is added to it), and the kernel releases it when the process
    ends, however it ends. A folder made here and left empty by a failure is removed."""
    if root.exists() and not root.is_dir():
        raise ExportError(f"cannot publish into {root}: it is a file, not a folder")
    made = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ExportError(f"cannot publish into {root}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another publish into {root} to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # a file system without locks: one writer is then the teacher's to keep
        yield
    finally:
        os.close(fd)
        if made:
            with contextlib.suppress(OSError):
                root.rmdir()  # only if empty: a failure before any work
