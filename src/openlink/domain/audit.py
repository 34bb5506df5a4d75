"""Audit entries: who did what to whom in a room, for its moderators to read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ActorKind(enum.StrEnum):
    MEMBER = "member"
    AUTOMOD = "automod"
    BOT = "bot"
    OPERATOR = "operator"


@dataclass(slots=True)
class AuditEntry:
    room_id: str
    actor_kind: ActorKind
    #: What was done: ``kick``, ``ban``, ``hide``, ``timeout``, ``automod_block``, ...
    action: str
    created_at: datetime
    #: The member who acted, for ``ActorKind.MEMBER``.
    actor: str | None = None
    target_member: str | None = None
    target_seq: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
