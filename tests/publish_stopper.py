"""Test support (not a test): run `audio-builder publish` and kill it, outright (SIGKILL,
as a closed laptop or a power cut would), at one chosen moment:

    python tests/publish_stopper.py MOMENT publish ARGS...

MOMENT is `speech` (the first clip spoken), `mp3:N` (just after the N-th MP3 is put in
place), or `before:NAME` (just before the file NAME is put in place, e.g. feed.xml).
The moments are found by watching the calls publish makes (the cache's put, the
renames of publish/files.py), so nothing in the product waits for a test.
"""

from __future__ import annotations

import os
import signal
import sys

from audio_builder.publish import files
from audio_builder.speech import cache


def die() -> None:
    """SIGKILL to the whole process group (publish and the voice's workers), as a power
    cut takes them all; the test starts this in a session of its own."""
    os.killpg(os.getpgid(0), signal.SIGKILL)


def main() -> None:
    moment, args = sys.argv[1], sys.argv[2:]
    if moment == "speech":
        put = cache.Cache.put

        def put_then_die(self, *a, **kw):  # type: ignore[no-untyped-def]
            put(self, *a, **kw)
            die()
        cache.Cache.put = put_then_die  # type: ignore[method-assign]
    else:
        replace, seen = os.replace, []

        def watched(src, dst, *a, **kw):  # type: ignore[no-untyped-def]
            name = os.fspath(dst)
            if moment.startswith("before:") and name.endswith("/" + moment[7:]):
                die()
            replace(src, dst, *a, **kw)
            if name.endswith(".mp3") and not os.path.basename(name).startswith("."):
                seen.append(name)
                if moment == f"mp3:{len(seen)}":
                    die()
        files.os.replace = watched  # type: ignore[attr-defined]
    from audio_builder.cli import main as cli

    sys.argv = ["audio-builder", *args]
    cli()


if __name__ == "__main__":
    main()
