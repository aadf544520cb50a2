"""Matching benchmark: latency, start-up, memory and accuracy on synthetic knowledge bases.

Run from the repository root:

    /tmp/venv/bin/python benchmarks/matching.py [--sizes 100,1000,10000] [--out docs/performance.md]

What it does:

1. Synthesises KBs of each size by perturbing the sample KB (`knowledge/`): copies of every
   entry with new ids (`dibao-s0123`), a township/village name before or after the title
   and each question, a qualifier on the title (办理流程, 政策解读 …), a shuffled subset of
   the questions, and the place as an extra keyword. Each KB is written as real YAML files
   (500 entries a file) into a temporary directory.
2. For the sample KB and each size, a fresh worker process (this file with `--worker`)
   measures KB load and index build, peak RSS, and per-question latency of `Matcher.match`
   over every question of `tests/eval/cases.yaml` (repeated to ≥ 2,000, after 50 warm-up
   queries), then the same for a bare baseline:
   `rapidfuzz.process.extractOne(q, all_title_and_question_strings, scorer=fuzz.WRatio)`.
3. On the sample KB it also compares accuracy on the eval set: ours via
   `bot.evaluation.evaluate`, the baseline answering the entry of the best WRatio string
   when its score ≥ 80.
4. Start-up cache (bot/knowledge/cache.py): every figure above is cold, measured with
   the cache off (`CITIZEN_DESK_CACHE_DIR=off`). For each KB the loader would cache
   (≥ 1 MiB of YAML), two more fresh processes share a new cache directory: the first
   parses and writes the cache, the second starts warm from it; both measure load,
   index build and peak RSS only.
5. Times `citizen-desk kb check` on the largest KB (cold, then warm) and `citizen-desk
   chat` to the first answer on the sample KB, then prints Markdown tables and writes
   docs/performance.md (the `## Telegram load` and `## Tickets` sections of an existing
   file are kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = ROOT / "knowledge"
CASES = ROOT / "tests" / "eval" / "cases.yaml"
DEFAULT_OUT = ROOT / "docs" / "performance.md"

ENTRIES_PER_FILE = 500
#: Stay under the loader's 5 MB per-file limit (bot/knowledge/yamlsafe.py).
MAX_FILE_BYTES = 4_500_000
WARMUP = 50
MIN_QUERIES = 2_000
#: Baseline queries per size when not given: WRatio over every string is slow on big KBs.
BASELINE_QUERIES_BIG = 300
BIG_KB = 5_000
BASELINE_CUTOFF = 80.0
CHAT_RUNS = 5
CHAT_QUESTION = "低保怎么申请"
#: The figures of the last run before the loading and matching were optimised (same
#: machine, 2026-11-27, the code of commit 90403e8), for the before/after table.
BEFORE: dict[str, Any] = {
    "label": "before (90403e8)",
    "p50_ms": {1_000: 1.39, 10_000: 13.72},
    "p99_ms": {1_000: 3.28, 10_000: 31.97},
    "load_s": {1_000: 2.00, 10_000: 27.06},
    "build_s": {1_000: 1.07, 10_000: 11.63},
    "rss_build_mib": {1_000: 210, 10_000: 619},
    "kb_check_s": 33.88,
    "kb_check_entries": 10_000,
    "chat_s": 1.06,
}
#: How loading and matching are kept fast: the head of "Where the time goes".
DESIGN_NOTES = """
What keeps loading and matching fast (the before/after table above shows the effect):

- **Garbage collector paused while loading and indexing** (`bot/knowledge/gcpause.py`).
  Both create millions of objects that all stay alive, and Python's cyclic collector kept
  walking all of them: it took two thirds of a 10,000-entry load (27 s → 9 s with nothing
  else changed). None of these objects form cycles; the collector resumes afterwards.
- **YAML in one pass** (`bot/knowledge/yamlsafe.py`). A file without anchors — every file
  of an ordinary KB — is checked (depth, node count) and turned into values in one walk of
  libyaml's node tree instead of three (limits check, date/number check, PyYAML's
  constructor). Files with anchors, unusual tags or errors take the general path, so
  refusals and messages are unchanged. Each file is read once; equal strings share one
  object across files; the model's values use `__slots__`. What remains is mostly libyaml
  composing the node tree (about half of a cold load) and the entry checks in
  `bot/knowledge/parse.py`.
- **Start-up cache** (`bot/knowledge/cache.py`, on by default, `CITIZEN_DESK_CACHE_DIR`
  to move it, `=off` to turn it off). A KB of ≥ 1 MiB of YAML is pickled after parsing,
  keyed by the hash of every file's path and bytes and of the loader's source, Python and
  PyYAML versions; a later start with the same files reads it back instead of parsing. The
  date- and cross-file checks run on every load, so `kb check` reports the same either
  way. The directory is private (0700) and ignored if anyone else can write to it; any
  failure to read or write it means a normal load.
- **Index built once per text, stored as arrays** (`bot/matching/index.py`). Each title,
  question and keyword is normalised and segmented once (it was twice, and a keyword once
  per entry that has it); printable text skips `strip_controls`' per-character loop;
  units get integer ids, and the units of every phrasing and entry are flat numpy arrays
  instead of a `frozenset` per phrasing. BM25 is built with numpy (`bot/matching/bm25.py`:
  the same float32 scores as `bm25s.BM25()`, checked array for array; bm25s' own build
  loops over the documents in Python and is no longer used).
- **Matching scores all recalled entries at once** (`Index.evidence`): coverage sums with
  `numpy.bincount` over the unit arrays, one `rapidfuzz.process.cdist` call for the
  similarity to every recalled phrasing, the phrasing weights precomputed; only entries
  that can round into the top 5 are rounded and sorted; the typo corrector's pinyin is
  cached per character.
- **Same results.** `citizen-desk kb eval --json` prints byte-identical output on the eval
  set and both held-out sets, and 3,370 questions (every eval and held-out question, every
  sample title, question and keyword, and perturbed copies of them) get the same route,
  answer, score and candidates as before on the sample KB, the 1,000- and 10,000-entry
  KBs and the English held-out KB. Every entry owning a keyword the message names is still
  scored, even a keyword shared by hundreds of entries: leaving out the owners of
  keywords with more than `recall` (30) owners would have changed the five candidates of
  8 of the 464 eval questions at 1,000 entries and of 269 at 10,000 (the best one of
  220). The slowest question at 10,000 entries (three such keywords, 936 entries scored)
  takes about 3 ms.
