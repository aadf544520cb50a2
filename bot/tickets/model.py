"""Tickets: statuses, the one table of allowed transitions, and the values that cross modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """A ticket's status, following the 12345 hotline workflow."""

    RECEIVED = "received"  # 已受理
    ASSIGNED = "assigned"  # 已派单
    IN_PROGRESS = "in_progress"  # 办理中
    ANSWERED = "answered"  # 已答复
    CLOSED = "closed"  # 已办结
    REJECTED = "rejected"  # 不予受理/退回
    REOPENED = "reopened"  # 重办
    MERGED = "merged"  # 已合并
    CORRECTION = "correction"  # 待补正 (disclosure, Art. 30)
    CORRECTED = "corrected"  # 已补正 (disclosure)
    ABANDONED = "abandoned"  # 视为放弃 (disclosure, no correction in time)


class Action(StrEnum):
    """What can happen to a ticket."""

    FILE = "file"
    CLAIM = "claim"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    REPLY = "reply"
    NOTE = "note"
    RESOLVE = "resolve"
    REJECT = "reject"
    MERGE = "merge"
    EXTEND = "extend"
    RATE = "rate"
    REOPEN = "reopen"
    CLOSE = "close"
    REMIND = "remind"
    ESCALATE = "escalate"
    REVEAL = "reveal"
    REQUEST_CORRECTION = "request_correction"
    CORRECT = "correct"
    ABANDON = "abandon"
    CONSULT = "consult"
    CONSULT_END = "consult_end"
    ANSWER = "answer"


OPEN = frozenset(
    {
        Status.RECEIVED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.REOPENED,
        Status.CORRECTION,
        Status.CORRECTED,
    }
)
FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED, Status.ABANDONED})
#: Where a disclosure request may be answered (not while a correction is awaited).
_ANSWERABLE = (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.CORRECTED)

#: The allowed transitions: (from, action) → to. Anything else is refused.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    **{(s, Action.CLAIM): Status.ASSIGNED for s in (Status.RECEIVED, Status.ASSIGNED)},
    **{(s, Action.CLAIM): s for s in (Status.IN_PROGRESS, Status.REOPENED)},
    **{(s, Action.ASSIGN): Status.ASSIGNED for s in (Status.RECEIVED, Status.ASSIGNED)},
    **{(s, Action.ASSIGN): s for s in (Status.IN_PROGRESS, Status.REOPENED)},
    **{
        (s, Action.TRANSFER): Status.ASSIGNED
        for s in (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)
    },
    (Status.REOPENED, Action.TRANSFER): Status.REOPENED,
    **{
        (s, Action.REPLY): Status.IN_PROGRESS
        for s in (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)
    },
    (Status.REOPENED, Action.REPLY): Status.REOPENED,
    **{(s, Action.NOTE): s for s in (*OPEN, Status.ANSWERED)},
    **{(s, Action.RESOLVE): Status.ANSWERED for s in OPEN},
    **{
        (s, Action.REJECT): Status.REJECTED
        for s in (Status.RECEIVED, Status.ASSIGNED, Status.IN_PROGRESS)
    },
    **{(s, Action.MERGE): Status.MERGED for s in OPEN},
    **{(s, Action.EXTEND): s for s in OPEN},
    **{(s, Action.REMIND): s for s in OPEN},
    **{(s, Action.ESCALATE): s for s in OPEN},
    **{(s, Action.REVEAL): s for s in (*OPEN, Status.ANSWERED, *FINAL)},
    (Status.ANSWERED, Action.RATE): Status.CLOSED,
    (Status.ANSWERED, Action.REOPEN): Status.REOPENED,
    (Status.ANSWERED, Action.CLOSE): Status.CLOSED,
    # Disclosure requests (docs/disclosure.md): one 补正, then corrected or abandoned;
    # the answer (with its type) concludes the request.
    **{(s, Action.REQUEST_CORRECTION): Status.CORRECTION for s in _ANSWERABLE[:3]},
    (Status.CORRECTION, Action.CORRECT): Status.CORRECTED,
    (Status.CORRECTION, Action.ABANDON): Status.ABANDONED,
    **{(s, Action.CONSULT): s for s in _ANSWERABLE},
    **{(s, Action.CONSULT_END): s for s in _ANSWERABLE},
    **{(s, Action.ANSWER): Status.CLOSED for s in _ANSWERABLE},
}


def next_status(status: Status, action: Action) -> Status | None:
    """The status after `action`, or None when the table does not allow it."""
    return TRANSITIONS.get((status, action))


class Role(StrEnum):
    """A staff member's role."""

    STAFF = "staff"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"  # a supervisor who also manages console accounts and the KB


@dataclass(frozen=True)
class StaffMember:
    """A registered staff member (a Telegram user)."""

    user_id: int
    role: Role
    dept: str | None = None
    name: str | None = None
    #: A web console login without a Telegram account (`web:<login>` in the audit log).
    login: str | None = None
    #: The command line's operator (the system user) when acting as the desk.
    operator: str | None = None

    @property
    def key(self) -> str:
        """The core's key for this person (`desk:<operator>` for the command line's actor)."""
        if self.user_id:
            return f"tg:{self.user_id}"
        if self.login:
            return f"web:{self.login}"
        return f"desk:{self.operator}" if self.operator else "desk"

    @property
    def is_supervisor(self) -> bool:
        """Supervisors (and admins) may extend deadlines and reveal a reporter's identity."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Attachment:
    """A photo or document sent with a complaint (the channel's file id)."""

    kind: str
    file_id: str
    size: int = 0
    name: str | None = None


@dataclass(frozen=True)
class Ticket:
    """A complaint, report or inquiry."""

    id: int
    number: str
    kind: str
    category: str
    status: Status
    citizen: str
    description: str
    created_at: dt.datetime
    deadline: dt.date
    department: str | None = None
    assignee: str | None = None
    anonymous: bool = False
    location: str | None = None
    occurred: str | None = None
    phone: str | None = None
    attachments: tuple[Attachment, ...] = ()
    lang: str = "zh"
    overdue: bool = False
    reminded: bool = False
    extended: bool = False
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: str | None = None
    rating: int | None = None
    rework_count: int = 0
    merged_into: int | None = None

    @property
    def is_open(self) -> bool:
        """Still being handled."""
        return self.status in OPEN

    @property
    def is_report(self) -> bool:
        """A 举报: the reporter's identity is protected."""
        return self.kind == "report"


@dataclass(frozen=True)
class Event:
    """One line of a ticket's audit log."""

    at: dt.datetime
    actor: str
    action: Action
    from_status: Status | None
    to_status: Status | None
    note: str | None
    public: bool


@dataclass(frozen=True)
class Draft:
    """A form in progress (complaint intake, inquiry, rating comment), saved at every step."""

    user: str
    kind: str
    step: str
    data: dict[str, object] = field(default_factory=dict)
