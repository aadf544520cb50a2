"""Tests of the knowledge-base loader and validator (docs/knowledge-format.md)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge.loader import LoadResult, load_knowledge, sample_kb_path
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.problems import Level, Problem
from tests.conftest import PASSPORT_ENTRY

TODAY = dt.date(2026, 11, 21)

SAMPLE_IDS = (
    "pension-enroll",
    "pension-claim",
    "medical-insurance-enroll",
    "medical-reimburse",
    "dibao",
    "tekun",
    "temporary-aid",
    "medical-aid",
    "disability-subsidy",
    "disability-card",
    "elderly-allowance",
    "senior-card",
    "birth-registration",
    "family-planning-reward",
    "employment-registration",
    "unemployment-registration",
    "flexible-employment-subsidy",
    "farmland-subsidy",
    "farm-machinery-subsidy",
    "dilapidated-house",
    "homestead",
    "residence-permit",
    "hukou-transfer",
    "newborn-hukou",
    "veteran-benefits",
    "village-finance",
    "info-disclosure-request",
    "centre-hours",
    "complaint-howto",
    "mayor-mailbox",
    "subsidy-card",
    "social-security-card",
)

GUIDE_FIELDS_IN_SAMPLE = (
    "summary",
    "conditions",
    "materials",
    "steps",
    "time_limit",
    "fee",
    "location",
    "phone",
)


GOOD = """
entries:
  - id: good
    title: Good
    questions: [a good question]
    answer: fine
"""


def write(root: Path, rel: str, text: str) -> Path:
    """Write a YAML fixture (dedented, without the leading newline) under `root`."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def one_entry(entry_id: str = "a", title: str = "T", questions: str = "[q]") -> str:
    """A file with one entry: `id` on line 2, `title` 3, `questions` 4, `answer` 5."""
    return (
        f"entries:\n  - id: {entry_id}\n    title: {title}\n"
        f"    questions: {questions}\n    answer: x\n"
    )


def load(root: Path) -> LoadResult:
    return load_knowledge(root, today=TODAY)


def errors(result: LoadResult) -> list[Problem]:
    return [p for p in result.problems if p.level is Level.ERROR]


def warnings(result: LoadResult) -> list[Problem]:
    return [p for p in result.problems if p.level is Level.WARNING]


def loaded(result: LoadResult) -> KnowledgeBase:
    assert result.kb is not None, result.report()
    return result.kb


def only_error(result: LoadResult) -> Problem:
    assert result.kb is None
    found = errors(result)
    assert len(found) == 1, result.report()
    return found[0]


# -- plain strings and languages ------------------------------------------------------------