"""
#: The loader's cache directory setting (bot/knowledge/cache.py) and its "off" value.
CACHE_ENV = "CITIZEN_DESK_CACHE_DIR"
CACHE_OFF = "off"
#: The loader caches knowledge bases of at least this many bytes of YAML (cache.MIN_BYTES).
CACHE_MIN_BYTES = 1024 * 1024

#: Targets: entries → p99 ms / start-up s.
P99_TARGET_MS = {1_000: 2.0, 10_000: 5.0}
STARTUP_TARGET_S = {1_000: 1.0, 10_000: 10.0}
RSS_TARGET_MIB = {10_000: 300.0}
CHAT_TARGET_S = 1.5

#: Common surnames, one character each.
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
PLACE_CORES = (
    ("家庄", "jiazhuang"),
    ("湾", "wan"),
    ("集", "ji"),
    ("岗", "gang"),
    ("营", "ying"),
    ("河", "he"),
    ("寨", "zhai"),
    ("店", "dian"),
    ("楼", "lou"),
    ("桥", "qiao"),
    ("坡", "po"),
    ("屯", "tun"),
    ("沟", "gou"),
    ("铺", "pu"),
)
PLACE_KINDS = (("镇", "Town"), ("村", "Village"), ("乡", "Township"))
QUALIFIERS = (
    ("办理流程", "procedure"),
    ("政策解读", "policy explained"),
    ("2026年", "2026"),
    ("办事指南", "service guide"),
    ("常见问题", "FAQ"),
    ("最新规定", "latest rules"),
    ("申请须知", "what to know"),
    ("便民服务", "citizen service"),
)


# --------------------------------------------------------------------------------------
# Synthetic knowledge bases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A made-up township or village name, in Chinese and in pinyin."""

    zh: str
    en: str


def make_places() -> list[Place]:
    """Every surname × core × kind combination, with unique pinyin spellings."""
    from pypinyin import lazy_pinyin

    places: list[Place] = []
    seen: set[str] = set()
    for surname in SURNAMES:
        surname_py = "".join(lazy_pinyin(surname)).capitalize()
        for core, core_py in PLACE_CORES:
            for kind, kind_en in PLACE_KINDS:
                en = f"{surname_py}{core_py} {kind_en}"
                if en in seen:
                    continue
                seen.add(en)
                places.append(Place(surname + core + kind, en))
    return places


def read_sample(directory: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The sample KB's entries (raw YAML data) and its other top-level keys merged."""
    entries: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text("utf-8"), Loader=_loader())
        if not isinstance(data, dict):
            continue
        entries.extend(data.get("entries") or [])
        for key, value in data.items():
            if key == "entries":
                continue
            if isinstance(value, list):
                meta.setdefault(key, []).extend(value)
            else:
                meta.setdefault(key, value)
    return entries, meta


