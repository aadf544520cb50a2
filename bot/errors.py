"""The project's named exceptions, each with the exit code the CLI reports for it."""

from __future__ import annotations


class CitizenDeskError(Exception):
    """Base class: a failure that is reported to the user as a clear message."""

    exit_code = 1


class UsageError(CitizenDeskError):
    """The command line or an input file is not usable as given."""

    exit_code = 2


class KnowledgeError(CitizenDeskError):
    """The knowledge base cannot be loaded (missing, empty or with errors)."""

    exit_code = 4


class ConfigError(CitizenDeskError):
    """The configuration is missing or invalid."""

    exit_code = 2
