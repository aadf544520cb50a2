"""Evaluate the matcher on a cases file: accuracy, helpfulness, wrong answers, routing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import UsageError
from bot.knowledge.yamlsafe import YamlRefused, load_yaml_file
from bot.matching.matcher import Matcher
from bot.matching.routes import Route

ROUTE_NAMES = frozenset(r.value for r in Route)


@dataclass(frozen=True)
class Case:
    """One evaluation case: an in-scope question, an out-of-scope one, or a route."""

    q: str
    expect: str | None
    route: str | None
    lang: str | None = None

    @property
    def kind(self) -> str:
        """in-scope, out-of-scope or routing."""
        if self.route is not None:
            return "routing"
        return "in-scope" if self.expect is not None else "out-of-scope"


@dataclass(frozen=True)
class Outcome:
    """What the matcher did with one case."""

    case: Case
    route: str
    entry_id: str | None
    choices: tuple[str, ...]
    score: float

    @property
    def answered_right(self) -> bool:
        """In scope and answered with the expected entry."""
        return self.route == Route.ANSWER and self.entry_id == self.case.expect

    @property
    def helpful(self) -> bool:
        """Answered right, or the expected entry was among the choices offered."""
        return self.answered_right or (
            self.route == Route.CLARIFY and self.case.expect in self.choices
        )

    @property
    def passed(self) -> bool:
        """Whether this case counts as a success for its kind."""
        kind = self.case.kind
        if kind == "in-scope":
            return self.answered_right
        if kind == "out-of-scope":
            return self.route != Route.ANSWER
        return self.route == self.case.route


@dataclass
class Report:
    """The figures of one evaluation run."""

    outcomes: list[Outcome] = field(default_factory=list)

    def _of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.kind == kind]

    def figures(self) -> dict[str, float | int]:
        """Return the five headline rates and the counts behind them."""
        ins, oos, rte = self._of("in-scope"), self._of("out-of-scope"), self._of("routing")
        wrong = sum(1 for o in ins if o.route == Route.ANSWER and not o.answered_right)
        wrong += sum(1 for o in oos if o.route == Route.ANSWER)
        return {
            "cases": len(self.outcomes),
            "in_scope": len(ins),
            "out_of_scope": len(oos),
            "routing": len(rte),
            "answer_accuracy": _rate(sum(o.answered_right for o in ins), len(ins)),
            "helpful_rate": _rate(sum(o.helpful for o in ins), len(ins)),
            "wrong_answer_rate": _rate(wrong, len(ins) + len(oos)),
            "out_of_scope_rejection": _rate(sum(o.route != Route.ANSWER for o in oos), len(oos)),
            "out_of_scope_none": _rate(sum(o.route == Route.NONE for o in oos), len(oos)),
            "routing_accuracy": _rate(sum(o.route == o.case.route for o in rte), len(rte)),
        }

    def failures(self) -> list[Outcome]:
        """Cases that did not pass, in file order."""
        return [o for o in self.outcomes if not o.passed]

    def text(self) -> str:
        """A readable report with every failure."""
        f = self.figures()
        lines = [
            f"cases: {f['cases']} (in scope {f['in_scope']}, out of scope "
            f"{f['out_of_scope']}, routing {f['routing']})",
            f"answer accuracy        {f['answer_accuracy']:7.1%}",
            f"helpful rate           {f['helpful_rate']:7.1%}",
            f"wrong-answer rate      {f['wrong_answer_rate']:7.1%}",
            f"out-of-scope rejection {f['out_of_scope_rejection']:7.1%}",
            f"routing accuracy       {f['routing_accuracy']:7.1%}",
        ]
        failures = self.failures()
        if failures:
            lines.append(f"\nfailures ({len(failures)}):")
        for o in failures:
            want = o.case.route or o.case.expect or "(out of scope)"
            got = o.entry_id or ",".join(o.choices) or "-"
            lines.append(f"  [{o.case.kind}] {o.case.q!r}: want {want}; got {o.route} {got}")
        return "\n".join(lines)


def _rate(n: int, d: int) -> float:
    return n / d if d else 0.0


def load_cases(path: Path) -> list[Case]:
    """Read a cases file; raise UsageError with a clear message when it is malformed."""
    try:
        data: Any = load_yaml_file(path).value
    except FileNotFoundError as exc:
        raise UsageError(f"cases file {path} does not exist") from exc
    except YamlRefused as exc:
        raise UsageError(f"{path}:{exc.line or '?'}: {exc.message}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"{path}: expected a mapping with a `cases:` list")
    cases = []
    for number, item in enumerate(data["cases"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str | int):
            raise UsageError(f"{path}: case {number} needs a `q` text")
        route = item.get("route")
        if route is not None and route not in ROUTE_NAMES:
            raise UsageError(f"{path}: case {number}: unknown route {route!r}")
        if route is None and "expect" not in item:
            raise UsageError(f"{path}: case {number} needs `expect` (an id or null) or `route`")
        expect = item.get("expect")
        if route in (Route.ANSWER, Route.CLARIFY, Route.NONE):
            route = None  # those are checked through `expect`
        cases.append(Case(str(item["q"]), expect, route, item.get("lang")))
    return cases


def evaluate(matcher: Matcher, cases: list[Case]) -> Report:
    """Run every case through the matcher."""
    report = Report()
    for case in cases:
        match = matcher.match(case.q)
        choices: tuple[str, ...] = ()
        if match.route == Route.CLARIFY:
            choices = tuple(c.entry_id for c in matcher.clarify_choices(match))
        report.outcomes.append(
            Outcome(case, match.route.value, match.entry_id, choices, match.score)
        )
    return report


def unknown_ids(matcher: Matcher, cases: list[Case]) -> list[str]:
    """Expected ids that the knowledge base does not have."""
    return sorted({c.expect for c in cases if c.expect and matcher.kb.get(c.expect) is None})
