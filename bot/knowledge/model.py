"""The knowledge base as frozen values: entries, guide fields, the centre and routes.

The values use slots (no per-object `__dict__`): a 10,000-entry knowledge base holds
about 400,000 of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_LANGUAGE = "zh"

#: Guide fields of a structured answer, in display order.
GUIDE_FIELDS: tuple[str, ...] = (
    "summary",
    "conditions",
    "materials",
    "steps",
    "time_limit",
    "fee",
    "location",
    "hours",
    "phone",
    "online",
    "basis",
)

#: The non-answer routes whose trigger phrases are data.
PHRASE_ROUTES: tuple[str, ...] = ("complaint", "status", "human", "greeting")


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text in one or more languages; `get` falls back to the default language."""

    values: Mapping[str, str]
    default: str = DEFAULT_LANGUAGE

    def get(self, lang: str) -> str:
        """Return the text in `lang`, else in the default language, else any."""
        if lang in self.values:
            return self.values[lang]
        if self.default in self.values:
            return self.values[self.default]
        return next(iter(self.values.values()), "")

    def all(self) -> Iterator[str]:
        """Yield every language version."""
        yield from self.values.values()


@dataclass(frozen=True, slots=True)
class LocalList:
    """A list of texts per language (bullets of a guide field, questions, keywords)."""

    values: Mapping[str, tuple[str, ...]]
    default: str = DEFAULT_LANGUAGE

    def get(self, lang: str) -> tuple[str, ...]:
        """Return the items in `lang`, else in the default language."""
        if lang in self.values:
            return self.values[lang]
        return self.values.get(self.default, ())

    def all(self) -> Iterator[str]:
        """Yield every item of every language."""
        for items in self.values.values():
            yield from items

    def __len__(self) -> int:
        return sum(len(items) for items in self.values.values())


@dataclass(frozen=True, slots=True)
class GuideField:
    """One section of a structured answer; `is_list` decides bullets or a paragraph."""

    name: str
    items: LocalList
    is_list: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """An entry's answer: either a single text or ordered guide fields."""

    text: LocalText | None = None
    fields: tuple[GuideField, ...] = ()

    def field(self, name: str) -> GuideField | None:
        """Return the guide field called `name`, if the answer has it."""
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was defined, for messages that point an admin to the file."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Entry:
    """One service guide (办事指南) with the phrasings that lead to it."""

    id: str
    title: LocalText
    questions: LocalList
    keywords: LocalList
    answer: Answer
    category: str | None = None
    related: tuple[str, ...] = ()
    updated: dt.date | None = None
    review_by: dt.date | None = None
    source: Source = field(default_factory=lambda: Source("?"))


@dataclass(frozen=True, slots=True)
class Category:
    """A browsing category."""

    id: str
    title: LocalText


@dataclass(frozen=True, slots=True)
class Phone:
    """A labelled phone number of the centre."""

    label: LocalText
    number: str


@dataclass(frozen=True, slots=True)
class Centre:
    """The service centre's office information."""

    name: LocalText
    address: LocalText | None = None
    hours: LocalText | None = None
    phones: tuple[Phone, ...] = ()
    supervision_phone: str | None = None


#: Optional fields a complaint form may ask for.
COMPLAINT_FIELDS: tuple[str, ...] = ("location", "time", "attachments", "phone")


@dataclass(frozen=True, slots=True)
class Department:
    """A unit that handles tickets."""

    id: str
    name: LocalText


@dataclass(frozen=True, slots=True)
class ComplaintCategory:
    """A kind of complaint or report, with who handles it and how fast."""

    id: str
    name: LocalText
    department: str
    deadline_days: int
    #: A 举报 about an official or a unit: the reporter's identity is protected.
    report: bool = False
    fields: tuple[str, ...] = COMPLAINT_FIELDS
    #: Offered in the complaint form (the `inquiry` type is not: it comes from 转人工).
    intake: bool = True


@dataclass(frozen=True, slots=True)
class TriageRule:
    """Messages that must not become a ticket, and what to tell the citizen instead."""

    id: str
    phrases: Mapping[str, tuple[str, ...]]
    message: LocalText


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded, validated knowledge base."""

    entries: tuple[Entry, ...]
    categories: tuple[Category, ...] = ()
    centre: Centre | None = None
    #: route → language → trigger phrases (package defaults merged with the KB's own).
    routes: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: route → language → phrases that turn a route's match back into a question.
    route_exceptions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    default_language: str = DEFAULT_LANGUAGE
    fingerprint: str = ""
    departments: tuple[Department, ...] = ()
    complaint_categories: tuple[ComplaintCategory, ...] = ()
    triage: tuple[TriageRule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        """Return the entry with `entry_id`, or None."""
        by_id: dict[str, Entry] = self.__dict__["_by_id"]
        return by_id.get(entry_id)

    def category(self, category_id: str) -> Category | None:
        """Return the declared category `category_id`, or None."""
        return next((c for c in self.categories if c.id == category_id), None)

    def complaint_category(self, category_id: str) -> ComplaintCategory | None:
        """The complaint category `category_id`, or None."""
        return next((c for c in self.complaint_categories if c.id == category_id), None)

    def department(self, department_id: str) -> Department | None:
        """The department `department_id`, or None."""
        return next((d for d in self.departments if d.id == department_id), None)

    def category_ids(self) -> tuple[str, ...]:
        """Return the categories that have entries: declared ones first, in order."""
        used = {e.category for e in self.entries if e.category}
        declared = [c.id for c in self.categories if c.id in used]
        extra = sorted(used - set(declared))
        return tuple(declared + extra)