def _loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _PlainDumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Writes shared values (the copies' answers) in full: no YAML anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dumper() -> type[yaml.SafeDumper]:
    return _PlainDumper


def _placed(text: str, place: Place, lang: str, before: bool) -> str:
    if lang == "en":
        return f"In {place.en}: {text}" if before else f"{text} ({place.en})"
    return f"{place.zh}{text}" if before else f"{text}（{place.zh}）"


def _map_text(value: Any, fn: Callable[[str, str], str], lang: str = "zh") -> Any:
    """Apply fn(text, lang) to a text (a string in `lang`, or a language mapping)."""
    if isinstance(value, str):
        return fn(value, lang)
    if isinstance(value, dict):
        return {lang: fn(str(text), str(lang)) for lang, text in value.items()}
    return value


def _perturb_list(value: Any, rng: random.Random, fn: Callable[[str, str], str]) -> Any:
    """A shuffled subset (at least half) of a text list, each item passed through fn."""

    def subset(items: list[Any], lang: str) -> list[Any]:
        keep = rng.randint(max(1, math.ceil(len(items) / 2)), len(items)) if items else 0
        return [_map_text(item, fn, lang) for item in rng.sample(items, keep)]

    if isinstance(value, list):
        return subset(value, "zh")
    if isinstance(value, dict):
        return {str(lang): subset(list(items or []), str(lang)) for lang, items in value.items()}
    return value


def _add_keyword(value: Any, place: Place) -> Any:
    if value is None:
        return [place.zh]
    if isinstance(value, list):
        return [*value, place.zh]
    if isinstance(value, dict):
        out = {lang: list(items or []) for lang, items in value.items()}
        out.setdefault("zh", []).append(place.zh)
        if "en" in out:
            out["en"].append(place.en)
        return out
    return value


def synthesize(
    base: list[dict[str, Any]], size: int, places: list[Place], seed: int
) -> list[dict[str, Any]]:
    """`size` perturbed copies of the base entries (copy k of entry b is `{id}-s{k:04d}`)."""
    rng = random.Random(f"{seed}-{size}")
    copies = math.ceil(size / len(base))
    if copies > len(places):
        raise SystemExit(f"only {len(places)} place names for {copies} copies of each entry")
    # Each base entry gets a different place in every copy, so no question repeats.
    place_order = [rng.sample(places, copies) for _ in base]
    position = {str(e["id"]): n for n, e in enumerate(base)}
    out: list[dict[str, Any]] = []
    for number in range(size):
        b, k = number % len(base), number // len(base)
        related = [
            f"{r}-s{k:04d}"
            for r in base[b].get("related") or []
            if r in position and position[r] + k * len(base) < size
        ]
        out.append(perturb(base[b], k, place_order[b][k], related, rng))
    return out


def perturb(
    src: dict[str, Any], copy: int, place: Place, related: list[str], rng: random.Random
) -> dict[str, Any]:
    """Copy `copy` of one entry, placed in `place`."""
    qual_zh, qual_en = rng.choice(QUALIFIERS)
    before = rng.random() < 0.5

    def title_fn(text: str, lang: str) -> str:
        return _placed(f"{text} {qual_en}" if lang == "en" else text + qual_zh, place, lang, before)

    def question_fn(text: str, lang: str) -> str:
        return _placed(text, place, lang, rng.random() < 0.5)

    entry = dict(src)
    entry["id"] = f"{src['id']}-s{copy:04d}"
    entry["title"] = _map_text(src["title"], title_fn)
    entry["questions"] = _perturb_list(src["questions"], rng, question_fn)
    entry["keywords"] = _add_keyword(src.get("keywords"), place)
    if related:
        entry["related"] = related
    else:
        entry.pop("related", None)
    return entry


def write_kb(
    directory: Path, entries: list[dict[str, Any]], meta: dict[str, Any], per_file: int
) -> tuple[int, int]:
    """Write the KB as YAML files; return (files, bytes)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = 0
    total = 0

    def dump(path: Path, data: dict[str, Any]) -> None:
        nonlocal files, total
        text = yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=1_000)
        raw = text.encode("utf-8")
        path.write_bytes(raw)
        files += 1
        total += len(raw)

    dump(directory / "centre.yaml", meta)
    chunks = [entries[i : i + per_file] for i in range(0, len(entries), per_file)]
    for n, chunk in enumerate(_fit(chunks)):
        dump(directory / f"entries-{n:04d}.yaml", {"entries": chunk})
    return files, total


def _fit(chunks: list[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """Split chunks whose YAML would pass the loader's per-file size limit."""
    for chunk in chunks:
        size = len(yaml.dump({"entries": chunk}, Dumper=_dumper(), allow_unicode=True).encode())
        if size > MAX_FILE_BYTES and len(chunk) > 1:
            half = len(chunk) // 2
            yield from _fit([chunk[:half], chunk[half:]])
        else:
            yield chunk


# --------------------------------------------------------------------------------------
# Worker: runs in a fresh process per KB
# --------------------------------------------------------------------------------------


def _rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _hwm_mib() -> float:
    """Peak RSS of this process's own address space (VmHWM), as a cross-check.

    ru_maxrss also keeps the high-water mark of the parent's memory at exec time, so the
    driver stays small (it imports neither the bot nor pypinyin) to keep ru_maxrss honest.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return math.nan


def _percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def _latency(fn: Callable[[str], object], questions: Sequence[str]) -> dict[str, float]:
    """Time fn on each question; return p50/p99/mean in ms and questions per second."""
    times: list[float] = []
    clock = time.perf_counter
    start = clock()
    for question in questions:
        t0 = clock()
        fn(question)
        times.append(clock() - t0)
    wall = clock() - start
    times.sort()
    return {
        "queries": len(times),
        "p50_ms": _percentile(times, 50) * 1e3,
        "p99_ms": _percentile(times, 99) * 1e3,
        "mean_ms": statistics.fmean(times) * 1e3,
        "qps": len(times) / wall,
    }


def _spread(items: Sequence[str], n: int) -> list[str]:
    """n items spread evenly over `items` (repeating when n > len(items))."""
    return [items[(i * len(items)) // n if n <= len(items) else i % len(items)] for i in range(n)]


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Measure one KB in this (fresh) process and return the figures."""
    rss_start = _rss_mib()
    t0 = time.perf_counter()
    from rapidfuzz import fuzz, process

    from bot.evaluation import evaluate, load_cases
    from bot.knowledge.loader import load_knowledge
    from bot.matching.matcher import Matcher

    import_s = time.perf_counter() - t0
    kb_dir = Path(args.kb)

    t0 = time.perf_counter()
    result = load_knowledge(kb_dir)
    load_s = time.perf_counter() - t0
    if result.kb is None:
        raise SystemExit(f"{kb_dir}: the KB has errors:\n{result.report()}")
    kb = result.kb
    t0 = time.perf_counter()
    matcher = Matcher(kb, cache_size=0)  # time the matching, not the cache
    build_s = time.perf_counter() - t0
    rss_build = _rss_mib()
    hwm_build = _hwm_mib()
    if args.startup_only:
        return {
            "label": args.label,
            "entries": len(kb.entries),
            "load_s": load_s,
            "build_s": build_s,
            "rss_build_mib": rss_build,
            "hwm_build_mib": hwm_build,
            "cache": os.environ.get(CACHE_ENV, ""),
        }

    cases = load_cases(Path(args.cases))
    unique = [c.q for c in cases]
    repeat = math.ceil(args.queries / len(unique))
    questions = unique * repeat
    for question in _spread(unique, WARMUP):
        matcher.match(question)
    ours = _latency(matcher.match, questions)
    rss_queries = _rss_mib()

    strings: list[str] = []
    owners: list[str] = []
    for entry in kb.entries:
        for text in (*entry.title.all(), *entry.questions.all()):
            strings.append(text)
            owners.append(entry.id)

    def baseline(question: str) -> tuple[str, float, int] | None:
        found: tuple[str, float, int] | None = process.extractOne(
            question, strings, scorer=fuzz.WRatio
        )
        return found

    n_base = args.baseline_queries
    if n_base < 0:
        n_base = BASELINE_QUERIES_BIG if len(kb.entries) >= BIG_KB else len(questions)
    for question in _spread(unique, min(5, n_base)):
        baseline(question)
    base = _latency(baseline, _spread(unique, n_base))

    figures: dict[str, Any] = {
        "label": args.label,
        "entries": len(kb.entries),
        "files": result.files,
        "warnings": len(result.problems),
        "strings": len(strings),
        "import_s": import_s,
        "load_s": load_s,
        "build_s": build_s,
        "rss_start_mib": rss_start,
        "rss_build_mib": rss_build,
        "rss_queries_mib": rss_queries,
        "hwm_build_mib": hwm_build,
        "unique_questions": len(unique),
        "ours": ours,
        "baseline": base,
    }
    if args.accuracy:
        ours_fig = evaluate(matcher, cases).figures()
        in_scope = [c for c in cases if c.kind == "in-scope"]
        oos = [c for c in cases if c.kind == "out-of-scope"]

        def base_answer(question: str) -> str | None:
            found = baseline(question)
            if found is None or found[1] < BASELINE_CUTOFF:
                return None
            return owners[found[2]]

        ins_answers = [base_answer(c.q) for c in in_scope]
        oos_answers = [base_answer(c.q) for c in oos]
        pairs = list(zip(ins_answers, in_scope, strict=True))
        right = sum(a == c.expect for a, c in pairs)
        wrong = sum(a is not None and a != c.expect for a, c in pairs)
        wrong += sum(a is not None for a in oos_answers)
        figures["accuracy"] = {
            "ours": ours_fig,
            "baseline": {
                "cases": len(cases),
                "in_scope": len(in_scope),
                "out_of_scope": len(oos),
                "answer_accuracy": right / len(in_scope),
                "helpful_rate": right / len(in_scope),
                "wrong_answer_rate": wrong / (len(in_scope) + len(oos)),
                "out_of_scope_rejection": sum(a is None for a in oos_answers) / len(oos),
            },
            "cutoff": BASELINE_CUTOFF,
        }
    return figures


def _where(file: str, line: int, name: str) -> str:
    """A short label for a profiled function."""
    if file == "~":
        return name
    path = Path(file)
    for marker in ("site-packages", "lib"):
        if marker in path.parts:
            parts = path.parts[path.parts.index(marker) + 1 :]
            return f"{'/'.join(parts)}:{line} {name}"
    try:
        return f"{path.relative_to(ROOT)}:{line} {name}"
    except ValueError:
        return f"{path.name}:{line} {name}"


def _top(profile: Any, wall: float, limit: int) -> dict[str, Any]:
    """The functions with the most own time in a cProfile run."""
    import pstats

    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(
        profile
    ).stats  # type: ignore[attr-defined]
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:limit]
    total = sum(v[2] for v in stats.values())
    return {
        "wall_s": wall,
        "profiled_s": total,
        "top": [
            {"function": _where(*key), "calls": v[1], "own_s": v[2], "cum_s": v[3]}
            for key, v in rows
        ],
    }


