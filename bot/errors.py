"""The project's named exceptions, each with the exit code the CLI reports for it."""

from __future__ import annotations

from collections.abc import Callable


class CitizenDeskError(Exception):
    """Base class: a failure that is reported to the user as a clear message.

    The message (`str()`) is English, for logs. One made with `localized` can also give
    itself in the reader's language (`text`), from the message catalogue.
    """

    exit_code = 1

    def __init__(self, message: str = "", *, localized: Callable[[str], str] | None = None):
        super().__init__(localized("en") if localized is not None else message)
        self._localized = localized

    def text(self, lang: str = "en") -> str:
        """The message in `lang` (zh or en); English when it has no translation."""
        return self._localized(lang) if self._localized is not None else str(self)


class UsageError(CitizenDeskError):
    """The command line or an input file is not usable as given."""

    exit_code = 2


class KnowledgeError(CitizenDeskError):
    """The knowledge base cannot be loaded (missing, empty or with errors)."""

    exit_code = 4


class ConfigError(CitizenDeskError):
    """The configuration is missing or invalid."""

    exit_code = 2
