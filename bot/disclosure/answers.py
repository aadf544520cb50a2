"""Applicant types, answer types (Arts. 36, 37, 39) and the annual-report rows they count in.

The rows and columns follow section 三 of the annual-report format of
国办公开办函〔2021〕30号 (收到和处理政府信息公开申请情况).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Applicant(StrEnum):
    """The table's columns: a natural person or one of five organisation types."""

    NATURAL = "natural"  # 自然人
    COMMERCIAL = "commercial"  # 商业企业
    RESEARCH = "research"  # 科研机构
    WELFARE = "welfare"  # 社会公益组织
    LEGAL = "legal"  # 法律服务机构
    OTHER_ORG = "other_org"  # 其他


@dataclass(frozen=True)
class Row:
    """One result row of the table: a group (予以公开 …) and, for some, a numbered reason."""

    key: str
    group: str
    zh: str
    en: str


#: Section 三, part 三 (本年度办理结果), in the official order.
RESULT_ROWS: tuple[Row, ...] = (
    Row("public", "public", "（一）予以公开", "(1) Disclosed"),
    Row(
        "partial",
        "partial",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "(2) Partly disclosed",
    ),
    Row("withheld.secret", "withheld", "1.属于国家秘密", "1. State secret"),
    Row(
        "withheld.law",
        "withheld",
        "2.其他法律行政法规禁止公开",
        "2. Barred by other laws or regulations",
    ),
    Row(
        "withheld.safety", "withheld", "3.危及“三安全一稳定”", "3. Endangers security or stability"
    ),
    Row(
        "withheld.third_party",
        "withheld",
        "4.保护第三方合法权益",
        "4. Protects a third party's lawful rights",
    ),
    Row("withheld.internal", "withheld", "5.属于三类内部事务信息", "5. Internal affairs"),
    Row("withheld.process", "withheld", "6.属于四类过程性信息", "6. Process information"),
    Row("withheld.enforcement", "withheld", "7.属于行政执法案卷", "7. Enforcement files"),
    Row("withheld.query", "withheld", "8.属于行政查询事项", "8. Administrative query matters"),
    Row(
        "unavailable.not_held",
        "unavailable",
        "1.本机关不掌握相关政府信息",
        "1. Not held by this office",
    ),
    Row(
        "unavailable.creation",
        "unavailable",
        "2.没有现成信息需要另行制作",
        "2. Would have to be created",
    ),
    Row(
        "unavailable.unclear",
        "unavailable",
        "3.补正后申请内容仍不明确",
        "3. Still unclear after correction",
    ),
    Row("refused.petition", "refused", "1.信访举报投诉类申请", "1. Petition, report or complaint"),
    Row("refused.repeat", "refused", "2.重复申请", "2. Repeat request"),
    Row("refused.publication", "refused", "3.要求提供公开出版物", "3. Asks for a publication"),
    Row(
        "refused.excessive",
        "refused",
        "4.无正当理由大量反复申请",
        "4. Large repeated requests without good reason",
    ),
    Row(
        "refused.confirm",
        "refused",
        "5.要求行政机关确认或重新出具已获取信息",
        "5. Asks to confirm or reissue information already obtained",
    ),
    Row(
        "other.no_correction",
        "other",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "1. No correction in time",
    ),
    Row(
        "other.no_fee",
        "other",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "2. Fee not paid in time",
    ),
    Row("other.other", "other", "3.其他", "3. Other"),
)
ROW_KEYS = frozenset(r.key for r in RESULT_ROWS)

#: Group headings of part 三, in order (the five groups with reasons are subtotalled).
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("withheld", "（三）不予公开", "(3) Not disclosed"),
    ("unavailable", "（四）无法提供", "(4) Cannot be provided"),
    ("refused", "（五）不予处理", "(5) Not processed"),
    ("other", "（六）其他处理", "(6) Other handling"),
)


class Answer(StrEnum):
    """How staff answer a request (Art. 36 (1)–(7), Art. 37, Art. 39)."""

    ALREADY_PUBLIC = "already_public"  # 36(1): say where
    DISCLOSED = "disclosed"  # 36(2)
    PARTLY = "partly"  # 37
    WITHHELD = "withheld"  # 36(3): with one of the eight reasons
    NOT_EXIST = "not_exist"  # 36(4)
    NOT_OURS = "not_ours"  # 36(5): name the right office
    REPEAT = "repeat"  # 36(6)
    REGISTER = "register"  # 36(7): special registers (工商, 不动产 …)
    NEEDS_CREATION = "needs_creation"  # 38
    STILL_UNCLEAR = "still_unclear"  # 30, after correction
    PETITION = "petition"  # 39
    PUBLICATION = "publication"  # 39
    EXCESSIVE = "excessive"  # 35
    CONFIRM = "confirm"  # asks to confirm information already obtained


#: The eight reasons for 不予公开 (Arts. 14–16), as row keys.
WITHHELD_REASONS = tuple(r.key.split(".", 1)[1] for r in RESULT_ROWS if r.group == "withheld")

_ROW_OF: dict[Answer, str] = {
    Answer.ALREADY_PUBLIC: "public",
    Answer.DISCLOSED: "public",
    Answer.PARTLY: "partial",
    Answer.NOT_EXIST: "unavailable.not_held",
    Answer.NOT_OURS: "unavailable.not_held",
    Answer.NEEDS_CREATION: "unavailable.creation",
    Answer.STILL_UNCLEAR: "unavailable.unclear",
    Answer.PETITION: "refused.petition",
    Answer.REPEAT: "refused.repeat",
    Answer.PUBLICATION: "refused.publication",
    Answer.EXCESSIVE: "refused.excessive",
    Answer.CONFIRM: "refused.confirm",
    Answer.REGISTER: "other.other",
}

#: Answers that refuse the information: the decision tells the applicant of their right to
#: administrative reconsideration or a lawsuit (Art. 51).
ADVERSE = frozenset(
    {
        Answer.PARTLY,
        Answer.WITHHELD,
        Answer.NOT_EXIST,
        Answer.NOT_OURS,
        Answer.REPEAT,
        Answer.NEEDS_CREATION,
        Answer.STILL_UNCLEAR,
        Answer.EXCESSIVE,
        Answer.CONFIRM,
    }
)


def result_row(answer: Answer, reason: str | None = None) -> str:
    """The table row an answer counts in; `withheld` needs one of the eight reasons."""
    if answer is Answer.WITHHELD:
        if reason not in WITHHELD_REASONS:
            raise ValueError(f"not disclosed needs one of {', '.join(WITHHELD_REASONS)}")
        return f"withheld.{reason}"
    return _ROW_OF[answer]


#: Abandoned after no correction (Art. 30) counts here.
ABANDONED_ROW = "other.no_correction"