def profile_worker(args: argparse.Namespace) -> dict[str, Any]:
    """cProfile the load, the index build and one pass over the eval questions."""
    import cProfile

    from bot.evaluation import load_cases
    from bot.knowledge.loader import load_knowledge
    from bot.matching.matcher import Matcher

    phases: dict[str, Any] = {}
    questions = [c.q for c in load_cases(Path(args.cases))]
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    result = load_knowledge(Path(args.kb))
    prof.disable()
    phases["load"] = _top(prof, time.perf_counter() - t0, args.profile_top)
    assert result.kb is not None, result.report()
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    matcher = Matcher(result.kb, cache_size=0)
    prof.disable()
    phases["build"] = _top(prof, time.perf_counter() - t0, args.profile_top)
    for question in _spread(questions, WARMUP):
        matcher.match(question)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for question in questions:
        matcher.match(question)
    prof.disable()
    phases["match"] = _top(prof, time.perf_counter() - t0, args.profile_top)
    phases["match"]["queries"] = len(questions)
    return {"label": args.label, "entries": len(result.kb.entries), "phases": phases}


def generate(args: argparse.Namespace) -> dict[str, Any]:
    """Write one synthetic KB (in its own process, so the driver stays small)."""
    t0 = time.perf_counter()
    base, meta = read_sample(SAMPLE_KB)
    kb_dir = Path(args.kb)
    if kb_dir.exists():
        shutil.rmtree(kb_dir)
    entries = synthesize(base, args.generate, make_places(), args.seed)
    if args.distinct_answers:
        for entry in entries:
            entry["answer"] = _distinct(entry["answer"], f"（{entry['id']}）")
    files, nbytes = write_kb(kb_dir, entries, meta, args.per_file)
    return {"files": files, "bytes": nbytes, "seconds": time.perf_counter() - t0}


def _distinct(value: Any, tag: str) -> Any:
    """`value` with `tag` appended to every text in it (an answer no other entry shares)."""
    if isinstance(value, str):
        return value + tag
    if isinstance(value, list):
        return [_distinct(item, tag) for item in value]
    if isinstance(value, dict):
        return {key: _distinct(item, tag) for key, item in value.items()}
    return value


def _child(args: argparse.Namespace, extra: list[str], cache: Path | None = None) -> dict[str, Any]:
    """Run this file in a fresh interpreter with `extra` options; return its JSON result.

    The loader's start-up cache is off unless `cache` names a directory for it.
    """
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), *extra, "--result", str(out)]
    env = {**os.environ, CACHE_ENV: str(cache) if cache is not None else CACHE_OFF}
    try:
        subprocess.run(cmd, check=True, env=env)
        data: dict[str, Any] = json.loads(out.read_text("utf-8"))
    finally:
        out.unlink(missing_ok=True)
    return data


def run_worker(
    kb: Path,
    label: str,
    args: argparse.Namespace,
    accuracy: bool = False,
    cache: Path | None = None,
    startup_only: bool = False,
) -> dict[str, Any]:
    """Run the worker in a fresh interpreter and return its figures (cache off by default)."""
    options = [
        "--worker",
        "--kb",
        str(kb),
        "--label",
        label,
        "--queries",
        str(args.queries),
        "--baseline-queries",
        str(args.baseline_queries),
        "--cases",
        str(args.cases),
    ]
    if accuracy:
        options.append("--accuracy")
    if startup_only:
        options.append("--startup-only")
    return _child(args, options, cache)


