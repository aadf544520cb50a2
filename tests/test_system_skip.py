"""The switch between skipping and failing a test whose system package is missing (10.14).

Without `CITIZEN_DESK_REQUIRE_SYSTEM=1` a missing browser, playwright or PostgreSQL skips
with one line; `.ci/run` sets the variable, and then the same test fails instead.
"""

from __future__ import annotations

import pytest

import tests.conftest as conftest


def test_a_missing_package_skips_with_a_one_line_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "REQUIRE_SYSTEM", False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.require_system("chromium", False)
    reason = str(skipped.value)
    assert "chromium is not installed" in reason and "\n" not in reason


def test_a_missing_package_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "REQUIRE_SYSTEM", True)
    with pytest.raises(pytest.fail.Exception, match="CITIZEN_DESK_REQUIRE_SYSTEM=1 but chromium"):
        conftest.require_system("chromium", False)


def test_a_present_package_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    for strict in (False, True):
        monkeypatch.setattr(conftest, "REQUIRE_SYSTEM", strict)
        conftest.require_system("chromium", True)


def test_ci_sets_the_switch() -> None:
    ci = (conftest.REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "CITIZEN_DESK_REQUIRE_SYSTEM=1" in ci
