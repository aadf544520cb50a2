"""Language data for matching (filler and question words), read from the package."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Lexicon:
    """Words that carry no topic (`filler`), question words (`question`) and `synonyms`."""

    filler: frozenset[str]
    question: frozenset[str]
    #: Colloquial word → the words it is read as (娃 → 孩子, 咋领 → 怎么 领).
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """Return the lexicon shipped in `bot/defaults/lexicon.yaml`."""
    text = resources.files("bot.defaults").joinpath("lexicon.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return Lexicon(
        filler=frozenset(w for words in data["filler"].values() for w in words),
        question=frozenset(w for words in data["question"].values() for w in words),
        synonyms={
            str(word).lower(): tuple(str(into).lower().split())
            for table in (data.get("synonyms") or {}).values()
            for word, into in table.items()
        },
    )