def run_cached(kb: Path, label: str, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    """Start-up with the loader's cache: a first process writes it, a second reads it."""
    first = run_worker(kb, label, args, cache=cache, startup_only=True)
    warm = run_worker(kb, label, args, cache=cache, startup_only=True)
    files = list(cache.glob("kb-*.pickle"))
    return {
        "first": first,
        "warm": warm,
        "cache_bytes": sum(p.stat().st_size for p in files),
        "cache_files": len(files),
    }


# --------------------------------------------------------------------------------------
# The CLI: kb check and chat
# --------------------------------------------------------------------------------------


def citizen_desk() -> str:
    """The console script next to this interpreter, else the one on PATH."""
    local = Path(sys.executable).parent / "citizen-desk"
    if local.exists():
        return str(local)
    found = shutil.which("citizen-desk")
    if found is None:
        raise SystemExit("citizen-desk is not installed (pip install -e .)")
    return found


def time_kb_check(kb: Path, cache: Path | None = None) -> dict[str, Any]:
    """Wall time of `citizen-desk kb check --kb DIR`, with its exit code and summary.

    The loader's cache is off unless `cache` names its directory.
    """
    env = {**os.environ, CACHE_ENV: str(cache) if cache is not None else CACHE_OFF}
    t0 = time.perf_counter()
    done = subprocess.run(
        [citizen_desk(), "kb", "check", "--kb", str(kb)], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - t0
    lines = done.stdout.strip().splitlines()
    return {"wall_s": wall, "exit": done.returncode, "summary": lines[-1] if lines else ""}


def time_chat(runs: int) -> dict[str, Any]:
    """Wall time of `echo 低保怎么申请 | citizen-desk chat` to exit (interpreter start included)."""
    walls: list[float] = []
    first = ""
    env = {**os.environ, CACHE_ENV: CACHE_OFF}  # the sample KB is too small to cache anyway
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [citizen_desk(), "chat"],
            input=(CHAT_QUESTION + "\n").encode(),
            capture_output=True,
            check=True,
            env=env,
        )
        walls.append(time.perf_counter() - t0)
        first = first or done.stdout.decode("utf-8", "replace").strip().splitlines()[0]
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "runs": runs,
        "first_line": first,
    }


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU, cores, RAM, Python and OS of this machine."""
    cpu = platform.processor() or "?"
    ram = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    os_name = platform.system()
    try:
        match = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.M)
        if match:
            os_name = match.group(1)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": f"{os.cpu_count()} logical ({usable} usable)",
        "ram": ram,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{os_name}, kernel {platform.release()} ({platform.machine()})",
    }


def _ok(met: bool | None) -> str:
    return "—" if met is None else ("✅" if met else "❌ **missed**")


def _target(value: float | None, unit: str) -> str:
    return "—" if value is None else f"≤ {value:g} {unit}"


def _num(n: int) -> str:
    return f"{n:,}"


def tables(results: list[dict[str, Any]], extra: dict[str, Any]) -> str:
    """The Markdown tables of a run."""
    out: list[str] = []
    out.append("### Latency and throughput (one question at a time, one core)\n")
    out.append(
        "| KB entries | strings | ours p50 ms | ours p99 ms | ours q/s "
        "| baseline p50 ms | baseline p99 ms | baseline q/s | baseline queries "
        "| ours / baseline speed | p99 target | met |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        o, b = r["ours"], r["baseline"]
        target = P99_TARGET_MS.get(r["entries"])
        met = None if target is None else o["p99_ms"] <= target
        out.append(
            f"| {r['label']} | {_num(r['strings'])} | {o['p50_ms']:.2f} | {o['p99_ms']:.2f} "
            f"| {o['qps']:,.0f} | {b['p50_ms']:.2f} | {b['p99_ms']:.2f} | {b['qps']:,.1f} "
            f"| {_num(b['queries'])} | {o['qps'] / b['qps']:.1f}× "
            f"| {_target(target, 'ms')} | {_ok(met)} |"
        )
    out.append(
        f"\nOurs: `Matcher.match` over all {extra['unique_questions']} questions of "
        f"`tests/eval/cases.yaml` repeated to {_num(results[0]['ours']['queries'])} queries, "
        f"after {WARMUP} warm-up queries. Baseline: `rapidfuzz.process.extractOne(q, strings, "
        "scorer=fuzz.WRatio)` over every title and question string of the KB (all languages), "
        "on an even spread of the same questions. Speed = our q/s ÷ the baseline's q/s.\n"
    )
    out.append("### Start-up and memory, cold (fresh process per KB, start-up cache off)\n")
    out.append(
        "| KB entries | files | YAML MiB | load s | index build s | start-up s "
        "| start-up target | met | peak RSS after build MiB | after queries MiB "
        "| RSS target | met |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|---|")
    for r in results:
        total = r["load_s"] + r["build_s"]
        st = STARTUP_TARGET_S.get(r["entries"])
        rt = RSS_TARGET_MIB.get(r["entries"])
        mib = r.get("kb_bytes", 0) / 1024 / 1024
        out.append(
            f"| {r['label']} | {r['files']} | {mib:.1f} | {r['load_s']:.2f} "
            f"| {r['build_s']:.2f} | {total:.2f} | {_target(st, 's')} "
            f"| {_ok(None if st is None else total <= st)} | {r['rss_build_mib']:.0f} "
            f"| {r['rss_queries_mib']:.0f} | {_target(rt, 'MiB')} "
            f"| {_ok(None if rt is None else r['rss_build_mib'] <= rt)} |"
        )
    distinct = extra.get("distinct")
    if distinct:
        total = distinct["load_s"] + distinct["build_s"]
        st = STARTUP_TARGET_S.get(distinct["entries"])
        rt = RSS_TARGET_MIB.get(distinct["entries"])
        out.append(
            f"| {distinct['label']}, distinct answers | {distinct['files']} "
            f"| {distinct['kb_bytes'] / 1024 / 1024:.1f} | {distinct['load_s']:.2f} "
            f"| {distinct['build_s']:.2f} | {total:.2f} | {_target(st, 's')} "
            f"| {_ok(None if st is None else total <= st)} | {distinct['rss_build_mib']:.0f} "
            f"| — | {_target(rt, 'MiB')} "
            f"| {_ok(None if rt is None else distinct['rss_build_mib'] <= rt)} |"
        )
    out.append(
        "\nStart-up = `load_knowledge(dir)` (read, parse and check every YAML file) + "
        "`Matcher(kb)` (segmenter, typo corrector, BM25 index). Importing the bot's modules "
        f"before that takes {results[0]['import_s']:.2f} s and is not included. Peak RSS is "
        "`ru_maxrss` of the worker process (Python and all imports included; the process "
        f"starts at {results[0]['rss_start_mib']:.0f} MiB before importing the bot). "
        f"Cold: `{CACHE_ENV}={CACHE_OFF}`, so every file is parsed.\n"
    )
    if distinct:
        out.append(
            "The synthetic entries copy the sample's answers word for word, and the loader "
            "keeps one string object per distinct text, so a synthetic KB holds each answer "
            "text once per sample entry, not once per copy. The row *distinct answers* is "
            "the same KB with the entry's id appended to every answer text, so that no two "
            "entries share one: a knowledge base of that size written by people is "
            "somewhere between the two (addresses, hours, phone numbers, fees and "
            "materials do repeat).\n"
        )
    cached = [r for r in results if r.get("cached")]
    if cached:
        out.append("### Start-up with the start-up cache\n")
        out.append(
            "| KB entries | cache MiB | first start: load s (parse + write cache) | build s "
            "| start-up s | peak RSS MiB | warm: load s (from cache) | build s | start-up s "
            "| peak RSS MiB | start-up target | met (first / warm) |"
        )
        out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for r in cached:
            c = r["cached"]
            first, warm = c["first"], c["warm"]
            t_first = first["load_s"] + first["build_s"]
            t_warm = warm["load_s"] + warm["build_s"]
            st = STARTUP_TARGET_S.get(r["entries"])
            met = (
                "—"
                if st is None
                else f"{_ok(t_first <= st)} / {_ok(t_warm <= st)}".replace(" **missed**", "")
            )
            out.append(
                f"| {r['label']} | {c['cache_bytes'] / 1024 / 1024:.1f} | {first['load_s']:.2f} "
                f"| {first['build_s']:.2f} | {t_first:.2f} | {first['rss_build_mib']:.0f} "
                f"| {warm['load_s']:.2f} | {warm['build_s']:.2f} | {t_warm:.2f} "
                f"| {warm['rss_build_mib']:.0f} | {_target(st, 's')} | {met} |"
            )
        out.append(
            "\nTwo more fresh processes per KB of ≥ 1 MiB of YAML (smaller ones are not "
            "cached), sharing a new cache directory: the first finds no cache, parses the "
            "files and writes the cache (pickled entries and file problems, keyed by a hash "
            "of every file's path and bytes and of the loader's code); the second reads it "
            "back instead of parsing. The index is built in full either way. The checks "
            "that depend on the date or span files still run on every load.\n"
        )
    return _tables_rest(results, extra, out)


def _tables_rest(results: list[dict[str, Any]], extra: dict[str, Any], out: list[str]) -> str:
    """The accuracy and command-line tables (the end of `tables`)."""
    acc = extra.get("accuracy")
    if acc:
        o, b = acc["ours"], acc["baseline"]
        out.append(
            f"### Accuracy on the eval set (sample KB, {o['cases']} cases: "
            f"{o['in_scope']} in scope, {o['out_of_scope']} out of scope, "
            f"{o['routing']} routing)\n"
        )
        out.append(f"| figure | ours | baseline (WRatio ≥ {acc['cutoff']:g}) |")
        out.append("|---|---:|---:|")
        rows = (
            ("answer accuracy (in scope, answered right)", "answer_accuracy"),
            ("helpful (right answer or among the choices)", "helpful_rate"),
            ("wrong-answer rate (in + out of scope)", "wrong_answer_rate"),
            ("out-of-scope rejection", "out_of_scope_rejection"),
        )
        for name, key in rows:
            out.append(f"| {name} | {o[key]:.1%} | {b[key]:.1%} |")
        out.append(f"| routing accuracy | {o['routing_accuracy']:.1%} | n/a (no routing) |")
        out.append(
            "\nThe baseline answers the entry that owns the best WRatio string when its score "
            f"is ≥ {acc['cutoff']:g}, otherwise nothing; it never offers choices, so its "
            "helpful rate is its answer accuracy, and it does not route (routing cases are "
            "left out of its figures).\n"
        )
    check, chat = extra.get("kb_check"), extra.get("chat")
    if check or chat:
        out.append("### Command line\n")
        out.append("| measure | value | target | met |")
        out.append("|---|---:|---|---|")
        if check:
            out.append(
                f"| `citizen-desk kb check` on {check['entries_label']} entries, cold (wall, "
                f"exit {check['exit']}: {check['summary']}) | {check['wall_s']:.2f} s "
                "| a few seconds | — |"
            )
        warm_check = extra.get("kb_check_warm")
        if check and warm_check:
            out.append(
                f"| the same, warm (start-up cache written by the runs above; exit "
                f"{warm_check['exit']}: {warm_check['summary']}) | {warm_check['wall_s']:.2f} s "
                "| a few seconds | — |"
            )
        if chat:
            out.append(
                f"| `echo {CHAT_QUESTION} \\| citizen-desk chat` on the sample KB, wall to exit "
                f"(median of {chat['runs']}; min {chat['min_s']:.2f}, max {chat['max_s']:.2f}) "
                f"| {chat['median_s']:.2f} s | ≤ {CHAT_TARGET_S:g} s "
                f"| {_ok(chat['median_s'] <= CHAT_TARGET_S)} |\n\n"
                f"The chat's reply starts `{chat['first_line']}`; the time includes starting "
                "the interpreter, importing the bot, loading and indexing the sample KB (too "
                "small for the start-up cache: this is always a cold start)."
            )
        out.append("")
    out.extend(before_after(results, extra))
    return "\n".join(out)


def before_after(results: list[dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    """Markdown: this run next to `BEFORE`, target by target."""
    by_n = {r["entries"]: r for r in results}
    rows: list[tuple[str, str, str, str, str]] = []

    def fmt(value: float | None, unit: str) -> str:
        if value is None:
            return "—"
        return f"{value:,.0f} {unit}" if unit == "MiB" else f"{value:.2f} {unit}"

    for n in sorted(set(BEFORE["p99_ms"]) & set(by_n)):
        r = by_n[n]
        rows.append(
            (
                f"p99 per question, {_num(n)} entries",
                _target(P99_TARGET_MS.get(n), "ms"),
                fmt(BEFORE["p99_ms"][n], "ms"),
                fmt(r["ours"]["p99_ms"], "ms"),
                "(no cache involved)",
            )
        )
        rows.append(
            (
                f"p50 per question, {_num(n)} entries",
                "—",
                fmt(BEFORE["p50_ms"][n], "ms"),
                fmt(r["ours"]["p50_ms"], "ms"),
                "(no cache involved)",
            )
        )
    for n in sorted(set(BEFORE["load_s"]) & set(by_n)):
        r = by_n[n]
        warm = (r.get("cached") or {}).get("warm")
        rows.append(
            (
                f"start-up (load + build), {_num(n)} entries",
                _target(STARTUP_TARGET_S.get(n), "s"),
                fmt(BEFORE["load_s"][n] + BEFORE["build_s"][n], "s"),
                fmt(r["load_s"] + r["build_s"], "s"),
                fmt(warm["load_s"] + warm["build_s"], "s") if warm else "—",
            )
        )
        rows.append(
            (
                f"peak RSS, {_num(n)} entries",
                _target(RSS_TARGET_MIB.get(n), "MiB"),
                fmt(BEFORE["rss_build_mib"][n], "MiB"),
                fmt(r["rss_build_mib"], "MiB"),
                fmt(warm["rss_build_mib"], "MiB") if warm else "—",
            )
        )
    check, warm_check = extra.get("kb_check"), extra.get("kb_check_warm")
    if check and check.get("entries") == BEFORE["kb_check_entries"]:
        rows.append(
            (
                f"`kb check`, {check['entries_label']} entries",
                "a few seconds",
                fmt(BEFORE["kb_check_s"], "s"),
                fmt(check["wall_s"], "s"),
                fmt(warm_check["wall_s"], "s") if warm_check else "—",
            )
        )
    chat = extra.get("chat")
    if chat:
        rows.append(
            (
                "`chat` first answer, sample KB",
                f"≤ {CHAT_TARGET_S:g} s",
                fmt(BEFORE["chat_s"], "s"),
                fmt(chat["median_s"], "s"),
                "(not cached: too small)",
            )
        )
    if not rows:
        return []
    out = [
        "### Before and after\n",
        f"| measure | target | {BEFORE['label']} | now, cold | now, warm (start-up cache) |",
        "|---|---|---:|---:|---:|",
    ]
    out += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    out.append(
        "\nBefore: the figures of the previous run of this benchmark on the same machine "
        "(2026-11-27), with the code of commit 90403e8. Cold: the start-up cache off; the "
        "latency does not depend on it.\n"
    )
    return out


def profile_section(prof: dict[str, Any]) -> str:
    """Markdown for the cProfile summary of the largest KB."""
    titles = {
        "load": "`load_knowledge`",
        "build": "`Matcher(kb)` (index build)",
        "match": f"`Matcher.match`, {prof['phases']['match'].get('queries', 0)} questions once",
    }
    out = [
        f"cProfile on the {prof['label']}-entry KB (a separate process; profiling slows "
        "Python code down, so read the shares, not the absolute times). Functions with "
        "the most own time. Time spent in C extensions that the profiler cannot see is "
        "counted as the caller's own time: `load_yaml_text`'s own time is mostly libyaml "
        "parsing and composing the node tree (`CSafeLoader.get_single_node`).",
        "",
    ]
    for phase, title in titles.items():
        data = prof["phases"][phase]
        out.append(
            f"**{title}** — {data['wall_s']:.2f} s under the profiler "
            f"({data['profiled_s']:.2f} s of it in profiled functions)\n"
        )
        out.append("| function | calls | own s | own share | cumulative s |")
        out.append("|---|---:|---:|---:|---:|")
        for row in data["top"]:
            share = row["own_s"] / data["profiled_s"] if data["profiled_s"] else 0.0
            name = row["function"].replace("|", "\\|")
            out.append(
                f"| `{name}` | {row['calls']:,} | {row['own_s']:.3f} | {share:.0%} "
                f"| {row['cum_s']:.3f} |"
            )
        out.append("")
    return "\n".join(out)


def missed(results: list[dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    """The targets this run missed, one line each."""
    found: list[str] = []
    for r in results:
        n = r["entries"]
        p99 = r["ours"]["p99_ms"]
        if n in P99_TARGET_MS and p99 > P99_TARGET_MS[n]:
            found.append(f"p99 at {_num(n)} entries: {p99:.2f} ms > {P99_TARGET_MS[n]:g} ms")
        total = r["load_s"] + r["build_s"]
        if n in STARTUP_TARGET_S and total > STARTUP_TARGET_S[n]:
            found.append(
                f"start-up at {_num(n)} entries: {total:.2f} s > {STARTUP_TARGET_S[n]:g} s "
                f"(load {r['load_s']:.2f} s, build {r['build_s']:.2f} s)"
            )
        if n in RSS_TARGET_MIB and r["rss_build_mib"] > RSS_TARGET_MIB[n]:
            found.append(
                f"peak RSS at {_num(n)} entries: {r['rss_build_mib']:.0f} MiB > "
                f"{RSS_TARGET_MIB[n]:g} MiB"
            )
        for mode in ("first", "warm"):
            run = (r.get("cached") or {}).get(mode)
            if run is None:
                continue
            name = "first start, writing the cache" if mode == "first" else "warm start"
            total = run["load_s"] + run["build_s"]
            if n in STARTUP_TARGET_S and total > STARTUP_TARGET_S[n]:
                found.append(
                    f"start-up at {_num(n)} entries ({name}): {total:.2f} s > "
                    f"{STARTUP_TARGET_S[n]:g} s"
                )
            if n in RSS_TARGET_MIB and run["rss_build_mib"] > RSS_TARGET_MIB[n]:
                found.append(
                    f"peak RSS at {_num(n)} entries ({name}): {run['rss_build_mib']:.0f} MiB > "
                    f"{RSS_TARGET_MIB[n]:g} MiB"
                )
    chat = extra.get("chat")
    if chat and chat["median_s"] > CHAT_TARGET_S:
        found.append(f"chat first answer: {chat['median_s']:.2f} s > {CHAT_TARGET_S:g} s")
    return found


PLACEHOLDERS = {
    "## Telegram load": "(see benchmarks/telegram_load.py — filled in by the Telegram issue)",
    "## Tickets": "(see the tickets benchmark — filled in by the Tickets issue)",
}
#: Sections this script writes; every other `## ` section of an existing report is kept.
GENERATED = frozenset({"## Machine and run", "## Targets", "## Matching", "## Where the time goes"})


def kept_sections(path: Path) -> dict[str, str]:
    """The sections of an existing report that others wrote, in file order, by heading."""
    kept: dict[str, str] = {}
    if path.exists():
        current: str | None = None
        lines: list[str] = []
        for line in [*path.read_text("utf-8").splitlines(), "## (end)"]:
            if line.startswith("## "):
                if current is not None:
                    kept[current] = "\n".join(lines).strip()
                current = line.strip() if line.strip() not in GENERATED else None
                lines = []
            elif current is not None:
                lines.append(line)
        kept.pop("## (end)", None)
    for heading, placeholder in PLACEHOLDERS.items():
        if not kept.get(heading):
            kept[heading] = placeholder
    return kept


def document(results: list[dict[str, Any]], extra: dict[str, Any], command: str, out: Path) -> str:
    """The whole docs/performance.md."""
    m = extra["machine"]
    lines = [
        "# Performance",
        "",
        "Figures from a real run of `benchmarks/matching.py`. Rerun it after changing the "
        "matcher, the loader or the targets; it rewrites its own sections and keeps the "
        "others (`## Telegram load`, `## Tickets` …).",
        "",
        "## Machine and run",
        "",
        f"- Date: {extra['date']}",
        f"- CPU: {m['cpu']}, {m['cores']}",
        f"- RAM: {m['ram']}",
        f"- Python: {m['python']}",
        f"- OS: {m['os']}",
        f"- Command: `{command}` (took {extra['elapsed_s'] / 60:.1f} min)",
        f"- System load average (1 min) at start / end: {extra['load_avg'][0]:.2f} / "
        f"{extra['load_avg'][1]:.2f} (the benchmark itself keeps one core busy)",
        "",
        "The synthetic KBs are copies of the 32 sample entries, each with a new id "
        "(`dibao-s0123`), a made-up township or village name (张家庄镇, 李湾村 …) before or "
        "after its title and each of its questions, a qualifier on the title (办理流程, "
        "政策解读, 2026年 …), a shuffled subset of its questions (at least half, per "
        "language), the place as an extra keyword, and its full answer; they are written as "
        f"YAML files of {ENTRIES_PER_FILE} entries (plus the sample's `centre.yaml`), "
        "so loading reads and checks real files.",
        "",
        "## Targets",
        "",
    ]
    misses = missed(results, extra)
    if misses:
        lines.append("Missed in this run:")
        lines.append("")
        lines.extend(f"- {m}" for m in misses)
    else:
        lines.append("All targets met in this run.")
    distinct = extra.get("distinct")
    if distinct:
        total = distinct["load_s"] + distinct["build_s"]
        rss = distinct["rss_build_mib"]
        rt = RSS_TARGET_MIB.get(distinct["entries"])
        st = STARTUP_TARGET_S.get(distinct["entries"])
        lines += [
            "",
            f"Beyond the benchmark's KB: the same {distinct['label']} entries with answers that "
            f"no two entries share (see below) start in {total:.2f} s"
            + (f" ({'within' if total <= st else 'over'} {st:g} s)" if st else "")
            + f" with a peak RSS of {rss:.0f} MiB"
            + (f" ({'within' if rss <= rt else 'over'} {rt:g} MiB)" if rt else "")
            + ".",
        ]
    lines += ["", "## Matching", "", tables(results, extra)]
    lines += ["## Where the time goes", "", DESIGN_NOTES.strip(), ""]
    if extra.get("notes"):
        lines += [extra["notes"].strip(), ""]
    if extra.get("profile"):
        lines += [profile_section(extra["profile"]), ""]
    for heading, body in kept_sections(out).items():
        lines += [heading, "", body, ""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (the --worker ones are internal)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100,1000,10000", help="KB sizes, comma-separated")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report file to write")
    p.add_argument("--no-out", action="store_true", help="print the tables only")
    p.add_argument("--queries", type=int, default=MIN_QUERIES, help="at least this many queries")
    p.add_argument(
        "--baseline-queries",
        type=int,
        default=-1,
        help=f"baseline queries (default: as ours, {BASELINE_QUERIES_BIG} from {BIG_KB} entries)",
    )
    p.add_argument("--per-file", type=int, default=ENTRIES_PER_FILE, help="entries per YAML file")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the synthetic KBs")
    p.add_argument("--keep", type=Path, default=None, help="write the KBs here and keep them")
    p.add_argument("--notes", type=Path, default=None, help="Markdown for 'Where the time goes'")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also cProfile load, build and match on the largest KB",
    )
    p.add_argument("--profile-top", type=int, default=8, help="functions listed per phase")
    p.add_argument("--cases", type=Path, default=CASES, help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--generate", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--kb", default=None, help=argparse.SUPPRESS)
    p.add_argument("--label", default="", help=argparse.SUPPRESS)
    p.add_argument("--accuracy", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--startup-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--distinct-answers", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the KBs, run the workers and the CLI timings, print and write the report."""
    args = parse_args(argv)
    if args.worker or args.generate:
        if args.worker:
            figures = profile_worker(args) if args.profile else worker(args)
        else:
            figures = generate(args)
        text = json.dumps(figures, ensure_ascii=False)
        if args.result:
            args.result.write_text(text, "utf-8")
        else:
            print(text)
        return 0

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    work = args.keep or Path(tempfile.mkdtemp(prefix="citizen-desk-bench-"))
    results: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"unique_questions": 0}
    try:
        print("sample KB: measuring …", file=sys.stderr, flush=True)
        sample = run_worker(SAMPLE_KB, "sample", args, accuracy=True)
        sample["label"] = f"{sample['entries']} (sample)"
        sample["kb_bytes"] = sum(p.stat().st_size for p in SAMPLE_KB.glob("*.yaml"))
        results.append(sample)
        extra["accuracy"] = sample["accuracy"]
        kb_dirs: dict[int, Path] = {}
        for size in sizes:
            kb_dir = work / f"kb-{size}"
            made = _child(
                args,
                [
                    "--generate",
                    str(size),
                    "--kb",
                    str(kb_dir),
                    "--seed",
                    str(args.seed),
                    "--per-file",
                    str(args.per_file),
                ],
            )
            print(
                f"{_num(size)} entries: wrote {made['files']} files, "
                f"{made['bytes'] / 1e6:.1f} MB in {made['seconds']:.1f} s; measuring …",
                file=sys.stderr,
                flush=True,
            )
            figures = run_worker(kb_dir, _num(size), args)
            figures["kb_bytes"] = made["bytes"]
            if made["bytes"] >= CACHE_MIN_BYTES:
                print(f"{_num(size)} entries: with the start-up cache …", file=sys.stderr)
                figures["cached"] = run_cached(kb_dir, _num(size), args, work / f"cache-{size}")
            results.append(figures)
            kb_dirs[size] = kb_dir
        if kb_dirs:
            biggest = max(kb_dirs)
            print(f"kb check on {_num(biggest)} entries …", file=sys.stderr, flush=True)
            extra["kb_check"] = time_kb_check(kb_dirs[biggest]) | {
                "entries_label": _num(biggest),
                "entries": biggest,
            }
            warm_cache = work / f"cache-{biggest}"
            if warm_cache.is_dir():
                extra["kb_check_warm"] = time_kb_check(kb_dirs[biggest], warm_cache)
            print(f"{_num(biggest)} entries, distinct answers …", file=sys.stderr, flush=True)
            distinct_dir = work / f"kb-{biggest}-distinct"
            made = _child(
                args,
                [
                    "--generate",
                    str(biggest),
                    "--distinct-answers",
                    "--kb",
                    str(distinct_dir),
                    "--seed",
                    str(args.seed),
                    "--per-file",
                    str(args.per_file),
                ],
            )
            distinct = run_worker(distinct_dir, _num(biggest), args, startup_only=True)
            extra["distinct"] = distinct | {"kb_bytes": made["bytes"], "files": made["files"]}
        print("chat time to first answer …", file=sys.stderr, flush=True)
        extra["chat"] = time_chat(CHAT_RUNS)
        if args.profile and kb_dirs:
            biggest = max(kb_dirs)
            print(f"cProfile on {_num(biggest)} entries …", file=sys.stderr, flush=True)
            extra["profile"] = _child(
                args,
                [
                    "--worker",
                    "--profile",
                    "--profile-top",
                    str(args.profile_top),
                    "--kb",
                    str(kb_dirs[biggest]),
                    "--label",
                    _num(biggest),
                    "--cases",
                    str(args.cases),
                ],
            )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    extra["unique_questions"] = results[0]["unique_questions"]
    extra["machine"] = machine()
    extra["date"] = dt.date.today().isoformat()
    extra["elapsed_s"] = time.perf_counter() - started
    extra["load_avg"] = (load_before, os.getloadavg()[0])
    if args.notes:
        extra["notes"] = args.notes.read_text("utf-8")
    print(tables(results, extra))
    misses = missed(results, extra)
    print("Missed targets:" if misses else "All targets met.")
    for line in misses:
        print(f"  - {line}")
    if not args.no_out:
        given = list(argv) if argv is not None else sys.argv[1:]
        command = " ".join([sys.executable, "benchmarks/matching.py", *given])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(document(results, extra, command.strip(), args.out), "utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
