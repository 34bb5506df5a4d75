"""Reports: a member flags a message or another member for the room's moderators and the
instance operator. A report names members only, never the accounts behind them."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openlink.domain.events import iso
from openlink.domain.text import check_no_controls
from openlink.errors import InvalidInput

MAX_NOTE = 500
MAX_OUTCOME = 200
MAX_SUSPENSION_REASON = 500
#: How much of a reported message a report shows.
EXCERPT_CHARS = 500
#: ``resolved_by`` when the operator, not a room moderator, resolved a report.
BY_OPERATOR = "operator"


class Reason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    HATE = "hate"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    SCAM = "scam"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(slots=True)
class Report:
    id: str
    room_id: str
    reporter_member: str
    target_member: str | None
    target_seq: int | None
    reason: Reason
    note: str
    status: ReportStatus
    created_at: datetime
    resolved_at: datetime | None = None
    #: A member id, or :data:`BY_OPERATOR`.
    resolved_by: str | None = None
    #: The reported message's body, cut to :data:`EXCERPT_CHARS`; of a hidden message
    #: only in the copies of those who may read hidden text (:func:`seen_by`).
    excerpt: str | None = None
    #: The reported message is hidden now.
    message_hidden: bool = False


def check_note(raw: str) -> str:
    if len(raw) > MAX_NOTE:
        raise InvalidInput(f"A note is at most {MAX_NOTE} characters.", code="invalid_note")
    return check_no_controls(raw, "note").strip()


def check_outcome(raw: str) -> str:
    outcome = check_no_controls(raw, "outcome").strip()
    if len(outcome) > MAX_OUTCOME:
        raise InvalidInput(
            f"An outcome is at most {MAX_OUTCOME} characters.", code="invalid_outcome"
        )
    return outcome


def check_suspension_reason(raw: str) -> str:
    reason = check_no_controls(raw, "reason").strip()
    if not 1 <= len(reason) <= MAX_SUSPENSION_REASON:
        raise InvalidInput(
            f"Give a reason of 1 to {MAX_SUSPENSION_REASON} characters.", code="invalid_reason"
        )
    return reason


def excerpt(body: str | None) -> str | None:
    return None if body is None else body[:EXCERPT_CHARS]


def seen_by(report: Report, *, hidden_text: bool) -> Report:
    """``report`` as one reader gets it: no excerpt of a hidden message for a reader who
    may not read hidden text (``permissions.may_read_hidden``; the reporter's own copy
    never has one)."""
    if report.message_hidden and not hidden_text:
        return dataclasses.replace(report, excerpt=None)
    return report


def report_view(r: Report) -> dict[str, Any]:
    return {
        "id": r.id,
        "room": r.room_id,
        "reporter": r.reporter_member,
        "target_member": r.target_member,
        "target_seq": r.target_seq,
        "excerpt": r.excerpt,
        "message_hidden": r.message_hidden,
        "reason": r.reason.value,
        "note": r.note,
        "status": r.status.value,
        "created_at": iso(r.created_at),
        "resolved_at": iso(r.resolved_at),
        "resolved_by": r.resolved_by,
    }
