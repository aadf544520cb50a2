"""Sanity checks for the held-out evaluation sets (no dependency on the bot package).

Run: python3 tests/eval/heldout/check_heldout.py
"""

import datetime
import difflib
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).parent
SETS = {"zh-subdistrict": "zh", "en-council": "en"}
GUIDE = [
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
]
REQUIRED_GUIDE = ["summary", "conditions", "materials", "steps", "time_limit", "fee", "phone"]
ENTRY_KEYS = {
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
ROUTES = {"complaint", "status", "human", "greeting"}
ID_RE = re.compile(r"^[a-z0-9-]+$")
errors = []


def err(msg):
    errors.append(msg)


def is_text_list(v):
    return isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)


def check_kb(name, lang):
    kb = yaml.safe_load((HERE / name / "kb.yaml").read_text(encoding="utf-8"))
    assert isinstance(kb, dict), name
    if lang == "en" and kb.get("language") != "en":
        err(f"{name}: top-level language must be en")
    entries = kb["entries"]
    ids = [e["id"] for e in entries]
    for i, c in Counter(ids).items():
        if c > 1:
            err(f"{name}: duplicate id {i}")
    seen_q = {}
    for e in entries:
        eid = e.get("id")
        if not isinstance(eid, str) or not ID_RE.match(eid):
            err(f"{name}: bad id {eid!r}")
        unknown = set(e) - ENTRY_KEYS
        if unknown:
            err(f"{name}/{eid}: unknown keys {unknown}")
        if not isinstance(e.get("title"), str):
            err(f"{name}/{eid}: title")
        qs = e.get("questions")
        if not is_text_list(qs) or not 3 <= len(qs) <= 5:
            err(f"{name}/{eid}: questions must be 3-5 strings, got {qs!r}")
        for q in qs or []:
            if q in seen_q:
                err(f"{name}/{eid}: question {q!r} also under {seen_q[q]}")
            seen_q[q] = eid
        kws = e.get("keywords")
        if not is_text_list(kws) or not 2 <= len(kws) <= 4:
            err(f"{name}/{eid}: keywords must be 2-4 strings, got {kws!r}")
        ans = e.get("answer")
        if not isinstance(ans, dict):
            err(f"{name}/{eid}: answer must be structured")
        else:
            for k, v in ans.items():
                if k not in GUIDE:
                    err(f"{name}/{eid}: unknown answer field {k}")
                if not (isinstance(v, str) and v.strip()) and not is_text_list(v):
                    err(f"{name}/{eid}: answer.{k} must be text or list of texts: {v!r}")
            missing = [k for k in REQUIRED_GUIDE if k not in ans]
            # rural/urban guides without conditions or materials are acceptable for a few entries
            if [m for m in missing if m not in ("conditions", "materials")]:
                err(f"{name}/{eid}: answer missing {missing}")
            if "location" not in ans and "online" not in ans:
                err(f"{name}/{eid}: answer needs location or online")
        for r in e.get("related", []) or []:
            if r not in ids:
                err(f"{name}/{eid}: related id {r} does not exist")
        if not isinstance(e.get("updated"), datetime.date):
            err(f"{name}/{eid}: updated must be a date")
    return kb, ids


def check_cases(name, lang, kb, ids):
    data = yaml.safe_load((HERE / name / "cases.yaml").read_text(encoding="utf-8"))
    cases = data["cases"]
    per = Counter()
    n_in = n_out = 0
    routes = Counter()
    qs = Counter(c.get("q") for c in cases)
    for q, c in qs.items():
        if c > 1:
            err(f"{name}: duplicate case {q!r}")
    kb_questions = [(q, e["id"]) for e in kb["entries"] for q in e["questions"]]
    close = []
    for c in cases:
        q = c.get("q")
        if not isinstance(q, str) or not q.strip():
            err(f"{name}: bad q {c!r}")
            continue
        if set(c) - {"q", "expect", "route", "lang"}:
            err(f"{name}: unknown keys in {c!r}")
        if ("expect" in c) == ("route" in c):
            err(f"{name}: case needs exactly one of expect/route: {c!r}")
        if lang == "en" and c.get("lang") != "en":
            err(f"{name}: English case without lang: en: {q!r}")
        if "route" in c:
            if c["route"] not in ROUTES:
                err(f"{name}: unknown route {c['route']!r}")
            routes[c["route"]] += 1
        elif c["expect"] is None:
            n_out += 1
        else:
            if c["expect"] not in ids:
                err(f"{name}: expect id {c['expect']!r} not in KB ({q!r})")
            per[c["expect"]] += 1
            n_in += 1
        for kq, kid in kb_questions:
            a, b = q.lower().strip(" ?？"), kq.lower().strip(" ?？")
            r = difflib.SequenceMatcher(None, a, b).ratio()
            if a == b or r >= 0.8:
                close.append((round(r, 2), q, kq, kid))
    for i in ids:
        if per[i] < 4:
            err(f"{name}: entry {i} has only {per[i]} in-scope cases")
    print(
        f"== {name}: {len(kb['entries'])} entries, {len(cases)} cases: "
        f"{n_in} in-scope, {n_out} out-of-scope, {sum(routes.values())} routing {dict(routes)}"
    )
    print(f"   per-entry in-scope: min {min(per[i] for i in ids)}, max {max(per[i] for i in ids)}")
    for r, q, kq, kid in close:
        print(f"   NOTE case close to KB question ({r}): {q!r} ~ {kq!r} [{kid}]")


for name, lang in SETS.items():
    kb, ids = check_kb(name, lang)
    check_cases(name, lang, kb, ids)

if errors:
    print("\nERRORS:")
    for e in errors:
        print(" -", e)
    sys.exit(1)
print("\nOK")
