"""Which knowledge directory a command uses: one rule for chat, run, kb *, tickets, web.

1. `--kb DIR` on the command line;
2. else `CITIZEN_DESK_KB` (or `kb_dir` in the `CITIZEN_DESK_CONFIG` file);
3. else `./knowledge` in the working directory, when it is a directory;
4. else the sample knowledge base installed with the package.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from bot.knowledge.loader import sample_kb_path
from bot.messages import t

#: The directory looked for in the working directory (step 3).
LOCAL_DIR = "knowledge"


class KbSource(StrEnum):
    """Why a directory was chosen (the step of the rule)."""

    OPTION = "option"
    SETTING = "setting"
    LOCAL = "local"
    SAMPLE = "sample"


@dataclass(frozen=True)
class KbChoice:
    """The directory a command uses, and why."""

    path: Path
    source: KbSource

    def describe(self, lang: str = "zh") -> str:
        """One line naming the directory and the rule's step that chose it."""
        return t(
            "kb_dir_used",
            lang,
            path=str(self.path.absolute()),
            why=t(f"kb_dir_{self.source.value}", lang),
        )


def choose_kb_dir(
    option: Path | str | None, setting: Path | None = None, cwd: Path | None = None
) -> KbChoice:
    """Apply the rule: `option` (--kb), `setting` (CITIZEN_DESK_KB), ./knowledge, sample."""
    if option is not None and str(option) != "":
        return KbChoice(Path(option), KbSource.OPTION)
    if setting is not None:
        return KbChoice(setting, KbSource.SETTING)
    local = (cwd or Path.cwd()) / LOCAL_DIR
    if local.is_dir():
        return KbChoice(Path(LOCAL_DIR) if cwd is None else local, KbSource.LOCAL)
    return KbChoice(sample_kb_path(), KbSource.SAMPLE)


def kb_dir_from_settings(option: Path | str | None = None) -> KbChoice:
    """The rule with the setting read from the environment and the configuration file."""
    from bot.config import load_settings

    return choose_kb_dir(option, load_settings().kb_dir)


def announce(choice: KbChoice, lang: str = "zh", stream: TextIO | None = None) -> None:
    """Print which directory is used (on stderr unless told otherwise)."""
    print(f"citizen-desk: {choice.describe(lang)}", file=stream or sys.stderr)


def log_choice(choice: KbChoice) -> None:
    """Log which directory is used, for the servers (`run`, `web`) whose stderr is their log."""
    logging.getLogger("bot.kbdir").info("%s", choice.describe("en"))
