"""Render and publish from the page: the command line's own code in a thread, its
progress kept where the page polls it, one job at a time (2 cores)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import AudioBuilderError
from ..pipeline.progress import Advance


@dataclass
class Job:
    id: int
    kind: str
    state: str = "running"
    """running, done or failed."""
    stage: str = "Starting"
    done: int = 0
    total: int = 0
    message: str = ""
    result: dict = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "state": self.state, "stage": self.stage,
                "done": self.done, "total": self.total, "message": self.message,
                "result": self.result, "seconds": round(time.monotonic() - self.started, 1)}

    @contextmanager
    def stage_of(self, label: str, total: int) -> Iterator[Advance]:
        """A Progress for the pipeline: the page shows the stage and how far it is."""
        self.stage, self.done, self.total = label, 0, total

        def advance(n: int) -> None:
            self.done += n
        yield advance


class JobProgress:
    """Progress protocol over a Job."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def stage(self, label: str, total: int) -> Any:
        return self.job.stage_of(label, total)


class Jobs:
    def __init__(self) -> None:
        self.jobs: dict[int, Job] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def busy(self) -> Job | None:
        return next((j for j in self.jobs.values() if j.state == "running"), None)

    def start(self, kind: str, work: Callable[[JobProgress], dict]) -> Job:
        """Run `work` in a thread; its dict is the job's result, an error its message."""
        with self.lock:
            if (running := self.busy()) is not None:
                raise AudioBuilderError(f"a {running.kind} is still running; wait for it")
            job = Job(next(self.ids), kind)
            self.jobs[job.id] = job

        def run() -> None:
            try:
                job.result = work(JobProgress(job))
                job.state = "done"
            except AudioBuilderError as exc:
                job.message, job.state = exc.one_line(), "failed"
            except OSError as exc:
                job.message, job.state = f"{exc.strerror or exc}", "failed"
            except Exception as exc:  # noqa: BLE001 - the page must hear of any failure
                job.message, job.state = f"{type(exc).__name__}: {exc}", "failed"
        threading.Thread(target=run, daemon=True).start()
        return job
