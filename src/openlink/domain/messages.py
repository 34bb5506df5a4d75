"""Messages: the room stream's unit, with its validation rules.

Every durable change in a room takes the room's next sequence number. A message is named
by the ``seq`` it was created at; its ``rev`` is the seq of its latest change (edit,
delete, reaction). Both are strictly increasing per room, so "everything after rev N"
is a complete, ordered resume point.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openlink.errors import InvalidInput, PayloadTooLarge

MAX_MENTIONS = 50
MAX_REACTION_CHARS = 16
MAX_CLIENT_ID_CHARS = 64
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class MessageKind(enum.StrEnum):
    TEXT = "text"
    #: Written by the server: joins, leaves, host changes, room closing.
    SYSTEM = "system"


@dataclass(slots=True)
class Message:
    room_id: str
    seq: int
    rev: int
    kind: MessageKind
    member_id: str | None
    body: str | None
    created_at: datetime
    reply_to: int | None = None
    mentions: list[str] = field(default_factory=list)
    reactions: dict[str, int] = field(default_factory=dict)
    client_id: str | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    system: dict[str, Any] | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


def check_body(raw: str, max_chars: int) -> str:
    body = raw.strip()
    if not body:
        raise InvalidInput("A message cannot be empty.", code="empty_message")
    if len(body) > max_chars:
        raise PayloadTooLarge(
            f"A message is at most {max_chars} characters.",
            code="message_too_long",
            max_chars=max_chars,
        )
    return body


def check_client_id(raw: str) -> str:
    if not _CLIENT_ID.match(raw):
        raise InvalidInput(
            "client_id is 1 to 64 characters of letters, digits and _.:-",
            code="invalid_client_id",
        )
    return raw


def check_mentions(mentions: list[str]) -> list[str]:
    unique = list(dict.fromkeys(mentions))
    if len(unique) > MAX_MENTIONS:
        raise InvalidInput(
            f"At most {MAX_MENTIONS} mentions per message.", code="too_many_mentions"
        )
    return unique


def check_reaction(raw: str) -> str:
    """A reaction is one emoji (a short grapheme sequence of symbol characters)."""
    emoji = unicodedata.normalize("NFC", raw.strip())
    if not emoji or len(emoji) > MAX_REACTION_CHARS:
        raise InvalidInput("A reaction is a single emoji.", code="invalid_reaction")
    for ch in emoji:
        cat = unicodedata.category(ch)
        if cat[0] in "LNZC" and ch not in "\u200d\ufe0f\u20e3" and not ("0" <= ch <= "9"):
            raise InvalidInput("A reaction is a single emoji.", code="invalid_reaction")
    if not any(unicodedata.category(ch) == "So" or ord(ch) >= 0x1F000 for ch in emoji):
        raise InvalidInput("A reaction is a single emoji.", code="invalid_reaction")
    return emoji
