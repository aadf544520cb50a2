"""`report --disclosure --carried-in`: 二 上年结转 checked against last year's published 四."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.store import Store
from tests.test_disclosure_cli import ID_NUMBER, cli


def _rows(text: str) -> dict[str, str]:
    return {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}


async def test_last_years_published_row_is_checked_and_shown(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    await (await Store.open(db)).close()
    year = dt.date.today().year  # the desk's clock is China's; not run on New Year's Eve
    details = ("--applicant", "natural", "--name", "王五", "--id", ID_NUMBER)
    details += ("--contact", "13800138000", "--form", "paper", "--way", "collect")
    last_year = f"{year - 1}-12-15"  # a request made at the counter last December, still open
    recorded = cli(db, "disclosure", "record", *details, "--on", last_year, "本村低保名单")
    assert recorded.returncode == 0, recorded.stderr
    report = ("report", "--year", str(year), "--disclosure")

    matching = cli(db, *report, "--carried-in", "1,0,0,0,0,0")
    assert matching.returncode == 0, matching.stderr
    carried = "二、上年结转政府信息公开申请数量"
    assert _rows(matching.stdout)[carried].endswith("| 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    # Last year's row pasted as printed, total included; full-width commas too.
    pasted = cli(db, *report, "--carried-in", "| 1 | 0 | 0 | 0 | 0 | 0 | 1 |")
    assert pasted.returncode == 0, pasted.stderr
    assert cli(db, *report, "--carried-in", "1，0，0，0，0，0").returncode == 0

    # The published figure says the request was a business's: refused, naming both columns.
    wrong = cli(db, *report, "--carried-in", "0,1,0,0,0,0")
    assert wrong.returncode != 0
    assert "上年结转 自然人" in wrong.stderr and "上年结转 商业企业" in wrong.stderr
    assert "不平衡" in wrong.stderr


async def test_bad_carried_in_figures_are_refused_politely(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    await (await Store.open(db)).close()
    report = ("report", "--year", "2026", "--disclosure")
    short = cli(db, *report, "--carried-in", "1,2,x")
    assert short.returncode == 2 and "抱歉" in short.stderr and "“1,2,x”" in short.stderr
    assert "Traceback" not in short.stderr
    english = cli(db, *report, "--lang", "en", "--carried-in", "1,0,0,0,0,-1")
    assert english.returncode == 2 and 'Sorry, the --carried-in value "1,0,0,0,0,-1"' in (
        english.stderr
    )
    total = cli(db, *report, "--lang", "en", "--carried-in", "1,0,0,0,1,0,3")
    assert total.returncode == 2 and "total 3 is not the sum of the six columns (2)" in (
        total.stderr
    )
    monthly = cli(db, "report", "--year", "2026", "--month", "3", "--carried-in", "0,0,0,0,0,0")
    assert monthly.returncode == 2 and "--month" in monthly.stderr
