"""Load a knowledge-base directory: read every YAML file, merge, and check the whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from bot.errors import KnowledgeError
from bot.knowledge.model import (
    Category,
    Centre,
    ComplaintCategory,
    Entry,
    KnowledgeBase,
    TriageRule,
)
from bot.knowledge.parse import FileContent, FileParser, RoutePhrases
from bot.knowledge.problems import Level, Problem, errors, report
from bot.knowledge.yamlsafe import Document, YamlRefused, load_yaml_file, load_yaml_text

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """The outcome of loading: the KB when there is no error, and every problem."""

    kb: KnowledgeBase | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    entries: int = 0

    def report(self) -> str:
        """Return the `kb check` report."""
        return report(self.problems, self.entries, self.files)


def sample_kb_path() -> Path:
    """Return the directory of the shipped sample knowledge base.

    An installed package carries it as `bot/sample_kb`; an editable checkout reads the
    repository's `knowledge/` directory, which is what gets packaged.
    """
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "sample_kb"
    if installed.is_dir():
        return installed
    return package_dir.parent / "knowledge"


def kb_files(directory: Path) -> list[Path]:
    """Return every YAML file under `directory`, sorted, skipping hidden names."""
    found = []
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in YAML_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found)


def load_knowledge(directory: Path, today: dt.date | None = None) -> LoadResult:
    """Load and check the KB in `directory`; `kb` is None when any error was found."""
    problems: list[Problem] = []
    if not directory.exists():
        raise KnowledgeError(f"knowledge directory {directory} does not exist")
    if not directory.is_dir():
        raise KnowledgeError(f"{directory} is not a directory (a knowledge base is a directory)")
    files = kb_files(directory)
    contents: list[FileContent] = []
    digest = hashlib.sha256()
    for path in files:
        rel = str(path.relative_to(directory))
        try:
            doc = load_yaml_file(path)
        except YamlRefused as exc:
            where = f" (column {exc.column})" if exc.column else ""
            problems.append(Problem(Level.ERROR, rel, exc.line, None, exc.message + where))
            continue
        except OSError as exc:
            problems.append(Problem(Level.ERROR, rel, None, None, f"cannot read: {exc.strerror}"))
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes())
        contents.append(FileParser(rel, doc.node, problems).parse(doc.value))
    result = LoadResult(None, problems, len(files))
    if not files:
        problems.append(
            Problem(Level.ERROR, str(directory), None, None, "no *.yaml or *.yml files found")
        )
        return result
    entries = [e for c in contents for e in c.entries]
    result.entries = len(entries)
    if not entries and not errors(problems):
        problems.append(
            Problem(Level.ERROR, str(directory), None, None, "the knowledge base has no entries")
        )
    problems.extend(_cross_check(entries, contents, today or dt.date.today()))
    if errors(problems):
        return result
    result.kb = _assemble(entries, contents, digest.hexdigest())
    return result


def load_or_raise(directory: Path, today: dt.date | None = None) -> LoadResult:
    """Load the KB or raise KnowledgeError carrying the full report."""
    result = load_knowledge(directory, today)
    if result.kb is None:
        raise KnowledgeError(f"the knowledge base in {directory} has errors:\n{result.report()}")
    return result


def _cross_check(
    entries: list[Entry], contents: list[FileContent], today: dt.date
) -> list[Problem]:
    found: list[Problem] = []
    by_id: dict[str, Entry] = {}
    for entry in entries:
        first = by_id.get(entry.id)
        if first is None:
            by_id[entry.id] = entry
            continue
        for here, other in ((entry, first), (first, entry)):
            found.append(
                Problem(
                    Level.ERROR,
                    here.source.file,
                    here.source.line,
                    here.id,
                    f"duplicate id `{here.id}` (also at {other.source})",
                )
            )
    declared = {c.id for content in contents for c in content.categories}
    seen_questions: dict[str, Entry] = {}
    for entry in entries:
        src = entry.source
        for rel in entry.related:
            if rel not in by_id:
                found.append(
                    Problem(
                        Level.ERROR, src.file, src.line, entry.id, f"related id `{rel}` not found"
                    )
                )
        if entry.review_by and entry.review_by < today:
            found.append(
                Problem(
                    Level.WARNING,
                    src.file,
                    src.line,
                    entry.id,
                    f"past its review date {entry.review_by.isoformat()}: please review",
                )
            )
        if declared and entry.category and entry.category not in declared:
            found.append(
                Problem(
                    Level.WARNING,
                    src.file,
                    src.line,
                    entry.id,
                    f"category `{entry.category}` is not declared in `categories`",
                )
            )
        for question in set(_question_key(q) for q in entry.questions.all()):
            other = seen_questions.setdefault(question, entry)
            if other.id != entry.id:
                found.append(
                    Problem(
                        Level.WARNING,
                        src.file,
                        src.line,
                        entry.id,
                        f"question {question!r} also belongs to `{other.id}` ({other.source})",
                    )
                )
    return found


def _question_key(question: str) -> str:
    text = unicodedata.normalize("NFKC", question).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _assemble(entries: list[Entry], contents: list[FileContent], fingerprint: str) -> KnowledgeBase:
    routes, exceptions = default_routes()
    defaults = _default_complaints()
    centre: Centre | None = None
    categories: list[Category] = []
    departments = {d.id: d for d in defaults.departments}
    complaint_categories: dict[str, ComplaintCategory] = {}
    triage = {r.id: r for r in defaults.triage}
    for content in contents:
        centre = centre or content.centre
        categories.extend(content.categories)
        _merge(routes, content.routes)
        _merge(exceptions, content.route_exceptions)
        departments.update((d.id, d) for d in content.departments)
        complaint_categories.update((c.id, c) for c in content.complaint_categories)
        for rule in content.triage:
            base = triage.get(rule.id)
            if base is not None:  # a KB adds phrases to a default rule of the same id
                merged = {k: tuple(v) for k, v in base.phrases.items()}
                for lang, more in rule.phrases.items():
                    merged[lang] = (*merged.get(lang, ()), *more)
                rule = TriageRule(rule.id, merged, rule.message)
            triage[rule.id] = rule
    if not complaint_categories:
        complaint_categories = {c.id: c for c in defaults.complaint_categories}
    for category in defaults.complaint_categories:
        if not category.intake:  # the inquiry type always exists
            complaint_categories.setdefault(category.id, category)
    return KnowledgeBase(
        entries=tuple(entries),
        categories=tuple(categories),
        centre=centre,
        routes=_freeze(routes),
        route_exceptions=_freeze(exceptions),
        fingerprint=fingerprint,
        departments=tuple(departments.values()),
        complaint_categories=tuple(complaint_categories.values()),
        triage=tuple(triage.values()),
    )


def _default_complaints() -> FileContent:
    text = resources.files("bot.defaults").joinpath("complaints.yaml").read_text("utf-8")
    doc = load_yaml_text(text)
    problems: list[Problem] = []
    content = FileParser("bot/defaults/complaints.yaml", doc.node, problems).parse(doc.value)
    if problems:
        raise KnowledgeError("the packaged complaints.yaml is broken:\n" + report(problems, 0, 1))
    return content


def default_routes() -> tuple[RoutePhrases, RoutePhrases]:
    """Return the package's default route phrases and their exceptions."""
    text = resources.files("bot.defaults").joinpath("routes.yaml").read_text("utf-8")
    doc: Document = load_yaml_text(text)
    problems: list[Problem] = []
    content = FileParser("bot/defaults/routes.yaml", doc.node, problems).parse(doc.value)
    if problems:
        raise KnowledgeError("the packaged routes.yaml is broken:\n" + report(problems, 0, 1))
    return content.routes, content.route_exceptions


def _merge(into: RoutePhrases, more: RoutePhrases) -> None:
    for route, langs in more.items():
        for lang, phrases in langs.items():
            into.setdefault(route, {}).setdefault(lang, []).extend(phrases)


def _freeze(routes: RoutePhrases) -> MappingProxyType[str, MappingProxyType[str, tuple[str, ...]]]:
    return MappingProxyType(
        {
            route: MappingProxyType({lang: tuple(dict.fromkeys(p)) for lang, p in langs.items()})
            for route, langs in routes.items()
        }
    )
