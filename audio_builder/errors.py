"""One root error class; only the CLI turns errors into exit codes and one-line messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Where:
    """A place in a user's file: shown as FILE:LINE in messages."""

    file: str | Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else f"{self.file}"


class AudioBuilderError(Exception):
    """An error a user can cause or fix; printed as one line, never a traceback."""

    def __init__(self, message: str, where: Where | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where or Where()

    def one_line(self) -> str:
        place = str(self.where)
        text = " ".join(self.message.split())
        return f"{place}: {text}" if place else text


class ScriptError(AudioBuilderError):
    """The pose script is malformed or asks for something impossible."""


class LengthError(ScriptError):
    """The chosen length cannot be reached by this script."""


class SynthesisError(AudioBuilderError):
    """A speech engine failed or is unavailable."""


class ExportError(AudioBuilderError):
    """Mixing, encoding or writing the output failed."""