def test_minimal_plain_string_kb_loads(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    result = load(tmp_path)
    kb = loaded(result)
    assert result.problems == []
    assert (result.files, result.entries) == (1, 1)
    entry = kb.get("passport-apply")
    assert entry is not None
    assert entry.title.values == {"zh": "普通护照申领"}
    assert entry.questions.get("zh") == ("怎么办护照", "护照在哪里办")
    assert entry.keywords.get("zh") == ("护照",)
    assert [f.name for f in entry.answer.fields] == ["summary", "time_limit"]
    assert (entry.source.file, entry.source.line) == ("kb.yaml", 2)


def test_plain_strings_fall_back_to_the_default_language(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    entry = loaded(load(tmp_path)).get("passport-apply")
    assert entry is not None
    assert entry.title.get("en") == "普通护照申领"
    assert entry.questions.get("en") == ("怎么办护照", "护照在哪里办")
    summary = entry.answer.field("summary")
    assert summary is not None
    assert summary.items.get("en") == ("携带身份证到县公安局出入境窗口申请。",)


def test_language_en_at_file_top_makes_plain_strings_english(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        language: en
        entries:
          - id: passport-apply
            title: Passport application
            questions: [How do I get a passport?]
            answer: Bring your ID card to the county exit-entry window.
        """,
    )
    entry = loaded(load(tmp_path)).get("passport-apply")
    assert entry is not None
    assert entry.title.values == {"en": "Passport application"}
    assert entry.questions.values == {"en": ("How do I get a passport?",)}
    assert entry.title.get("zh") == "Passport application"
    assert entry.answer.text is not None
    assert entry.answer.text.values == {"en": "Bring your ID card to the county exit-entry window."}


def test_a_list_may_mix_plain_strings_and_language_mappings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        entries:
          - id: dibao
            title: {zh: 低保申请, en: Dibao application}
            questions: [低保怎么申请, {zh: 吃低保要什么条件, en: Who can get dibao?}]
            answer: {zh: 到乡镇申请, en: Apply at the township}
        """,
    )
    entry = loaded(load(tmp_path)).get("dibao")
    assert entry is not None
    assert entry.questions.get("zh") == ("低保怎么申请", "吃低保要什么条件")
    assert entry.questions.get("en") == ("Who can get dibao?",)
    assert entry.title.get("en") == "Dibao application"


# -- the shipped sample KB ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> LoadResult:
    return load_knowledge(sample_kb_path(), today=TODAY)


def test_sample_kb_loads_with_no_problems(sample: LoadResult) -> None:
    assert errors(sample) == []
    assert sample.problems == []
    assert "32 entries: 0 errors, 0 warnings" in sample.report()


def test_sample_kb_has_exactly_the_32_ids(sample: LoadResult) -> None:
    ids = [e.id for e in loaded(sample).entries]
    assert len(SAMPLE_IDS) == 32
    assert len(ids) == 32
    assert sorted(ids) == sorted(SAMPLE_IDS)


@pytest.mark.parametrize("entry_id", SAMPLE_IDS)
def test_sample_entry_is_complete_in_both_languages(sample: LoadResult, entry_id: str) -> None:
    entry = loaded(sample).get(entry_id)
    assert entry is not None
    assert set(entry.title.values) == {"zh", "en"}
    assert all(entry.title.values.values())
    assert len(entry.questions.values.get("zh", ())) >= 5
    assert len(entry.questions.values.get("en", ())) >= 2
    assert entry.keywords.values.get("zh")
    assert entry.keywords.values.get("en")
    missing = [
        name
        for name in GUIDE_FIELDS_IN_SAMPLE
        for lang in ("zh", "en")
        if not (f := entry.answer.field(name)) or not f.items.values.get(lang)
    ]
    assert missing == []
    assert isinstance(entry.updated, dt.date)


def test_sample_kb_has_the_centre(sample: LoadResult) -> None:
    centre = loaded(sample).centre
    assert centre is not None
    assert centre.name.values == {
        "zh": "青石镇为民服务中心",
        "en": "Qingshi Town Citizen Service Centre",
    }
    assert centre.address is not None and set(centre.address.values) == {"zh", "en"}
    assert centre.hours is not None and set(centre.hours.values) == {"zh", "en"}
    assert len(centre.phones) >= 1
    assert all(p.number for p in centre.phones)
    assert centre.supervision_phone


# -- files ----------------------------------------------------------------------------------


def test_subdirectories_are_read(tmp_path: Path) -> None:
    write(tmp_path, "a/b/deep.yaml", PASSPORT_ENTRY)
    result = load(tmp_path)
    assert loaded(result).get("passport-apply") is not None
    assert result.files == 1
    assert loaded(result).entries[0].source.file == str(Path("a/b/deep.yaml"))


def test_yml_files_are_read(tmp_path: Path) -> None:
    write(tmp_path, "kb.yml", PASSPORT_ENTRY)
    assert loaded(load(tmp_path)).get("passport-apply") is not None


def test_other_suffixes_are_not_read(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    write(tmp_path, "notes.txt", "entries: [broken")
    write(tmp_path, "kb.yaml.bak", "entries: [broken")
    result = load(tmp_path)
    assert result.problems == []
    assert result.files == 1


def test_hidden_files_and_directories_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    write(tmp_path, ".kb.yaml.swp.yaml", "entries: [broken")
    write(tmp_path, ".git/hooks/x.yaml", "entries: [broken")
    write(tmp_path, "sub/.cache/y.yml", "- not a mapping")
    result = load(tmp_path)
    assert result.problems == []
    assert result.files == 1


def test_a_file_without_entries_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    write(
        tmp_path,
        "centre.yaml",
        """
        centre:
          name: {zh: 青石镇为民服务中心, en: Qingshi Town Citizen Service Centre}
          phones:
            - {label: 综合咨询, number: "0739-1234567"}
        """,
    )
    result = load(tmp_path)
    kb = loaded(result)
    assert result.problems == []
    assert (result.files, result.entries) == (2, 1)
    assert kb.centre is not None
    assert kb.centre.phones[0].number == "0739-1234567"


# -- every problem is reported --------------------------------------------------------------


def test_every_broken_entry_in_a_file_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        entries:
          - id: no-title
            questions: [q1]
            answer: x
          - id: Bad_Id
            title: T
            questions: [q2]
            answer: x
          - id: number-questions
            title: T
            questions: 5
            answer: x
          - id: list-title
            title: [a, b]
            questions: [q4]
            answer: x
          - id: good
            title: T
            questions: [q5]
            answer: x
        """,
    )
    result = load(tmp_path)
    assert result.kb is None
    found = errors(result)
    assert [(p.file, p.line, p.entry_id) for p in found] == [
        ("kb.yaml", 2, "no-title"),
        ("kb.yaml", 5, "Bad_Id"),
        ("kb.yaml", 11, "number-questions"),
        ("kb.yaml", 14, "list-title"),
    ]
    assert "missing required field `title`" in found[0].message
    assert "bad id 'Bad_Id'" in found[1].message
    assert "`questions` must be a list" in found[2].message
    assert "`title` must be a text" in found[3].message
    assert result.entries == 1
    assert "1 file, 1 entry: 4 errors, 0 warnings" in result.report()


def test_yaml_syntax_error_reports_line_and_column(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        entries:
          - id: a
            title: [unclosed
            questions: x
        """,
    )
    problem = only_error(load(tmp_path))
    assert (problem.file, problem.line, problem.entry_id) == ("kb.yaml", 4, None)
    assert problem.message.startswith("YAML syntax error:")
    assert problem.message.endswith("(column 14)")


def test_syntax_error_in_one_file_does_not_hide_problems_in_another(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "entries: [unclosed\n")
    write(tmp_path, "b.yaml", "entries:\n  - id: b\n    title: B\n")
    result = load(tmp_path)
    assert {p.file for p in errors(result)} == {"a.yaml", "b.yaml"}


def test_missing_required_fields_are_each_reported(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "entries:\n  - id: lonely\n")
    result = load(tmp_path)
    assert result.kb is None
    assert [str(p) for p in errors(result)] == [
        "kb.yaml:2: [lonely] error: missing required field `title`",
        "kb.yaml:2: [lonely] error: missing required field `questions`",
        "kb.yaml:2: [lonely] error: missing required field `answer`",
    ]


def test_missing_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "  - title: T\n    questions: [q]\n    answer: x\n")
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (6, None)
    assert problem.message == "missing required field `id`"


def test_questions_as_a_number_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", one_entry(questions="5"))
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (4, "a")
    assert problem.message == (
        "`questions` must be a list or a mapping from language to list, not int 5"
    )


def test_title_as_a_list_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", one_entry(title="[x, y]"))
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (3, "a")
    assert "`title` must be a text or a mapping like {zh: …, en: …}, not a list" in problem.message


@pytest.mark.parametrize("bad_id", ["Dibao", "my entry", "dibao_2", "低保"])
def test_bad_id_is_an_error(tmp_path: Path, bad_id: str) -> None:
    write(tmp_path, "kb.yaml", one_entry(entry_id=f'"{bad_id}"'))
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (2, bad_id)
    assert problem.message == f"bad id {bad_id!r}: use lowercase a-z, 0-9 and -"


def test_numeric_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", one_entry(entry_id="42"))
    problem = only_error(load(tmp_path))
    assert problem.message.startswith("bad id 42")


def test_duplicate_id_is_reported_once_naming_the_first(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", one_entry(entry_id="dibao", questions="[qa]"))
    write(
        tmp_path,
        "b.yaml",
        "# second\nentries:\n  - id: dibao\n    title: B\n    questions: [qb]\n    answer: y\n",
    )
    result = load(tmp_path)
    assert result.kb is None
    assert sorted(str(p) for p in errors(result)) == [
        "b.yaml:3: [dibao] error: duplicate id `dibao` (first at a.yaml:2)",
    ]


def test_related_to_a_missing_id_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    related: [good, tekun]\n")
    problem = only_error(load(tmp_path))
    assert str(problem) == "kb.yaml:2: [good] error: related id `tekun` not found"


def test_unknown_entry_field_is_a_warning_and_the_kb_loads(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    colour: blue\n")
    result = load(tmp_path)
    assert loaded(result).get("good") is not None
    assert [str(p) for p in result.problems] == [
        "kb.yaml:6: [good] warning: unknown field `colour` ignored"
    ]


def test_unknown_top_level_key_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "owner: town office\n" + GOOD.lstrip("\n"))
    result = load(tmp_path)
    assert result.kb is not None
    assert [str(p) for p in result.problems] == [
        "kb.yaml:1: warning: unknown top-level key `owner` ignored"
    ]


def test_same_question_under_two_entries_is_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        entries:
          - id: dibao
            title: 低保
            questions: [怎么申请补助, 低保怎么申请]
            answer: x
          - id: tekun
            title: 特困
            questions: [怎么申请补助？, 特困怎么申请]
            answer: y
        """,
    )
    result = load(tmp_path)
    assert result.kb is not None
    [warning] = warnings(result)
    assert (warning.file, warning.line, warning.entry_id) == ("kb.yaml", 6, "tekun")
    assert "怎么申请补助" in warning.message
    assert "also belongs to `dibao` (kb.yaml:2)" in warning.message


def test_review_by_in_the_past_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    review_by: 2026-06-30\n")
    result = load_knowledge(tmp_path, today=dt.date(2026, 7, 1))
    assert result.kb is not None
    assert [str(p) for p in result.problems] == [
        "kb.yaml:2: [good] warning: past its review date 2026-06-30: please review"
    ]


def test_review_by_today_or_later_is_quiet(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    review_by: 2026-06-30\n")
    assert load_knowledge(tmp_path, today=dt.date(2026, 6, 30)).problems == []


def test_dates_are_read(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    updated: 2026-11-20\n    review_by: 2027-11-20\n")
    entry = loaded(load(tmp_path)).get("good")
    assert entry is not None
    assert (entry.updated, entry.review_by) == (dt.date(2026, 11, 20), dt.date(2027, 11, 20))


@pytest.mark.parametrize("value", ["2026-13-45", "2026-02-30"])
def test_impossible_date_is_an_error(tmp_path: Path, value: str) -> None:
    write(tmp_path, "kb.yaml", GOOD + f"    updated: {value}\n")
    problem = only_error(load(tmp_path))
    assert str(problem) == (
        f"kb.yaml:6: [good] error: `updated` must be a date like 2026-11-20, not '{value}'"
    )


def test_date_that_is_not_a_date_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    review_by: next spring\n")
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (6, "good")
    assert "`review_by` must be a date like 2026-11-20, not 'next spring'" in problem.message


def test_a_file_holding_a_list_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "- id: a\n  title: T\n")
    problem = only_error(load(tmp_path))
    assert str(problem) == (
        "kb.yaml:1: error: the file must be a mapping (with `entries:` and other keys), not a list"
    )


def test_entries_that_is_not_a_list_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "# x\nentries:\n  id: a\n")
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.message) == (3, "`entries` must be a list")


def test_an_entry_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", GOOD + "  - just a string\n")
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.message) == (6, "an entry must be a mapping, not str")


def test_a_kb_with_no_entries_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "centre:\n  name: 中心\n")
    problem = only_error(load(tmp_path))
    assert problem.message == "the knowledge base has no entries"


def test_an_empty_directory_is_an_error(tmp_path: Path) -> None:
    result = load(tmp_path)
    problem = only_error(result)
    assert problem.message == "no *.yaml or *.yml files found"
    assert result.files == 0


def test_a_directory_that_does_not_exist_raises(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist") as info:
        load(tmp_path / "nowhere")
    assert info.value.exit_code == 4


def test_a_path_that_is_a_file_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    with pytest.raises(KnowledgeError, match="is not a directory"):
        load(path)


# -- abusive YAML ---------------------------------------------------------------------------


def test_billion_laughs_is_refused_without_blowing_up_memory(tmp_path: Path) -> None:
    lines = ['a0: &a0 "lol"']
    for level in range(1, 10):
        aliases = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    write(tmp_path, "kb.yaml", "\n".join(lines) + "\n")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = load(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 50 * 1024 * 1024
    problem = only_error(result)
    assert "alias bomb" in problem.message
    assert problem.message.endswith("refused")


def test_more_than_1000_aliases_are_refused(tmp_path: Path) -> None:
    aliases = "\n".join(["  - *x"] * 1001)
    write(tmp_path, "kb.yaml", f"x: &x small\nmany:\n{aliases}\n")
    problem = only_error(load(tmp_path))
    assert problem.message == "more than 1000 aliases: refused"


def test_python_object_tag_is_refused_and_nothing_runs(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "kb.yaml", '!!python/object/apply:os.system ["echo hi"]\n')
    problem = only_error(load(tmp_path))
    assert problem.line == 1
    assert "python/object/apply:os.system" in problem.message
    assert "hi" not in capfd.readouterr().out


def test_python_object_tag_inside_an_entry_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write(
        tmp_path,
        "kb.yaml",
        GOOD.replace("answer: fine", f'answer: !!python/object/apply:os.system ["touch {marker}"]'),
    )
    problem = only_error(load(tmp_path))
    assert problem.line == 5
    assert "could not determine a constructor" in problem.message
    assert not marker.exists()


def test_a_file_over_5_mb_is_refused_by_size(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_bytes(b"# padding\n" * (600 * 1024))
    problem = only_error(load(tmp_path))
    assert problem.file == "kb.yaml"
    assert problem.message == ("file is 5.9 MB; the limit is 5 MB — split it into smaller files")


def test_nesting_deeper_than_50_levels_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "entries: " + "[" * 51 + "]" * 51 + "\n")
    problem = only_error(load(tmp_path))
    assert problem.message == "nesting deeper than 50 levels is refused"
    assert problem.line == 1


def test_block_nesting_deeper_than_50_levels_is_refused(tmp_path: Path) -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "leaf\n"
    write(tmp_path, "kb.yaml", text)
    problem = only_error(load(tmp_path))
    assert problem.message == "nesting deeper than 50 levels is refused"


def test_extreme_nesting_is_refused_without_a_crash(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", "entries: " + "[" * 100_000 + "]" * 100_000 + "\n")
    problem = only_error(load(tmp_path))
    assert problem.line == 1
    assert "nesting" in problem.message


def test_invalid_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kb.yaml").write_bytes(b"entries:\n  - id: a\n    title: \xff\xfe\n")
    problem = only_error(load(tmp_path))
    assert str(problem) == "kb.yaml: error: file is not valid UTF-8 (byte 30)"


@pytest.mark.parametrize("number", ["9" * 5000, "0x" + "f" * 5000])
def test_a_huge_number_is_reported_not_a_crash(tmp_path: Path, number: str) -> None:
    write(tmp_path, "kb.yaml", GOOD + f"    updated: {number}\n")
    problem = only_error(load(tmp_path))
    assert (problem.line, problem.entry_id) == (6, "good")
    assert problem.message.startswith("`updated` must be a date like 2026-11-20")


# -- the command line -----------------------------------------------------------------------


def kb_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUTF8": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "kb", "check", "--lang", "en", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_kb_check_on_a_good_kb(tmp_path: Path) -> None:
    write(tmp_path, "kb.yaml", PASSPORT_ENTRY)
    run = kb_check("--kb", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[1:] == ["1 file, 1 entry: 0 errors, 0 warnings"]


def test_cli_kb_check_on_the_sample_kb_has_0_errors() -> None:
    run = kb_check("--kb", str(sample_kb_path()))
    assert run.returncode == 0, run.stderr
    assert "32 entries: 0 errors" in run.stdout.strip().splitlines()[-1]


def test_cli_kb_check_on_a_broken_kb_prints_every_problem(tmp_path: Path) -> None:
    write(
        tmp_path,
        "kb.yaml",
        """
        entries:
          - id: Bad
            title: T
            questions: [q]
            answer: x
          - id: ok
            title: T
            questions: [q2]
            answer: x
            related: [missing]
            colour: red
        """,
    )
    run = kb_check("--kb", str(tmp_path))
    assert run.returncode == 1
    assert run.stdout.strip().splitlines()[1:] == [
        "kb.yaml:2: [Bad] error: bad id 'Bad': use lowercase a-z, 0-9 and -",
        "kb.yaml:11: [ok] warning: unknown field `colour` ignored",
        "kb.yaml:6: [ok] error: related id `missing` not found",
        "1 file, 1 entry: 2 errors, 1 warning",
    ]


def test_cli_kb_check_on_an_impossible_date_is_an_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    write(tmp_path, "kb.yaml", GOOD + "    updated: 2026-13-45\n")
    run = kb_check("--kb", str(tmp_path))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "kb.yaml:6: [good] error: `updated` must be a date" in run.stdout


def test_cli_kb_check_on_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    run = kb_check("--kb", str(missing))
    assert run.returncode == 4
    assert run.stdout == ""
    assert run.stderr.startswith("citizen-desk: ")
    assert f"knowledge directory {missing} does not exist" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (
            "complaint_categories:\n"
            "  - {id: 村务公开, name: x, department: general, deadline_days: 5}\n",
            "complaint category id",
        ),
        ("departments:\n  - {id: 'a:b', name: x}\n", "department id"),
        (
            "entries:\n  - {id: a, title: t, questions: [q], answer: a, category: "
            + "x" * 40
            + "}\n",
            "`category`",
        ),
    ],
)
def test_ids_in_button_data_are_short_and_plain(tmp_path: Path, text: str, what: str) -> None:
    write(tmp_path, "kb.yaml", text if text.startswith("entries") else PASSPORT_ENTRY + text)
    result = load_knowledge(tmp_path)
    assert result.kb is None
    assert any(what in p.message for p in result.problems)
