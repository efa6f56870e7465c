"""The teacher's folder as the studio may touch it: scripts by name only (never a path
from a request), saves that are atomic, keep the previous version beside the file
(`.NAME.yaml.bak`), and are refused when the file changed on disk since the page read it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import AudioBuilderError
from ..script.yaml_nodes import MAX_FILE_BYTES

SCRIPT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.yaml")
"""What a script in the studio may be called: no folders, no dots but the suffix (so a
translation NAME.LANG.yaml or a hidden file is never taken for a session)."""

TEMPLATE = '''\
# A new session: change anything; the form and this text are the same script.
title: {title}
description: A short, gentle practice. Every pose is an invitation.
breath: 5s
lengths:
  short: 3m

intro:
  - "Welcome. Everything here is an invitation; you're welcome to rest at any moment. [pause 2s]"

poses:
  - name: Easy Seat
    hold: 1m..5m
    cues:
      - "When you're ready, find a comfortable seat, on the floor, a cushion or a chair."
      - "If it feels right, let your hands rest wherever they are at ease."
      - "There is nothing to do here. Let your breath find its own pace. [hold]"

outro:
  - "When you're ready, gently come back. Thank you for practising."
'''


class FolderError(AudioBuilderError):
    """A request the folder refuses; nothing was changed."""


class Conflict(FolderError):
    """The file changed on disk since the page read it."""


@dataclass(frozen=True)
class Listing:
    name: str
    title: str
    lengths: tuple[str, ...]


def version(data: bytes) -> str:
    """What the page holds as the file's version: its content's hash."""
    return hashlib.sha256(data).hexdigest()[:16]


class Folder:
    """The folder the studio was started on; every path is made here, from a name."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def script(self, name: str) -> Path:
        """The script called `name` in the folder (it need not exist yet)."""
        if not isinstance(name, str) or not SCRIPT_NAME.fullmatch(name):
            raise FolderError(f"'{str(name)[:40]}' is not a session name here (letters, digits,"
                              " '-' and '_', ending in .yaml; no folders)")
        path = self.root / name
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise FolderError(f"{name} is not a plain file in the folder")
        return path

    def listing(self) -> list[Listing]:
        """Every session script in the folder, with its title and named lengths."""
        out = []
        for path in sorted(self.root.glob("*.yaml")):
            if not SCRIPT_NAME.fullmatch(path.name) or path.is_symlink():
                continue
            lengths: tuple[str, ...] = ("full",)
            title = path.stem
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")[:MAX_FILE_BYTES])
                if isinstance(data, dict):
                    title = str(data.get("title") or path.stem)
                    named = data.get("lengths")
                    if isinstance(named, dict):
                        lengths += tuple(str(k) for k in named)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                pass  # listed by name; the editor says what is wrong with it
            out.append(Listing(path.name, title, lengths))
        return out

    def read(self, name: str) -> tuple[str, str]:
        """The script's text and version."""
        path = self.script(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FolderError(f"{name} is not in the folder (renamed or deleted?)") from None
        if len(data) > MAX_FILE_BYTES:
            raise FolderError(f"{name} is larger than a script can be")
        return data.decode("utf-8", errors="replace"), version(data)

    def save(self, name: str, text: str, expected: str | None) -> str:
        """Write `text` as the script, atomically; the version it had is kept as
        `.NAME.bak`. `expected` is the version the page read (None: a new file, which
        must not exist). Returns the new version; Conflict if the file moved on."""
        path = self.script(name)
        data = text.encode("utf-8")
        if len(data) > MAX_FILE_BYTES:
            raise FolderError(f"a script can be at most {MAX_FILE_BYTES:,} bytes")
        try:
            old: bytes | None = path.read_bytes()
        except FileNotFoundError:
            old = None
        if (old is None) != (expected is None) or (old is not None and
                                                   version(old) != expected):
            raise Conflict(f"{name} changed on disk since this page read it (another editor?);"
                           " nothing was saved: reload to see it, your edits stay in this page")
        if old is not None:
            _atomic(self.root / f".{name}.bak", old)
        _atomic(path, data)
        return version(data)

    def create(self, name: str, title: str, copy_of: str | None = None) -> str:
        """A new session from the gentle template (or a copy of another); never replaces
        a file. Returns its version."""
        if copy_of is not None:
            text, _ = self.read(copy_of)
        else:
            text = TEMPLATE.format(title=_quoted(title or "A new session"))
        return self.save(name, text, None)


def _quoted(title: str) -> str:
    """A title as one YAML double-quoted scalar (whatever she typed stays text)."""
    return '"' + " ".join(title.split())[:200].replace("\\", "\\\\").replace('"', '\\"') + '"'


def _atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` complete or not at all (a temp file, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
