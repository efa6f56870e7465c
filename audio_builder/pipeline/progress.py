"""Progress on a terminal (synthesis, mixing, encoding); silence when not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click


@contextmanager
def stage(label: str, total: int, enabled: bool | None = None) -> Iterator[Callable[[int], None]]:
    """Yield an `advance(n)` callable; draws a bar on stderr only if it is a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or total <= 0:
        yield lambda n: None
        return
    bar: Any  # click's ProgressBar[int], not exported by click
    with click.progressbar(length=total, label=label.ljust(10), file=sys.stderr,
                           show_eta=True, width=30) as bar:
        yield bar.update
