"""`python -m audio_builder.sound [FOLDER]`: write every sound the project makes (the
chimes, chimes.py; the beds, beds.py) into FOLDER, by default the repository's sounds/,
byte for byte the same on every run (`make sounds`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .beds import write_beds
from .chimes import write_sounds


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1 or (argv and argv[0] in {"-h", "--help"}):
        print("usage: python -m audio_builder.sound [FOLDER]", file=sys.stderr)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "sounds"
    for path in [*write_sounds(folder), *write_beds(folder)]:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
