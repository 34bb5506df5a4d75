"""Moderation rules: ban lengths, reasons, and who may act on whom. Pure, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from openlink.domain.members import Member
from openlink.domain.permissions import Role, outranks
from openlink.domain.text import check_no_controls
from openlink.errors import Forbidden, InvalidInput

BAN_MIN_S = 60
BAN_MAX_S = 365 * 86_400
MAX_REASON_CHARS = 500


def check_ban_duration(seconds: int | None, now: datetime) -> datetime | None:
    """When a ban of ``seconds`` ends; ``None`` (no length) is until lifted."""
    if seconds is None:
        return None
    if not BAN_MIN_S <= seconds <= BAN_MAX_S:
        raise InvalidInput(
            f"A ban lasts {BAN_MIN_S} seconds to {BAN_MAX_S // 86_400} days, "
            "or until lifted (null).",
            code="invalid_ban_duration",
        )
    return now + timedelta(seconds=seconds)


def check_reason(raw: str | None) -> str:
    reason = check_no_controls(raw or "", "reason").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(
            f"A reason is at most {MAX_REASON_CHARS} characters.", code="invalid_reason"
        )
    return reason


def check_target(actor: Member, target: Member) -> None:
    """Kicks and time-outs: never the host, never yourself, and a co-host only by the host.

    Co-hosts cannot act against one another, so that a host's team cannot be turned
    against itself by one of its members.
    """
    if target.id == actor.id:
        raise InvalidInput("You cannot do that to yourself.", code="cannot_target_self")
    if target.role is Role.HOST:
        raise Forbidden("Nobody can do that to the host.", code="not_permitted")
    if not outranks(actor.role, target.role):
        raise Forbidden("Only the host can do that to a co-host.", code="not_permitted")
