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
4. Times `citizen-desk kb check` on the largest KB and `citizen-desk chat` to the first
   answer on the sample KB, then prints Markdown tables and writes docs/performance.md
   (the `## Telegram load` and `## Tickets` sections of an existing file are kept).
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


def _map_text(value: Any, fn: Callable[[str, str], str]) -> Any:
    """Apply fn(text, lang) to a text (a string or a language mapping)."""
    if isinstance(value, str):
        return fn(value, "zh")
    if isinstance(value, dict):
        return {lang: fn(str(text), str(lang)) for lang, text in value.items()}
    return value


def _perturb_list(value: Any, rng: random.Random, fn: Callable[[str, str], str]) -> Any:
    """A shuffled subset (at least half) of a text list, each item passed through fn."""

    def subset(items: list[Any]) -> list[Any]:
        keep = rng.randint(max(1, math.ceil(len(items) / 2)), len(items)) if items else 0
        return [_map_text(item, fn) for item in rng.sample(items, keep)]

    if isinstance(value, list):
        return subset(value)
    if isinstance(value, dict):
        return {lang: subset(list(items or [])) for lang, items in value.items()}
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
    matcher = Matcher(kb)
    build_s = time.perf_counter() - t0
    rss_build = _rss_mib()

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


def run_worker(
    kb: Path, label: str, args: argparse.Namespace, accuracy: bool = False
) -> dict[str, Any]:
    """Run the worker in a fresh interpreter and return its figures."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
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
        "--result",
        str(out),
    ]
    if accuracy:
        cmd.append("--accuracy")
    try:
        subprocess.run(cmd, check=True)
        data: dict[str, Any] = json.loads(out.read_text("utf-8"))
    finally:
        out.unlink(missing_ok=True)
    return data


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


def time_kb_check(kb: Path) -> dict[str, Any]:
    """Wall time of `citizen-desk kb check --kb DIR`, with its exit code and summary."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [citizen_desk(), "kb", "check", "--kb", str(kb)], capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    lines = done.stdout.strip().splitlines()
    return {"wall_s": wall, "exit": done.returncode, "summary": lines[-1] if lines else ""}


