"""Progress of long work (speaking, encoding), told to whoever watches: a bar on a
terminal, a page polling a job in the studio, or nobody.

The pipeline only calls `progress.stage(label, total)` and then `advance(n)`; what a
watcher draws is its own business, so the same render reports to a terminal and a page.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import click

Advance = Callable[[int], None]


class Progress(Protocol):
    """Where a stage of work reports how far it is."""

    def stage(self, label: str, total: int) -> AbstractContextManager[Advance]:
        """A stage of `total` units: yields `advance(n)`, called as n more are done."""
        ...


class Quiet:
    """Nobody watches."""

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        yield lambda n: None


class TerminalBar:
    """A bar on stderr, only when it is a terminal (`enabled` None: ask it)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    @contextmanager
    def stage(self, label: str, total: int) -> Iterator[Advance]:
        if not self.enabled or total <= 0:
            yield lambda n: None
            return
        bar: Any  # click's ProgressBar[int], not exported by click
        with click.progressbar(length=total, label=label.ljust(10), file=sys.stderr,
                               show_eta=True, width=30) as bar:
            yield bar.update


def terminal(show: bool | None = None) -> Progress:
    """A terminal bar where there is a terminal (the default for every command)."""
    return TerminalBar(show)
