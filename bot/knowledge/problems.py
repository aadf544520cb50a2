"""Problems found in a knowledge base, each pointing at a file, a line and an entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How serious a problem is: errors stop a KB from loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Phrase:
    """A catalogue phrase used as a value of a problem's message, given in its language."""

    key: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, key: str, /, **values: Any) -> Phrase:
        """The phrase `kbp_<key>` with its values."""
        return cls(key, tuple(values.items()))

    def text(self, lang: str) -> str:
        """The phrase in `lang`."""
        from bot.messages import t

        return t(f"kbp_{self.key}", lang, **dict(self.values))


@dataclass(frozen=True)
class Problem:
    """One finding of `kb check`.

    `message` is the English text. `key` and `values`, when set, name the catalogue
    message (`kbp_<key>` in bot/messages.py) it was made from, so that `text` can give it
    in another language; they take no part in comparisons.
    """

    level: Level
    file: str
    line: int | None
    entry_id: str | None
    message: str
    key: str | None = field(default=None, compare=False)
    values: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @classmethod
    def of(
        cls,
        level: Level,
        file: str,
        line: int | None,
        entry_id: str | None,
        key: str,
        /,
        **values: Any,
    ) -> Problem:
        """A problem whose message is the catalogue's `kbp_<key>` (English kept in `message`)."""
        problem = cls(level, file, line, entry_id, "", key, tuple(values.items()))
        object.__setattr__(problem, "message", problem._catalogue_text("en"))
        return problem

    def text(self, lang: str = "en") -> str:
        """The message in `lang` (zh or en)."""
        if self.key is None or lang == "en":
            return self.message
        return self._catalogue_text(lang)

    def _catalogue_text(self, lang: str) -> str:
        from bot.messages import t

        values = {
            name: value.text(lang) if isinstance(value, Phrase) else value
            for name, value in self.values
        }
        assert self.key is not None
        text = t(f"kbp_{self.key}", lang, **values)
        if "at_column" in values:  # where on the line, for syntax errors
            text += t("kbp_at_column", lang, at_column=values["at_column"])
        return text

    def render(self, lang: str = "en") -> str:
        """`file:line: [entry] level: message` in `lang`."""
        from bot.messages import t

        where = f"{self.file}:{self.line}" if self.line else self.file
        entry = f" [{self.entry_id}]" if self.entry_id else ""
        return t(
            f"kb_level_{self.level.value}", lang, where=where, entry=entry, text=self.text(lang)
        )

    def __str__(self) -> str:
        return self.render("en")


def errors(problems: list[Problem]) -> list[Problem]:
    """Return only the errors."""
    return [p for p in problems if p.level is Level.ERROR]


def report(problems: list[Problem], entries: int, files: int, lang: str = "en") -> str:
    """Return the text `kb check` prints: every problem, then a one-line summary."""
    from bot.messages import plural, t

    lines = [p.render(lang) for p in problems]
    n_err = len(errors(problems))
    n_warn = len(problems) - n_err
    lines.append(
        t(
            "kb_summary",
            lang,
            files=plural("kb_files", lang, files),
            entries=plural("kb_entries", lang, entries),
            errors=plural("kb_errors", lang, n_err),
            warnings=plural("kb_warnings", lang, n_warn),
        )
    )
    return "\n".join(lines)
