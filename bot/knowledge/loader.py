"""Load a knowledge-base directory: read every YAML file, merge, and check the whole."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.errors import KnowledgeError
from bot.knowledge import cache as kb_cache
from bot.knowledge.gcpause import paused_gc
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
from bot.knowledge.yamlsafe import (
    Document,
    YamlRefused,
    load_yaml_bytes,
    load_yaml_text,
    read_yaml_bytes,
)
from bot.messages import t

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    """The outcome of loading: the KB when there is no error, and every problem."""

    kb: KnowledgeBase | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    entries: int = 0

    def report(self, lang: str = "en") -> str:
        """Return the `kb check` report in `lang` (zh or en)."""
        return report(self.problems, self.entries, self.files, lang)


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


def kb_files(directory: Path, problems: list[Problem] | None = None) -> list[Path]:
    """Return every YAML file under `directory`, sorted, skipping hidden names.

    Symbolic links are followed, to files and to directories. A link that leads nowhere
    (dangling, or a loop) and a directory that cannot be listed are added to `problems`
    as errors by name, instead of being skipped without a word.
    """
    found: list[Path] = []
    _walk(
        directory, directory, {directory.resolve()}, found, problems if problems is not None else []
    )
    return sorted(found)


def _walk(
    root: Path, directory: Path, walked: set[Path], found: list[Path], problems: list[Problem]
) -> None:
    """Collect the YAML files under `directory` (`walked`: the real paths of the
    directories on the way down, so a link back up is a loop and not followed)."""
    try:
        children = sorted(directory.iterdir())
    except OSError as exc:
        rel = str(directory.relative_to(root)) or "."
        problems.append(_unreadable(rel, "unreadable_dir", error=exc.strerror))
        return
    for path in children:
        if path.name.startswith("."):
            continue
        rel = str(path.relative_to(root))
        is_yaml = path.suffix.lower() in YAML_SUFFIXES
        if path.is_symlink():
            target = _link_target(path, rel)
            if isinstance(target, Problem):
                if is_yaml or not path.suffix:  # a YAML file, or perhaps a directory
                    problems.append(target)
                continue
            if target.is_dir():
                if target in walked or any(target in w.parents for w in walked):
                    problems.append(_unreadable(rel, "link_loop_up", link=str(path.readlink())))
                    continue
                _walk(root, path, walked | {target}, found, problems)
                continue
        if path.is_dir():
            _walk(root, path, walked | {path.resolve()}, found, problems)
        elif is_yaml and path.is_file():
            found.append(path)


def _link_target(link: Path, rel: str) -> Path | Problem:
    """Where a symbolic link leads, or the error (for `rel`) saying why it leads nowhere."""
    try:
        return link.resolve(strict=True)
    except FileNotFoundError:
        return _unreadable(rel, "dangling_link", link=str(link.readlink()))
    except (RuntimeError, OSError) as exc:  # RuntimeError: a loop (Python ≤ 3.12)
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
            return _unreadable(rel, "link_loop", link=str(link.readlink()))
        error = exc.strerror if isinstance(exc, OSError) else str(exc)
        return _unreadable(rel, "unreadable", error=error)


def _unreadable(rel: str, key: str, **values: Any) -> Problem:
    return Problem.of(Level.ERROR, rel, None, None, key, **values)


def load_knowledge(
    directory: Path, today: dt.date | None = None, *, cache: bool = True
) -> LoadResult:
    """Load and check the KB in `directory`; `kb` is None when any error was found.

    With `cache` (the default), files unchanged since an earlier load are read back from
    the start-up cache (`bot.knowledge.cache`) instead of parsed; the result is the same.
    """
    problems: list[Problem] = []
    if not directory.exists():
        raise KnowledgeError(localized=lambda lang: t("kb_dir_missing", lang, path=directory))
    if not directory.is_dir():
        raise KnowledgeError(localized=lambda lang: t("kb_dir_not_dir", lang, path=directory))
    files = kb_files(directory, problems)
    with paused_gc():
        dropped: dict[str, str] = {}
        contents, fingerprint = _parse_files(directory, files, problems, cache, dropped)
        result = LoadResult(None, problems, len(files))
        if not files:
            problems.append(Problem.of(Level.ERROR, str(directory), None, None, "no_files"))
            return result
        entries = [e for c in contents for e in c.entries]
        result.entries = len(entries)
        if not entries and not errors(problems):
            problems.append(Problem.of(Level.ERROR, str(directory), None, None, "no_entries"))
        problems.extend(_cross_check(entries, contents, today or dt.date.today(), dropped))
        if errors(problems):
            return result
        result.kb = _assemble(entries, contents, fingerprint)
    return result


def _parse_files(
    directory: Path,
    files: list[Path],
    problems: list[Problem],
    use_cache: bool,
    dropped: dict[str, str] | None = None,
) -> tuple[list[FileContent], str]:
    """Parse every file (or take them from the cache); add the files' problems.

    `dropped` receives, for each file refused for its YAML, the ids it seems to declare
    (`id: …` lines, read from its text) → the file: a `related:` to one of them is not
    another error, since the one error is the file's.

    Returns the files' contents and the KB's fingerprint (a hash of the paths and bytes of
    the files that parsed). A cache hit reads each file once (to hash it); a miss reads
    each file again to parse it, one at a time, so that no more than one file's bytes are
    held at once.
    """
    where = kb_cache.cache_dir() if use_cache and _worth_caching(files) else None
    if where is not None:
        key = _cache_key(directory, files)
        cached = kb_cache.read(where, key) if key is not None else None
        if cached is not None and _valid_cached(cached):
            fingerprint, found, *contents = cached
            problems.extend(found)
            return contents, fingerprint
    contents = []
    digest = hashlib.sha256()
    strings: dict[str, str] = {}  # one object per distinct text, across files
    start = len(problems)
    read_key: kb_cache.FileKey | None = kb_cache.FileKey()
    for path in files:
        rel = str(path.relative_to(directory))
        raw: bytes | None = None
        try:
            raw = read_yaml_bytes(path)
            if read_key is not None:
                read_key.add(rel, raw)
            doc = load_yaml_bytes(raw, strings)
        except YamlRefused as exc:
            problems.append(_refused(rel, exc))
            if raw is not None and dropped is not None:
                dropped.update(dict.fromkeys(_declared_ids(raw), rel))
            read_key = None  # a broken KB is not worth caching (and `dropped` is not kept)
            continue
        except OSError as exc:
            problems.append(_unreadable(rel, "unreadable", error=exc.strerror))
            read_key = None  # perhaps a passing trouble: not cached
            continue
        digest.update(rel.encode() + b"\0" + raw)
        contents.append(FileParser(rel, doc.node, problems).parse(doc.value))
        del doc, raw  # free this file's node tree before the next one is built
    fingerprint = digest.hexdigest()
    if where is not None and read_key is not None:
        kb_cache.write(where, read_key.key(), [fingerprint, problems[start:], *contents])
    return contents, fingerprint


def _worth_caching(files: list[Path]) -> bool:
    """Small knowledge bases parse in well under a second: they are not cached."""
    try:
        return sum(path.stat().st_size for path in files) >= kb_cache.MIN_BYTES
    except OSError:
        return False


def _cache_key(directory: Path, files: list[Path]) -> str | None:
    """The cache key of the files as they are now; None when one is unreadable or too big."""
    key = kb_cache.FileKey()
    for path in files:
        try:
            key.add(str(path.relative_to(directory)), read_yaml_bytes(path))
        except (OSError, YamlRefused):
            return None
    return key.key()


#: An `id:` line of an entry, as a file that does not parse still shows it.
_ID_LINE = re.compile(r"""^[\s-]*id:\s*["']?([a-z0-9-]+)["']?\s*(?:#.*)?$""", re.MULTILINE)


def _declared_ids(raw: bytes) -> list[str]:
    """The entry ids a YAML file's text appears to declare (when it cannot be parsed)."""
    return _ID_LINE.findall(raw.decode("utf-8", errors="replace"))


def _refused(rel: str, exc: YamlRefused) -> Problem:
    column = {"at_column": exc.column} if exc.column else {}
    return Problem.of(Level.ERROR, rel, exc.line, None, exc.key, **exc.values, **column)


def _valid_cached(parts: list[Any]) -> bool:
    """What the cache returned has the shape `_parse_files` wrote."""
    return (
        len(parts) >= 2
        and isinstance(parts[0], str)
        and isinstance(parts[1], list)
        and all(isinstance(p, Problem) for p in parts[1])
        and all(isinstance(c, FileContent) for c in parts[2:])
    )


def load_or_raise(directory: Path, today: dt.date | None = None) -> LoadResult:
    """Load the KB or raise KnowledgeError carrying the full report."""
    result = load_knowledge(directory, today)
    if result.kb is None:
        raise KnowledgeError(
            localized=lambda lang: (
                t("kb_has_errors", lang, path=directory) + "\n" + result.report(lang)
            )
        )
    return result


def _cross_check(
    entries: list[Entry],
    contents: list[FileContent],
    today: dt.date,
    dropped: dict[str, str] | None = None,
) -> list[Problem]:
    found: list[Problem] = []
    by_id: dict[str, Entry] = {}
    for entry in entries:
        first = by_id.get(entry.id)
        if first is None:
            by_id[entry.id] = entry
            continue
        # Reported once, where the id is used again, naming where it was first.
        found.append(
            _about(
                Level.ERROR,
                entry,
                "duplicate_id",
                id=entry.id,
                first=str(first.source),
            )
        )
    declared = {c.id for content in contents for c in content.categories}
    seen_questions: dict[str, Entry] = {}
    for entry in entries:
        for rel in entry.related:
            if rel not in by_id and rel not in (dropped or {}):
                found.append(_about(Level.ERROR, entry, "related_not_found", id=rel))
        if entry.review_by and entry.review_by < today:
            found.append(
                _about(
                    Level.WARNING,
                    entry,
                    "past_review",
                    date=entry.review_by.isoformat(),
                )
            )
        if declared and entry.category and entry.category not in declared:
            found.append(
                _about(
                    Level.WARNING,
                    entry,
                    "undeclared_category",
                    category=entry.category,
                )
            )
        for question in set(_question_key(q) for q in entry.questions.all()):
            other = seen_questions.setdefault(question, entry)
            if other.id != entry.id:
                found.append(
                    _about(
                        Level.WARNING,
                        entry,
                        "shared_question",
                        question=repr(question),
                        other=other.id,
                        where=str(other.source),
                    )
                )
    return found


def _about(level: Level, entry: Entry, key: str, /, **values: Any) -> Problem:
    """A problem found with `entry`, reported where the entry starts."""
    return Problem.of(level, entry.source.file, entry.source.line, entry.id, key, **values)


def _question_key(question: str) -> str:
    text = unicodedata.normalize("NFKC", question).casefold()
    return "".join(filter(str.isalnum, text))


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
