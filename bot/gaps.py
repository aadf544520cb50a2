"""Knowledge gaps: what citizens asked that the knowledge base did not settle.

A *gap question* is a logged question that ended with no match (route `none`), with
"did you mean…" choices nobody picked (`clarify`, `picked IS NULL`), or with an answer the
citizen marked 👎 (`feedback = 0`). Only its text, language, route, candidates and time
leave `unanswered`: never the user key, and personal data in the text (numbers, e-mails,
house addresses, introduced names) is masked (bot/masking.py). A clause holding a mask
never feeds the grouping, a suggested id, a keyword idea or a title, so a name never
becomes one.

`group` clusters similar gap questions so that an admin sees each missing topic once:

* Questions that triage stops or doubts (docs/triage.md) are never grouped.
* Each question becomes its *content units* (`matcher.index.analyze(text).content`),
  weighted by the KB's IDF (`matcher.index.weight`: words the KB never uses weigh most).
* Similarity is the **weighted overlap coefficient**: the weight of the shared units over
  the weight of the lighter question's units (1.0 when one question's topic words are all
  in the other). It forgives a short and a long phrasing of the same request.
* Two questions are linked at similarity ≥ `LINK_OVERLAP` (0.5), or ≥
  `LINK_OVERLAP_SAME_ENTRY` (0.25) when both have the same top candidate scoring at least
  the matcher's clarify threshold (they lean toward the same entry).
* Greedy single-link clustering, oldest question first: a question joins the group holding
  its strongest link (ties: the older group), or starts a new group. The result depends
  only on the questions and their order, so it is deterministic.

A group's *nearest entry* is the most common top candidate scoring ≥ the clarify threshold
(ties: the higher mean score, then the id); with none, the group needs a new entry. Its
snippet is YAML written with `yaml.safe_dump`:

* nearest entry → a mapping `{id: <entry>, questions: {<lang>: [...]}}`: alternate
  phrasings to add to that entry's `questions` (only ones the KB does not have already);
  when every phrasing was already answered with that entry and got 👎, there is nothing to
  add and the snippet is a YAML comment (it loads as None) asking to review the answer;
* no nearest entry → a list with one new entry
  `[{id, title, questions, keywords: [TODO], answer: {summary: TODO}}]` to paste under
  `entries:`; once the TODO strings are filled in it passes `citizen-desk kb check`.

`inquiry_drafts` turns staff answers to `inquiry` tickets marked "add to the knowledge
base" into the same new-entry snippets (the description as the question, the outcome as
the answer summary). `render` is the text of `citizen-desk kb gaps`; `render_short` is
the admins' `/gaps` Telegram command (plain text: escape it for HTML).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from bot.knowledge.model import LocalText
from bot.masking import mask, unmasked_part
from bot.matching.analyzer import LATIN
from bot.matching.corrector import pinyin
from bot.matching.matcher import Candidate, Matcher
from bot.privacy import ERASED
from bot.store import GapStore, Store
from bot.text import has_han, normalize
from bot.triage import Triager

#: Questions are linked when their shared content units carry at least this share of the
#: lighter question's unit weight (weighted overlap coefficient)…
LINK_OVERLAP = 0.5
#: …or this share when both have the same top candidate at or above the clarify threshold.
LINK_OVERLAP_SAME_ENTRY = 0.25
#: Example questions shown (and offered as alternate questions) per group.
MAX_EXAMPLES = 5
#: Words of the group that make the suggested id (and the keyword ideas).
ID_WORDS = 3
MAX_ID_CHARS = 40
#: Longest suggested title of a draft entry.
MAX_TITLE_CHARS = 30
#: The placeholder an admin replaces before pasting.
TODO = "TODO"

#: Why a question is a gap: no match, unpicked choices, or a 👎 on the answer.
REASONS = ("none", "clarify", "disliked")

_SLUG_RE = re.compile(r"[^a-z0-9]+")
_SENTENCE_END_RE = re.compile(r"[。！？!?；;\n]")


@dataclass(frozen=True)
class GapQuestion:
    """A question the KB did not settle (no personal data: no user key)."""

    text: str
    lang: str
    route: str
    candidates: tuple[Candidate, ...]
    asked_at: dt.datetime
    disliked: bool = False

    @property
    def reason(self) -> str:
        """`disliked` for a 👎, else the route (`none` or `clarify`)."""
        return "disliked" if self.disliked else self.route


@dataclass(frozen=True)
class NearestEntry:
    """The existing entry a group leans toward."""

    entry_id: str
    title: LocalText
    source: str
    #: Questions of the group whose top candidate it is.
    count: int
    #: Their mean score for it.
    mean_score: float


@dataclass(frozen=True)
class GapGroup:
    """Similar gap questions, and what to paste into the KB for them."""

    size: int
    examples: tuple[str, ...]
    languages: tuple[str, ...]
    #: (reason, count) for the reasons in `REASONS` that occur.
    reasons: tuple[tuple[str, int], ...]
    nearest: NearestEntry | None
    #: `add-questions` (to the nearest entry), `new-entry`, or `review-answer` (every
    #: phrasing already reaches the nearest entry and its answer got 👎).
    action: str
    snippet: str
    #: The suggested id of a new entry (None when there is a nearest entry).
    suggested_id: str | None
    last_asked: dt.datetime


@dataclass(frozen=True)
class InquiryDraft:
    """A staff answer to an inquiry, proposed as a new entry."""

    number: str
    question: str
    answer: str
    lang: str
    snippet: str


# -- reading ------------------------------------------------------------------------------


async def unanswered(store: Store, since: dt.date | None = None) -> list[GapQuestion]:
    """Gap questions asked on or after `since` (UTC date), oldest first; no user keys.

    Questions whose text was erased on the citizen's request are left out.
    """
    rows = await GapStore(store).unanswered(since.isoformat() if since else None)
    return [_gap_question(row) for row in rows if row["text"] != ERASED]


def _gap_question(row: Mapping[str, Any]) -> GapQuestion:
    lang = str(row["lang"])
    return GapQuestion(
        text=mask(str(row["text"]), lang),
        lang=lang,
        route=str(row["route"]),
        candidates=parse_candidates(row["candidates"]),
        asked_at=dt.datetime.fromisoformat(str(row["created_at"])),
        disliked=row["feedback"] == 0,
    )


def parse_candidates(raw: str | None) -> tuple[Candidate, ...]:
    """The logged candidates (JSON `[[entry_id, score], …]`); () when unreadable."""
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return ()
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 2 and isinstance(item[1], int | float):
            found.append(Candidate(str(item[0]), float(item[1])))
    return tuple(found)


async def inquiry_drafts(store: Store, matcher: Matcher | None = None) -> list[InquiryDraft]:
    """Staff answers to `inquiry` tickets marked kb_candidate, as new-entry snippets.

    With a matcher, the suggested id is made of the question's words and avoids the KB's
    ids; without one it is `inquiry-<ticket number>`.
    """
    taken = {e.id for e in matcher.kb.entries} if matcher else set()
    drafts = []
    for row in await GapStore(store).kb_candidate_inquiries():
        number = str(row["number"])
        lang = str(row["lang"])
        question = mask(str(row["description"]).strip(), lang)
        answer = mask(str(row["outcome"]).strip(), lang)
        words = _top_words(matcher, [question]) if matcher else []
        entry_id = _unique(_slug(words) if words else _slug([f"inquiry {number}"]), taken)
        snippet = new_entry_snippet(
            entry_id, _title(question), {lang: [question]}, {lang: answer}, words
        )
        drafts.append(InquiryDraft(number, question, answer, lang, snippet))
    return drafts


# -- grouping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    question: GapQuestion
    units: Mapping[str, float]
    weight: float
    top: Candidate | None


def group(questions: Sequence[GapQuestion], matcher: Matcher, min_count: int = 1) -> list[GapGroup]:
    """Cluster similar questions; groups of at least `min_count`, the largest first.

    Questions without content words (only emoji, punctuation or question words) are left
    out: they are not a topic the KB could cover. So are questions triage stops or doubts
    (an emergency, another channel's matter): `unanswered` already leaves out those logged
    with a triage label, and this also catches ones logged before triage existed or under
    older rules — an alternate question must never turn a fire into a subsidy answer.
    """
    triager = Triager(matcher.kb)
    kept = [q for q in questions if triager.triage(q.text) is None]
    items = [i for i in (_item(q, matcher) for q in kept) if i is not None]
    taken = {e.id for e in matcher.kb.entries}
    groups = [_group(members, matcher, taken) for members in _cluster(items)]
    groups.sort(key=lambda g: (-g.size, -g.last_asked.timestamp(), g.examples))
    return [g for g in groups if g.size >= min_count]


def _item(question: GapQuestion, matcher: Matcher) -> _Item | None:
    content = matcher.index.analyze(unmasked_part(question.text)).content
    units = {u: matcher.index.weight(u) for u in content}
    if not units:
        return None
    top = question.candidates[0] if question.candidates else None
    if top is not None and top.score < matcher.settings.clarify:
        top = None
    return _Item(question, units, sum(units.values()), top)


def similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Weighted overlap coefficient of two weighted unit sets, in [0, 1]."""
    lighter = min(sum(a.values()), sum(b.values()))
    if lighter <= 0:
        return 0.0
    return sum(w for u, w in a.items() if u in b) / lighter


def _link(a: _Item, b: _Item) -> float:
    """How strongly two questions are linked (0 when they are not)."""
    score = similarity(a.units, b.units)
    if score >= LINK_OVERLAP:
        return score
    same_entry = a.top is not None and b.top is not None and a.top.entry_id == b.top.entry_id
    return score if same_entry and score >= LINK_OVERLAP_SAME_ENTRY else 0.0


def _cluster(items: Sequence[_Item]) -> list[list[_Item]]:
    clusters: list[list[_Item]] = []
    for item in items:
        best, best_link = None, 0.0
        for members in clusters:
            link = max(_link(item, m) for m in members)
            if link > best_link:
                best, best_link = members, link
        if best is None:
            clusters.append([item])
        else:
            best.append(item)
    return clusters


def _group(members: Sequence[_Item], matcher: Matcher, taken: set[str]) -> GapGroup:
    questions = [m.question for m in members]
    examples = _examples(questions)
    nearest = _nearest(members, matcher)
    suggested_id = None
    if nearest is None:
        action = "new-entry"
        words = _top_words(matcher, [q.text for q in questions])
        suggested_id = _unique(_slug(words) or "new-entry", taken)
        by_lang = _by_language(questions, examples)
        snippet = new_entry_snippet(suggested_id, _title(examples[0]), by_lang, None, words)
    else:
        new = _alternates(nearest, questions, examples, matcher)
        action = "add-questions" if new else "review-answer"
        snippet = _alternates_snippet(nearest, _by_language(questions, new))
    reasons = Counter(q.reason for q in questions)
    return GapGroup(
        size=len(questions),
        examples=examples,
        languages=tuple(lang for lang, _ in Counter(q.lang for q in questions).most_common()),
        reasons=tuple((r, reasons[r]) for r in REASONS if reasons[r]),
        nearest=nearest,
        action=action,
        snippet=snippet,
        suggested_id=suggested_id,
        last_asked=max(q.asked_at for q in questions),
    )


def question_key(text: str) -> str:
    """The form under which two phrasings count as the same (as `kb check` compares them)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _examples(questions: Sequence[GapQuestion]) -> tuple[str, ...]:
    """Distinct phrasings, the most frequent first (ties: first asked)."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for q in questions:
        key = question_key(q.text) or q.text
        counts[key] += 1
        first.setdefault(key, q.text.strip())
    ranked = sorted(first, key=lambda k: -counts[k])  # stable: first asked wins ties
    return tuple(first[k] for k in ranked[:MAX_EXAMPLES])


def _nearest(members: Sequence[_Item], matcher: Matcher) -> NearestEntry | None:
    scores: dict[str, list[float]] = {}
    for m in members:
        if m.top is not None:
            scores.setdefault(m.top.entry_id, []).append(m.top.score)
    if not scores:
        return None
    entry_id, values = min(
        scores.items(), key=lambda kv: (-len(kv[1]), -sum(kv[1]) / len(kv[1]), kv[0])
    )
    entry = matcher.kb.get(entry_id)
    if entry is None:  # the KB changed since the question was asked
        return None
    return NearestEntry(
        entry_id,
        entry.title,
        str(entry.source),
        len(values),
        round(sum(values) / len(values), 4),
    )


def _by_language(questions: Sequence[GapQuestion], texts: Sequence[str]) -> dict[str, list[str]]:
    """`texts` under the language they were asked in, without their masked clauses
    (an alternate question to paste never holds a mask)."""
    lang_of = {question_key(q.text): q.lang for q in reversed(questions)}
    by_lang: dict[str, list[str]] = {}
    for text in texts:
        phrasings = by_lang.setdefault(lang_of.get(question_key(text), "zh"), [])
        clean = unmasked_part(text)
        if clean and clean not in phrasings:
            phrasings.append(clean)
    return by_lang


# -- snippets -----------------------------------------------------------------------------


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _alternates(
    nearest: NearestEntry, questions: Sequence[GapQuestion], examples: Sequence[str], m: Matcher
) -> list[str]:
    """The examples worth adding: not in the KB yet, and not already answered with it."""
    known = {question_key(q) for e in m.kb.entries for q in e.questions.all()}
    reached = {
        question_key(q.text)
        for q in questions
        if q.route == "answer" and q.candidates and q.candidates[0].entry_id == nearest.entry_id
    }
    return [t for t in examples if question_key(unmasked_part(t)) not in known | reached]


def _alternates_snippet(nearest: NearestEntry, new: Mapping[str, Sequence[str]]) -> str:
    """Alternate questions for the nearest entry, or (none) a comment to review its answer."""
    if not new:
        return (
            f"# every phrasing already reaches `{nearest.entry_id}` ({nearest.source}) and got"
            " 👎: review its answer (这些问法已匹配到该条目但被点 👎，请检查答复内容)\n"
        )
    header = (
        f"# add to the questions of `{nearest.entry_id}` ({nearest.source})"
        " (补充到该条目的 questions)\n"
    )
    data = {"id": nearest.entry_id, "questions": {k: list(v) for k, v in new.items()}}
    return header + _dump(data)


def new_entry_snippet(
    entry_id: str,
    title: str,
    questions: Mapping[str, Sequence[str]],
    answers: Mapping[str, str] | None,
    keyword_ideas: Sequence[str] = (),
) -> str:
    """A one-entry list to paste under `entries:`; TODO marks what an admin must write."""
    langs = list(questions)
    entry = {
        "id": entry_id,
        "title": {langs[0]: title},
        "questions": {lang: list(texts) for lang, texts in questions.items()},
        "keywords": {lang: [TODO] for lang in langs},
        "answer": {
            "summary": {lang: (answers or {}).get(lang) or TODO for lang in langs},
        },
    }
    header = (
        "# new entry (新条目): replace every TODO, paste under `entries:` of a knowledge file,"
        " then run `citizen-desk kb check`\n"
    )
    if keyword_ideas:
        header += f"# keyword ideas (关键词参考): {', '.join(keyword_ideas)}\n"
    return header + _dump([entry])


def _top_words(matcher: Matcher, texts: Sequence[str]) -> list[str]:
    """The content words used by the most texts (ties: first seen), up to `ID_WORDS`."""
    analyzer = matcher.index.analyzer
    skip = analyzer.lexicon.filler | analyzer.lexicon.question
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for text in texts:
        seen = set()
        for token in analyzer.tokens(normalize(unmasked_part(text))):
            if token.text in skip:
                continue
            key = analyzer.stem(token.text) if token.kind == LATIN else token.text
            surface.setdefault(key, token.text)
            seen.add(key)
        counts.update(seen)
    ranked = sorted(surface, key=lambda k: -counts[k])  # stable: first seen wins ties
    return [surface[k] for k in ranked[:ID_WORDS]]


def _slug(words: Sequence[str]) -> str:
    """An id `[a-z0-9-]+` from words (Chinese as pinyin), at most `MAX_ID_CHARS`."""
    parts = [pinyin(w) if has_han(w) else w for w in words]
    slug = _SLUG_RE.sub("-", "-".join(parts).lower()).strip("-")
    while len(slug) > MAX_ID_CHARS and "-" in slug:
        slug = slug.rsplit("-", 1)[0]
    return slug[:MAX_ID_CHARS].strip("-")


def _unique(entry_id: str, taken: set[str]) -> str:
    """`entry_id`, or with `-2`, `-3`… when taken; the result is added to `taken`."""
    candidate, n = entry_id, 1
    while candidate in taken:
        n += 1
        candidate = f"{entry_id}-{n}"
    taken.add(candidate)
    return candidate


def _title(question: str) -> str:
    """The first sentence of a question, clipped: a suggested title (never a masked part)."""
    first = _SENTENCE_END_RE.split(question.strip(), maxsplit=1)[0].strip() or question.strip()
    return _clip(unmasked_part(first) or unmasked_part(question) or TODO)


def _clip(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- rendering ----------------------------------------------------------------------------

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "知识库缺口：{groups} 组，共 {questions} 个问题（未匹配、澄清后未选择、👎）",
        "none_found": "没有发现知识库缺口。",
        "group": "{n}. {size} 个问题 · 语言 {langs} · {reasons}",
        "examples": "   例句：",
        "nearest": "   最接近的条目：{id}（{title}），"
        "{count}/{size} 个问题首选，平均分 {score:.2f}",
        "no_nearest": "   最接近的条目：无（没有条目达到澄清阈值）→ 建议新条目 {id}",
        "review": "   这些问法已匹配到该条目但被点 👎：请检查它的答复",
        "snippet": "   YAML 片段：",
        "drafts": "工单答复草稿（工作人员标记“加入知识库”的咨询）：{n} 条",
        "draft": "{n}. {number}：{question}",
        "short_title": "知识库缺口（前 {shown} 组，共 {total} 组）：",
        "short_new": "新条目",
        "short_review": "👎 请检查答复",
        "short_more": "完整报告和 YAML 片段：citizen-desk kb gaps",
        "none": "未匹配 {n}",
        "clarify": "未选择 {n}",
        "disliked": "👎 {n}",
    },
    "en": {
        "title": "Knowledge gaps: {groups} groups, {questions} questions"
        " (no match, clarify not picked, 👎)",
        "none_found": "No knowledge gaps found.",
        "group": "{n}. {size} questions · languages {langs} · {reasons}",
        "examples": "   Examples:",
        "nearest": "   Nearest entry: {id} ({title}),"
        " top for {count}/{size}, mean score {score:.2f}",
        "no_nearest": "   Nearest entry: none (nothing reaches the clarify threshold)"
        " → new entry {id}",
        "review": "   These phrasings already reach that entry and got 👎: review its answer",
        "snippet": "   YAML snippet:",
        "drafts": "Drafts from staff answers (inquiries marked “add to the knowledge base”): {n}",
        "draft": "{n}. {number}: {question}",
        "short_title": "Knowledge gaps (top {shown} of {total} groups):",
        "short_new": "new entry",
        "short_review": "👎 review its answer",
        "short_more": "Full report with YAML snippets: citizen-desk kb gaps",
        "none": "no match {n}",
        "clarify": "not picked {n}",
        "disliked": "👎 {n}",
    },
}


