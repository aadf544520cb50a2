"""Turn one YAML file's data into knowledge values, collecting every problem on the way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import yaml

from bot.knowledge.model import (
    COMPLAINT_FIELDS,
    GUIDE_FIELDS,
    PHRASE_ROUTES,
    Answer,
    Category,
    Centre,
    ComplaintCategory,
    Department,
    Entry,
    GuideField,
    LocalList,
    LocalText,
    Phone,
    Source,
    TriageRule,
)
from bot.knowledge.problems import Level, Phrase, Problem
from bot.knowledge.yamlsafe import mapping_child, node_line, sequence_item

ID_RE = re.compile(r"^[a-z0-9-]+$")
LANG_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]+)?$")
ENTRY_KEYS = frozenset(
    {
        "id",
        "title",
        "questions",
        "keywords",
        "answer",
        "category",
        "related",
        "updated",
        "review_by",
    }
)
TOP_KEYS = frozenset(
    {
        "entries",
        "language",
        "centre",
        "categories",
        "routes",
        "departments",
        "complaint_categories",
        "triage",
    }
)
_GUIDE_FIELD_SET = frozenset(GUIDE_FIELDS)
CENTRE_KEYS = frozenset({"name", "address", "hours", "phones", "supervision_phone"})

#: Route phrases: route → language → phrases.
RoutePhrases = dict[str, dict[str, list[str]]]


class FileParser:
    """Parses one file; problems accumulate in `problems`."""

    def __init__(self, file: str, node: yaml.Node | None, problems: list[Problem]):
        self.file = file
        self.node = node
        self.problems = problems
        self.lang = "zh"

    # -- problems -------------------------------------------------------------------------

    def error(self, line: int | None, entry_id: str | None, key: str, /, **values: Any) -> None:
        """Record an error: the catalogue message `kbp_<key>` with `values`."""
        self.problems.append(Problem.of(Level.ERROR, self.file, line, entry_id, key, **values))

    def warning(self, line: int | None, entry_id: str | None, key: str, /, **values: Any) -> None:
        """Record a warning: the catalogue message `kbp_<key>` with `values`."""
        self.problems.append(Problem.of(Level.WARNING, self.file, line, entry_id, key, **values))

    # -- the file -------------------------------------------------------------------------

    def parse(self, data: Any) -> FileContent:
        """Parse a whole file's top-level mapping."""
        content = FileContent()
        if data is None:  # nothing, blank lines or comments: said, as it may be a mistake
            self.warning(None, None, "empty_file")
            return content
        if not isinstance(data, dict):
            self.error(1, None, "file_not_mapping", kind=type(data).__name__)
            return content
        lang = data.get("language")
        if lang is not None:
            if isinstance(lang, str) and LANG_RE.match(lang):
                self.lang = lang
            else:
                self.error(self._line("language"), None, "bad_language")
        for key in data:
            if key not in TOP_KEYS:
                self.warning(self._line(str(key)), None, "unknown_top_key", name=key)
        if "entries" in data:
            content.entries = self._entries(data["entries"])
        if "centre" in data:
            content.centre = self._centre(data["centre"])
        if "categories" in data:
            content.categories = self._categories(data["categories"])
        if "routes" in data:
            content.routes, content.route_exceptions = self._routes(data["routes"])
        if "departments" in data:
            content.departments = self._departments(data["departments"])
        if "complaint_categories" in data:
            content.complaint_categories = self._complaint_categories(data["complaint_categories"])
        if "triage" in data:
            content.triage = self._triage(data["triage"])
        return content

    def _line(self, key: str) -> int | None:
        child = mapping_child(self.node, key)
        if child is None:
            return node_line(self.node)
        return node_line(child)

    # -- entries --------------------------------------------------------------------------

    def _entries(self, value: Any) -> list[Entry]:
        entries_node = mapping_child(self.node, "entries")
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(node_line(entries_node), None, "entries_not_list")
            return []
        result = []
        for index, item in enumerate(value):
            node = sequence_item(entries_node, index)
            entry = self._entry(item, node)
            if entry is not None:
                result.append(entry)
        return result

    def _entry(self, item: Any, node: yaml.Node | None) -> Entry | None:
        line = node_line(node)
        if not isinstance(item, dict):
            self.error(line, None, "entry_not_mapping", kind=type(item).__name__)
            return None

        def key_line(key: str) -> int | None:
            child = mapping_child(node, key)
            return node_line(child) if child is not None else line

        entry_id = item.get("id")
        label: str | None = entry_id if isinstance(entry_id, str) else None
        ok = True
        if entry_id is None:
            self.error(line, None, "missing_field", field="id")
            ok = False
        elif not isinstance(entry_id, str) or not ID_RE.match(entry_id):
            self.error(key_line("id"), label, "bad_id", id=repr(entry_id))
            ok = False
        for key in item:
            if key not in ENTRY_KEYS:
                self.warning(key_line(str(key)), label, "unknown_field", name=key)
        for required in ("title", "questions", "answer"):
            if item.get(required) in (None, "", [], {}):
                self.error(line, label, "missing_field", field=required)
                ok = False
        title = self.text(item.get("title"), key_line("title"), label, "title")
        questions = self.text_list(item.get("questions"), key_line("questions"), label, "questions")
        keywords = self.text_list(item.get("keywords"), key_line("keywords"), label, "keywords")
        answer = self._answer(item.get("answer"), key_line("answer"), label)
        category = item.get("category")
        if category is not None and not _short_id(category):
            self.error(
                key_line("category"),
                label,
                "bad_short_id",
                limit=MAX_SHORT_ID,
                what=Phrase.of("what_category"),
            )
            category = None
        related = self._related(item.get("related"), key_line("related"), label)
        updated = self._date(item.get("updated"), key_line("updated"), label, "updated")
        review_by = self._date(item.get("review_by"), key_line("review_by"), label, "review_by")
        if not ok or title is None or questions is None or answer is None:
            return None
        if len(questions) == 0:
            self.error(key_line("questions"), label, "no_questions")
            return None
        assert isinstance(entry_id, str)
        return Entry(
            id=entry_id,
            title=title,
            questions=questions,
            keywords=keywords or LocalList({}, self.lang),
            answer=answer,
            category=category,
            related=related,
            updated=updated,
            review_by=review_by,
            source=Source(self.file, line),
        )

    def _answer(self, value: Any, line: int | None, label: str | None) -> Answer | None:
        if value is None:
            return None
        if not isinstance(value, dict) or _is_language_map(value):
            text = self.text(value, line, label, "answer")
            return Answer(text=text) if text is not None else None
        fields = []
        for key in value:
            if key not in GUIDE_FIELDS:
                self.warning(line, label, "unknown_answer_field", name=key)
        for name in GUIDE_FIELDS:
            if name not in value or value[name] is None:
                continue
            raw = value[name]
            is_list = isinstance(raw, list) or (
                isinstance(raw, dict) and any(isinstance(v, list) for v in raw.values())
            )
            items = self.text_list(raw, line, label, f"answer.{name}", allow_scalar=True)
            if items is not None and len(items):
                fields.append(GuideField(name, items, is_list))
        if not fields:
            self.error(line, label, "answer_no_field")
            return None
        return Answer(fields=tuple(fields))

    def _related(self, value: Any, line: int | None, label: str | None) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(line, label, "related_not_list")
            return ()
        return tuple(value)

    def _date(self, value: Any, line: int | None, label: str | None, name: str) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.error(line, label, "bad_date", name=name, value=repr(value))
        return None

    # -- texts ----------------------------------------------------------------------------

    def text(
        self, value: Any, line: int | None, label: str | None, name: str, *, item: bool = False
    ) -> LocalText | None:
        """Parse a text: a string, or a mapping from language code to string.

        `item`: the text is an item of the list `name`.
        """
        if value is None:
            return None
        if type(value) is str:  # the common case, as `_scalar` would give it
            return LocalText({self.lang: value.strip()}, self.lang)
        if _is_scalar(value):
            return LocalText({self.lang: _scalar(value)}, self.lang)
        if (
            isinstance(value, dict)
            and _is_language_map(value)
            and all(map(_is_scalar, value.values()))
        ):
            return LocalText({str(k): _scalar(v) for k, v in value.items()}, self.lang)
        key = "bad_text_item" if item else "bad_text"
        self.error(line, label, key, name=name, got=_describe(value))
        return None

    def text_list(
        self,
        value: Any,
        line: int | None,
        label: str | None,
        name: str,
        *,
        allow_scalar: bool = False,
    ) -> LocalList | None:
        """Parse a list of texts, or a mapping from language code to list."""
        if value is None:
            return None
        per_lang: dict[str, list[str]] = {}
        if allow_scalar and _is_scalar(value):
            return LocalList({self.lang: (_scalar(value),)}, self.lang)
        if isinstance(value, list):
            for item in value:
                if type(item) is str:  # the common case, as `self.text` would give it
                    per_lang.setdefault(self.lang, []).append(item.strip())
                    continue
                text = self.text(item, line, label, name, item=True)
                if text is None:
                    return None
                for lang, s in text.values.items():
                    per_lang.setdefault(lang, []).append(s)
        elif isinstance(value, dict) and _is_language_map(value):
            for lang, items in value.items():
                if _is_scalar(items):
                    items = [items]
                if not isinstance(items, list) or not all(map(_is_scalar, items)):
                    self.error(line, label, "bad_text_list_lang", name=name, code=lang)
                    return None
                per_lang.setdefault(str(lang), []).extend(map(_scalar, items))
        else:
            self.error(line, label, "bad_text_list", name=name, got=_describe(value))
            return None
        cleaned = {lang: tuple(filter(str.strip, items)) for lang, items in per_lang.items()}
        return LocalList(cleaned, self.lang)

    # -- other top-level keys -------------------------------------------------------------

    def _centre(self, value: Any) -> Centre | None:
        line = self._line("centre")
        if not isinstance(value, dict):
            self.error(line, None, "centre_not_mapping")
            return None
        for key in value:
            if key not in CENTRE_KEYS:
                self.warning(line, None, "unknown_centre_key", name=key)
        name = self.text(value.get("name"), line, None, "centre.name")
        if name is None:
            self.error(line, None, "centre_no_name")
            return None
        phones = []
        for item in value.get("phones") or []:
            if not isinstance(item, dict) or not _is_scalar(item.get("number")):
                self.error(line, None, "bad_phone")
                continue
            label = self.text(item.get("label", ""), line, None, "centre.phones.label")
            phones.append(Phone(label or LocalText({self.lang: ""}), _scalar(item["number"])))
        supervision = value.get("supervision_phone")
        return Centre(
            name=name,
            address=self.text(value.get("address"), line, None, "centre.address"),
            hours=self.text(value.get("hours"), line, None, "centre.hours"),
            phones=tuple(phones),
            supervision_phone=_scalar(supervision) if _is_scalar(supervision) else None,
        )

    def _categories(self, value: Any) -> list[Category]:
        line = self._line("categories")
        if not isinstance(value, list):
            self.error(line, None, "categories_not_list")
            return []
        result = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self.error(line, None, "category_no_id")
                continue
            title = self.text(item.get("title", item["id"]), line, None, "categories.title")
            if title is not None:
                result.append(Category(item["id"], title))
        return result

    def _routes(self, value: Any) -> tuple[RoutePhrases, RoutePhrases]:
        line = self._line("routes")
        phrases: RoutePhrases = {}
        exceptions: RoutePhrases = {}
        if not isinstance(value, dict):
            self.error(line, None, "routes_not_mapping")
            return phrases, exceptions
        for route, spec in value.items():
            if route not in PHRASE_ROUTES:
                known = ", ".join(PHRASE_ROUTES)
                self.warning(line, None, "unknown_route", route=route, known=known)
                continue
            parts = spec if isinstance(spec, dict) and ("phrases" in spec) else {"phrases": spec}
            if isinstance(spec, dict) and "unless" in spec:
                parts = {"phrases": spec.get("phrases"), "unless": spec["unless"]}
            for part, target in (("phrases", phrases), ("unless", exceptions)):
                items = self.text_list(parts.get(part), line, None, f"routes.{route}.{part}")
                if items is None:
                    continue
                for lang, texts in items.values.items():
                    target.setdefault(route, {}).setdefault(lang, []).extend(texts)
        return phrases, exceptions

    def _departments(self, value: Any) -> list[Department]:
        line = self._line("departments")
        if not isinstance(value, list):
            self.error(line, None, "departments_not_list")
            return []
        result = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self.error(line, None, "department_no_id")
                continue
            if not _short_id(item["id"]):
                self.error(
                    line,
                    item["id"],
                    "bad_short_id",
                    limit=MAX_SHORT_ID,
                    what=Phrase.of("what_department"),
                )
                continue
            name = self.text(item.get("name", item["id"]), line, None, "departments.name")
            if name is not None:
                result.append(Department(item["id"], name))
        return result

    def _complaint_categories(self, value: Any) -> list[ComplaintCategory]:
        line = self._line("complaint_categories")
        if not isinstance(value, list):
            self.error(line, None, "complaint_categories_not_list")
            return []
        result = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self.error(line, None, "complaint_category_no_id")
                continue
            if not _short_id(item["id"]):
                what = Phrase.of("what_complaint_category")
                self.error(line, item["id"], "bad_short_id", limit=MAX_SHORT_ID, what=what)
                continue
            label = item["id"]
            name = self.text(item.get("name"), line, label, "name")
            days = item.get("deadline_days")
            if not isinstance(days, int) or isinstance(days, bool) or days < 1:
                self.error(line, label, "bad_deadline_days")
                continue
            dept = item.get("department")
            if not isinstance(dept, str):
                self.error(line, label, "bad_department")
                continue
            fields = item.get("fields", list(COMPLAINT_FIELDS))
            if not isinstance(fields, list) or not set(fields) <= set(COMPLAINT_FIELDS):
                known = ", ".join(COMPLAINT_FIELDS)
                self.error(line, label, "bad_fields", known=known)
                continue
            if name is None:
                self.error(line, label, "complaint_category_no_name")
                continue
            result.append(
                ComplaintCategory(
                    id=label,
                    name=name,
                    department=dept,
                    deadline_days=days,
                    report=bool(item.get("report", False)),
                    fields=tuple(fields),
                    intake=bool(item.get("intake", True)),
                )
            )
        return result

    def _triage(self, value: Any) -> list[TriageRule]:
        line = self._line("triage")
        if not isinstance(value, list):
            self.error(line, None, "triage_not_list")
            return []
        result = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                self.error(line, None, "triage_no_id")
                continue
            phrases = self.text_list(item.get("phrases"), line, item["id"], "phrases")
            message = self.text(item.get("message"), line, item["id"], "message")
            if phrases is None or message is None:
                self.error(line, item["id"], "triage_incomplete")
                continue
            result.append(TriageRule(item["id"], phrases.values, message))
        return result


