"""`kb doctor`: the quality a knowledge base can expect, measured on its own alternates.

Each entry's alternate questions are split into `FOLDS` folds (question *i* of an entry
goes to fold *i* mod `FOLDS`). For every fold a matcher is built on the KB without that
fold's questions (titles and keywords stay), and the fold's questions are asked of it: each
is a question worded by the admin that the matcher has not seen, as a citizen's would be.
From this the doctor reports

- the expected rates (answered right, helpful, answered wrong) on such questions;
- pairs of entries that are confused with each other (answered or offered first instead);
- entries whose held-out questions are seldom answered right;
- entries with too few alternate questions, or with near-duplicate ones;
- keywords shared by many entries (they do not tell those entries apart);

each with a suggestion. Messages are in `bot/messages.py` (zh and en).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.knowledge.model import Entry, KnowledgeBase, LocalList
from bot.matching.matcher import Matcher
from bot.matching.routes import Route
from bot.matching.settings import MatchSettings
from bot.messages import t
from bot.text import normalize

#: Folds of the alternate questions (each held out once).
FOLDS = 3
#: Held-out questions asked at most (spread evenly over the KB), so a 10,000-entry KB
#: is diagnosed in about a minute.
MAX_PROBES = 3000
#: An entry should have at least this many alternate questions per language.
MIN_QUESTIONS = 4
#: Two questions of one entry this similar (rapidfuzz ratio on normalised text, also with
#: words or characters sorted) say the same thing twice.
SIMILAR = 90.0
#: A keyword owned by this many entries or more is reported.
SHARED_KEYWORD = 3
#: An entry whose held-out questions are answered right less often than this is weak.
WEAK_SHARE = 0.5
#: Rows shown per section.
SHOW = 10


@dataclass(frozen=True)
class Probe:
    """One held-out alternate question and what the matcher did with it."""

    entry_id: str
    question: str
    route: str
    answered: str | None
    first_choice: str | None
    choices: tuple[str, ...]

    @property
    def right(self) -> bool:
        return self.route == Route.ANSWER and self.answered == self.entry_id

    @property
    def wrong(self) -> bool:
        return self.route == Route.ANSWER and self.answered != self.entry_id

    @property
    def helpful(self) -> bool:
        return self.right or (self.route == Route.CLARIFY and self.entry_id in self.choices)


@dataclass
class Diagnosis:
    """What the doctor found."""

    entries: int
    probes: list[Probe] = field(default_factory=list)
    #: (entry, entry it was taken for) → how often, with an example question.
    confused: list[tuple[str, str, int, str]] = field(default_factory=list)
    #: (entry, share answered right, held-out questions)
    weak: list[tuple[str, float, int]] = field(default_factory=list)
    #: (entry, language, number of alternate questions)
    few: list[tuple[str, str, int]] = field(default_factory=list)
    #: (entry, question, question)
    similar: list[tuple[str, str, str]] = field(default_factory=list)
    #: (keyword, entries owning it)
    shared: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def rate(self, what: str) -> float:
        """The share of probes that are `right`, `helpful` or `wrong`."""
        if not self.probes:
            return 0.0
        return sum(1 for p in self.probes if getattr(p, what)) / len(self.probes)

    def figures(self) -> dict[str, object]:
        """The diagnosis as plain data (for `--json`)."""
        return {
            "entries": self.entries,
            "held_out_questions": len(self.probes),
            "answer_right": round(self.rate("right"), 4),
            "helpful": round(self.rate("helpful"), 4),
            "wrong": round(self.rate("wrong"), 4),
            "confused": [
                {"entry": a, "taken_for": b, "count": n, "example": q}
                for a, b, n, q in self.confused
            ],
            "weak": [{"entry": e, "right": round(r, 4), "questions": n} for e, r, n in self.weak],
            "few_questions": [{"entry": e, "lang": lang, "count": n} for e, lang, n in self.few],
            "similar_questions": [{"entry": e, "a": a, "b": b} for e, a, b in self.similar],
            "shared_keywords": [{"keyword": k, "entries": list(ids)} for k, ids in self.shared],
        }


def diagnose(kb: KnowledgeBase, settings: MatchSettings | None = None) -> Diagnosis:
    """Measure `kb` on its own alternate questions and list its weak spots."""
    diagnosis = Diagnosis(len(kb.entries))
    for matcher, fold in held_out(kb, settings):
        for entry, question in fold:
            match = matcher.match(question)
            choices = tuple(c.entry_id for c in matcher.clarify_choices(match))
            first = match.candidates[0].entry_id if match.candidates else None
            diagnosis.probes.append(
                Probe(entry.id, question, match.route.value, match.entry_id, first, choices)
            )
    _confusions(diagnosis)
    _alternates(kb, diagnosis)
    _keywords(kb, diagnosis)
    return diagnosis


def held_out(
    kb: KnowledgeBase, settings: MatchSettings | None = None
) -> Iterator[tuple[Matcher, list[tuple[Entry, str]]]]:
    """Each fold's questions (at most `MAX_PROBES` in all, spread over the KB), with a
    matcher built on `kb` without them: every question is one that matcher has not seen."""
    held: list[list[tuple[Entry, str]]] = [[] for _ in range(FOLDS)]
    for entry in kb.entries:
        position = 0
        for questions in entry.questions.values.values():
            for question in questions:
                held[position % FOLDS].append((entry, question))
                position += 1
    total = sum(len(fold) for fold in held)
    stride = max(1, -(-total // MAX_PROBES))
    for number, fold in enumerate(held):
        if fold:
            yield Matcher(_without(kb, number), settings, cache_size=0), fold[::stride]


def _without(kb: KnowledgeBase, fold: int) -> KnowledgeBase:
    """`kb` without the alternate questions of `fold`."""
    entries = []
    for entry in kb.entries:
        position = 0
        kept: dict[str, tuple[str, ...]] = {}
        for lang, questions in entry.questions.values.items():
            keep = []
            for question in questions:
                if position % FOLDS != fold:
                    keep.append(question)
                position += 1
            kept[lang] = tuple(keep)
        questions_left = LocalList(kept, entry.questions.default)
        entries.append(dataclasses.replace(entry, questions=questions_left))
    return dataclasses.replace(kb, entries=tuple(entries))


def _confusions(diagnosis: Diagnosis) -> None:
    pairs: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    asked: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for probe in diagnosis.probes:
        asked[probe.entry_id] += 1
        if probe.right:
            right[probe.entry_id] += 1
            continue
        other = probe.answered if probe.wrong else probe.first_choice
        if probe.route in (Route.ANSWER, Route.CLARIFY) and other and other != probe.entry_id:
            pair = (probe.entry_id, other)
            pairs[pair] += 1
            example.setdefault(pair, probe.question)
    diagnosis.confused = [(a, b, n, example[(a, b)]) for (a, b), n in pairs.most_common()]
    weak = [
        (entry_id, right[entry_id] / n, n)
        for entry_id, n in asked.items()
        if right[entry_id] / n < WEAK_SHARE
    ]
    diagnosis.weak = sorted(weak, key=lambda row: (row[1], row[0]))


def _alternates(kb: KnowledgeBase, diagnosis: Diagnosis) -> None:
    languages = sorted({lang for e in kb.entries for lang, qs in e.questions.values.items() if qs})
    for entry in kb.entries:
        for lang in languages:
            count = len(entry.questions.values.get(lang, ()))
            if count < MIN_QUESTIONS:
                diagnosis.few.append((entry.id, lang, count))
        for questions in entry.questions.values.values():
            norms = [normalize(q) for q in questions]
            for i in range(len(norms)):
                for j in range(i + 1, len(norms)):
                    if _alike(norms[i], norms[j]) >= SIMILAR:
                        diagnosis.similar.append((entry.id, questions[i], questions[j]))


def _alike(a: str, b: str) -> float:
    """How alike two questions are, word order aside (rapidfuzz ratio, 0–100)."""
    return max(
        fuzz.ratio(a, b),
        fuzz.token_sort_ratio(a, b),
        fuzz.ratio("".join(sorted(a.replace(" ", ""))), "".join(sorted(b.replace(" ", "")))),
    )


def _keywords(kb: KnowledgeBase, diagnosis: Diagnosis) -> None:
    owners: defaultdict[str, list[str]] = defaultdict(list)
    for entry in kb.entries:
        for keyword in dict.fromkeys(normalize(k) for k in entry.keywords.all()):
            if keyword:
                owners[keyword].append(entry.id)
    shared = [(k, tuple(ids)) for k, ids in owners.items() if len(ids) >= SHARED_KEYWORD]
    diagnosis.shared = sorted(shared, key=lambda row: (-len(row[1]), row[0]))


def render(diagnosis: Diagnosis, lang: str) -> str:
    """The diagnosis as text for the admin, in `lang`."""
    d = diagnosis
    lines = [
        t("doctor_title", lang, entries=d.entries, probes=len(d.probes), folds=FOLDS),
        t(
            "doctor_rates",
            lang,
            right=_pct(d.rate("right")),
            helpful=_pct(d.rate("helpful")),
            wrong=_pct(d.rate("wrong")),
        ),
        "",
    ]

    def section(key: str, rows: list[str], advice: str) -> None:
        lines.append(t(key, lang, count=len(rows)))
        if not rows:
            lines.append("  " + t("doctor_nothing", lang))
        else:
            lines.extend("  " + row for row in rows[:SHOW])
            if len(rows) > SHOW:
                lines.append("  " + t("doctor_more", lang, count=len(rows) - SHOW))
            lines.append("  → " + t(advice, lang))
        lines.append("")

    section(
        "doctor_confused",
        [
            t("doctor_confused_row", lang, entry=a, other=b, count=n, example=q)
            for a, b, n, q in d.confused
        ],
        "doctor_confused_advice",
    )
    section(
        "doctor_weak",
        [t("doctor_weak_row", lang, entry=e, right=_pct(r), count=n) for e, r, n in d.weak],
        "doctor_weak_advice",
    )
    section(
        "doctor_few",
        [
            t("doctor_few_row", lang, entry=e, lang_code=code, count=n, want=MIN_QUESTIONS)
            for e, code, n in d.few
        ],
        "doctor_few_advice",
    )
    section(
        "doctor_similar",
        [t("doctor_similar_row", lang, entry=e, a=a, b=b) for e, a, b in d.similar],
        "doctor_similar_advice",
    )
    section(
        "doctor_shared",
        [
            t("doctor_shared_row", lang, keyword=k, count=len(ids), entries=", ".join(ids))
            for k, ids in d.shared
        ],
        "doctor_shared_advice",
    )
    return "\n".join(lines).rstrip() + "\n"


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"
