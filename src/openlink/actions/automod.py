"""Automod: per-room keyword and regular-expression rules applied to every message.

(Being built: rules CRUD and matching. The send path already calls the hooks below.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions.context import Context
from openlink.domain.members import Member
from openlink.domain.messages import Message
from openlink.errors import OpenLinkError
from openlink.store.db import Tx


class AutomodAction(enum.StrEnum):
    BLOCK = "block"
    HIDE = "hide"
    TIMEOUT = "timeout"


@dataclass(slots=True, frozen=True)
class Verdict:
    action: AutomodAction
    rule_id: str
    rule_name: str
    timeout_s: int | None = None


async def screen(
    ctx: Context, conn: AsyncConnection, room_id: str, automod_rev: int, member: Member, body: str
) -> Verdict | None:
    """The first matching rule's verdict for ``body`` sent by ``member``, or None.

    Called inside the send transaction; must not write. ``automod_rev`` is the room's
    current rules revision (0: the room never had rules, nothing to read)."""
    return None


async def on_blocked(ctx: Context, room_id: str, member: Member, verdict: Verdict) -> OpenLinkError:
    """After a BLOCK or TIMEOUT verdict rolled the send back: record it (audit log, the
    member's time-out) in a transaction of its own; returns the error for the sender."""
    raise NotImplementedError


async def on_hidden(ctx: Context, tx: Tx, message: Message, verdict: Verdict) -> None:
    """A HIDE verdict: ``message`` was stored hidden in ``tx``; record it in the audit log."""
    raise NotImplementedError