def time_chat(runs: int) -> dict[str, Any]:
    """Wall time of `echo 低保怎么申请 | citizen-desk chat` to exit (interpreter start included)."""
    walls: list[float] = []
    first = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [citizen_desk(), "chat"],
            input=(CHAT_QUESTION + "\n").encode(),
            capture_output=True,
            check=True,
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
        "on an even spread of the same questions.\n"
    )
    out.append("### Start-up and memory (fresh process per KB)\n")
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
    out.append(
        "\nStart-up = `load_knowledge(dir)` (read, parse and check every YAML file) + "
        "`Matcher(kb)` (segmenter, typo corrector, BM25 index). Importing the bot's modules "
        f"before that takes {results[0]['import_s']:.2f} s and is not included. Peak RSS is "
        "`ru_maxrss` of the worker process (Python and all imports included; the process "
        f"starts at {results[0]['rss_start_mib']:.0f} MiB before importing the bot).\n"
    )
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
                f"| `citizen-desk kb check` on {check['entries_label']} entries (wall, exit "
                f"{check['exit']}: {check['summary']}) | {check['wall_s']:.2f} s | — | — |"
            )
        if chat:
            out.append(
                f"| `echo {CHAT_QUESTION} \\| citizen-desk chat` on the sample KB, wall to exit "
                f"(median of {chat['runs']}; min {chat['min_s']:.2f}, max {chat['max_s']:.2f}) "
                f"| {chat['median_s']:.2f} s | ≤ {CHAT_TARGET_S:g} s "
                f"| {_ok(chat['median_s'] <= CHAT_TARGET_S)} |"
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
    chat = extra.get("chat")
    if chat and chat["median_s"] > CHAT_TARGET_S:
        found.append(f"chat first answer: {chat['median_s']:.2f} s > {CHAT_TARGET_S:g} s")
    return found


PLACEHOLDERS = {
    "## Telegram load": "(see benchmarks/telegram_load.py — filled in by the Telegram issue)",
    "## Tickets": "(see the tickets benchmark — filled in by the Tickets issue)",
}


def kept_sections(path: Path) -> dict[str, str]:
    """The `## Telegram load` and `## Tickets` sections of an existing report."""
    if not path.exists():
        return {}
    kept: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in [*path.read_text("utf-8").splitlines(), "## (end)"]:
        if line.startswith("## "):
            if current is not None:
                kept[current] = "\n".join(lines).strip()
            current = line.strip() if line.strip() in PLACEHOLDERS else None
            lines = []
        elif current is not None:
            lines.append(line)
    return kept


def document(results: list[dict[str, Any]], extra: dict[str, Any], command: str, out: Path) -> str:
    """The whole docs/performance.md."""
    m = extra["machine"]
    lines = [
        "# Performance",
        "",
        "Figures from a real run of `benchmarks/matching.py`. Rerun it after changing the "
        "matcher, the loader or the targets; it rewrites everything above `## Telegram load`.",
        "",
        "## Machine and run",
        "",
        f"- Date: {extra['date']}",
        f"- CPU: {m['cpu']}, {m['cores']}",
        f"- RAM: {m['ram']}",
        f"- Python: {m['python']}",
        f"- OS: {m['os']}",
        f"- Command: `{command}` (took {extra['elapsed_s'] / 60:.1f} min)",
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
    lines += ["", "## Matching", "", tables(results, extra)]
    if extra.get("notes"):
        lines += ["## Where the time goes", "", extra["notes"].strip(), ""]
    kept = kept_sections(out)
    for heading, placeholder in PLACEHOLDERS.items():
        lines += [heading, "", kept.get(heading) or placeholder, ""]
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
    p.add_argument("--cases", type=Path, default=CASES, help=argparse.SUPPRESS)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--kb", default=None, help=argparse.SUPPRESS)
    p.add_argument("--label", default="", help=argparse.SUPPRESS)
    p.add_argument("--accuracy", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the KBs, run the workers and the CLI timings, print and write the report."""
    args = parse_args(argv)
    if args.worker:
        figures = worker(args)
        text = json.dumps(figures, ensure_ascii=False)
        if args.result:
            args.result.write_text(text, "utf-8")
        else:
            print(text)
        return 0

    started = time.perf_counter()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    base, meta = read_sample(SAMPLE_KB)
    places = make_places()
    work = args.keep or Path(tempfile.mkdtemp(prefix="citizen-desk-bench-"))
    results: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"unique_questions": 0}
    try:
        print(f"sample KB ({len(base)} entries): measuring …", file=sys.stderr, flush=True)
        sample = run_worker(SAMPLE_KB, f"{len(base)} (sample)", args, accuracy=True)
        sample["kb_bytes"] = sum(p.stat().st_size for p in SAMPLE_KB.glob("*.yaml"))
        results.append(sample)
        extra["accuracy"] = sample["accuracy"]
        kb_dirs: dict[int, Path] = {}
        for size in sizes:
            kb_dir = work / f"kb-{size}"
            t0 = time.perf_counter()
            if kb_dir.exists():
                shutil.rmtree(kb_dir)
            files, nbytes = write_kb(
                kb_dir, synthesize(base, size, places, args.seed), meta, args.per_file
            )
            print(
                f"{_num(size)} entries: wrote {files} files, {nbytes / 1e6:.1f} MB in "
                f"{time.perf_counter() - t0:.1f} s; measuring …",
                file=sys.stderr,
                flush=True,
            )
            figures = run_worker(kb_dir, _num(size), args)
            figures["kb_bytes"] = nbytes
            results.append(figures)
            kb_dirs[size] = kb_dir
        if kb_dirs:
            biggest = max(kb_dirs)
            print(f"kb check on {_num(biggest)} entries …", file=sys.stderr, flush=True)
            extra["kb_check"] = time_kb_check(kb_dirs[biggest]) | {"entries_label": _num(biggest)}
        print("chat time to first answer …", file=sys.stderr, flush=True)
        extra["chat"] = time_chat(CHAT_RUNS)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    from bot.evaluation import load_cases

    extra["unique_questions"] = len(load_cases(args.cases))
    extra["machine"] = machine()
    extra["date"] = dt.date.today().isoformat()
    extra["elapsed_s"] = time.perf_counter() - started
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