class FileContent:
    """What one file contributes to the knowledge base."""

    def __init__(self) -> None:
        self.departments: list[Department] = []
        self.complaint_categories: list[ComplaintCategory] = []
        self.triage: list[TriageRule] = []
        self.entries: list[Entry] = []
        self.centre: Centre | None = None
        self.categories: list[Category] = []
        self.routes: RoutePhrases = {}
        self.route_exceptions: RoutePhrases = {}


#: Category and department ids travel in button data (64 bytes at most), so they are short.
MAX_SHORT_ID = 32


def _short_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_SHORT_ID and bool(ID_RE.match(value))


def _is_scalar(value: Any) -> bool:
    if type(value) is str:
        return True
    return isinstance(value, str | int | float | dt.date) and not isinstance(value, bool)


def _scalar(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _is_language_map(value: Mapping[Any, Any]) -> bool:
    return bool(value) and _are_language_codes(tuple(value))


@lru_cache(maxsize=1024)
def _are_language_codes(keys: tuple[Any, ...]) -> bool:
    """The keys of a mapping are language codes (zh, en …) and not guide field names."""
    return all(isinstance(k, str) and LANG_RE.match(k) for k in keys) and not (
        set(keys) & _GUIDE_FIELD_SET
    )


def _describe(value: Any) -> Phrase:
    if isinstance(value, dict):
        return Phrase.of("got_mapping")
    if isinstance(value, list):
        return Phrase.of("got_list")
    return Phrase.of("got_value", kind=type(value).__name__, value=repr(value))
