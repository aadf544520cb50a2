"""Problems found in a knowledge base, each pointing at a file, a line and an entry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How serious a problem is: errors stop a KB from loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding of `kb check`."""

    level: Level
    file: str
    line: int | None
    entry_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        return f"{where}:{entry} {self.level.value}: {self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    """Return only the errors."""
    return [p for p in problems if p.level is Level.ERROR]


def report(problems: list[Problem], entries: int, files: int) -> str:
    """Return the text `kb check` prints: every problem, then a one-line summary."""
    lines = [str(p) for p in problems]
    n_err = len(errors(problems))
    n_warn = len(problems) - n_err
    lines.append(f"{files} files, {entries} entries: {n_err} errors, {n_warn} warnings")
    return "\n".join(lines)