def _labels(lang: str) -> dict[str, str]:
    return _LABELS.get(lang, _LABELS["zh"])


def _indent(text: str, prefix: str = "     ") -> list[str]:
    return [prefix + line for line in text.rstrip("\n").splitlines()]


def _render_group(n: int, g: GapGroup, labels: Mapping[str, str], lang: str) -> list[str]:
    reasons = " · ".join(labels[r].format(n=c) for r, c in g.reasons)
    lines = [
        labels["group"].format(n=n, size=g.size, langs=", ".join(g.languages), reasons=reasons)
    ]
    lines.append(labels["examples"])
    lines.extend(f"   - {text}" for text in g.examples)
    if g.nearest is None:
        lines.append(labels["no_nearest"].format(id=g.suggested_id))
    else:
        near = g.nearest
        lines.append(
            labels["nearest"].format(
                id=near.entry_id,
                title=near.title.get(lang),
                count=near.count,
                size=g.size,
                score=near.mean_score,
            )
        )
        if g.action == "review-answer":
            lines.append(labels["review"])
    lines.append(labels["snippet"])
    lines.extend(_indent(g.snippet))
    return lines


def render(groups: Sequence[GapGroup], drafts: Sequence[InquiryDraft], lang: str = "zh") -> str:
    """The report `citizen-desk kb gaps` prints: every group, then the inquiry drafts."""
    labels = _labels(lang)
    if not groups and not drafts:
        return labels["none_found"] + "\n"
    total = sum(g.size for g in groups)
    title = labels["title"].format(groups=len(groups), questions=total)
    lines = [title if groups else labels["none_found"], ""]
    for n, g in enumerate(groups, start=1):
        lines.extend(_render_group(n, g, labels, lang))
        lines.append("")
    if drafts:
        lines.append(labels["drafts"].format(n=len(drafts)))
        lines.append("")
        for n, d in enumerate(drafts, start=1):
            lines.append(labels["draft"].format(n=n, number=d.number, question=_title(d.question)))
            lines.extend(_indent(d.snippet))
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_short(groups: Sequence[GapGroup], limit: int = 5, lang: str = "zh") -> str:
    """A few lines for the admins' `/gaps` command (plain text: escape it for HTML)."""
    labels = _labels(lang)
    if not groups:
        return labels["none_found"]
    shown = groups[:limit]
    lines = [labels["short_title"].format(shown=len(shown), total=len(groups))]
    for n, g in enumerate(shown, start=1):
        if g.nearest is None:
            target = f"{labels['short_new']} {g.suggested_id}"
        elif g.action == "review-answer":
            target = f"{g.nearest.entry_id} ({labels['short_review']})"
        else:
            target = g.nearest.entry_id
        lines.append(f"{n}. ×{g.size} {_clip(g.examples[0])} → {target}")
    lines.append(labels["short_more"])
    return "\n".join(lines)


async def short_report(
    store: Store, matcher: Matcher, days: int = 30, limit: int = 5, lang: str = "zh"
) -> str:
    """The `/gaps` text: groups of the last `days` days (UTC), the largest `limit` of them."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)
    return render_short(group(await unanswered(store, since), matcher), limit, lang)
