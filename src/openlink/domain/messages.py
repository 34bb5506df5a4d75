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

from openlink.domain.text import check_no_controls
from openlink.errors import InvalidInput, PayloadTooLarge

MAX_MENTIONS = 50
#: Sequence numbers stay below this (they are signed 64-bit in the database).
MAX_SEQ = 2**62
MAX_REACTION_CHARS = 16
MAX_CLIENT_ID_CHARS = 64
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class MessageKind(enum.StrEnum):
    TEXT = "text"
    #: Written by the server: joins, leaves, host changes, room closing, moderation.
    SYSTEM = "system"
    #: A notice from the host or a co-host; the room can pin one.
    NOTICE = "notice"
    #: Written by the room's host bot (welcome, answers, scheduled notices).
    BOT = "bot"


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
    #: Hidden for everyone by a moderator (a member id) or by ``automod``.
    hidden_at: datetime | None = None
    hidden_by: str | None = None
    #: It has links and its sender had written nothing in the room before.
    link_warning: bool = False
    #: The detected language (primary subtag); None when nothing in the body says.
    lang: str | None = None
    #: How often its sender edited it.
    edits: int = 0
    #: The card of its first link (``domain.previews.LinkPreview.view``), once fetched.
    preview: dict[str, Any] | None = None
    #: Its attachments as the room sees them (``domain.media.media_view``), in order.
    media: list[dict[str, Any]] = field(default_factory=list)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


def check_body(raw: str, max_chars: int) -> str:
    body = check_no_controls(raw, "message").strip()
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
    if not _CLIENT_ID.fullmatch(raw):
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
    """A reaction is exactly one emoji: one pictograph with its modifiers, a keycap, a
    flag, or one ZWJ sequence (👨‍👩‍👧)."""
    emoji = unicodedata.normalize("NFC", raw.strip())
    if not 0 < len(emoji) <= MAX_REACTION_CHARS or not _is_one_emoji(emoji):
        raise InvalidInput("A reaction is a single emoji.", code="invalid_reaction")
    return emoji


_VS16, _ZWJ, _KEYCAP = 0xFE0F, 0x200D, 0x20E3


def _is_pictograph(cp: int) -> bool:
    return (
        unicodedata.category(chr(cp)) == "So"
        or 0x1F000 <= cp <= 0x1FAFF
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D)
    )


def _is_modifier(cp: int) -> bool:
    # variation selector 16, skin tones, and tag characters (subdivision flags)
    return cp == _VS16 or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _is_one_emoji(text: str) -> bool:
    cps = [ord(c) for c in text]
    if len(cps) == 2 and all(0x1F1E6 <= c <= 0x1F1FF for c in cps):
        return True  # a flag: two regional indicators
    if text[0] in "0123456789#*":
        return cps[1:] in ([_KEYCAP], [_VS16, _KEYCAP])
    for part in _split(cps, _ZWJ):
        if not part or not _is_pictograph(part[0]) or not all(map(_is_modifier, part[1:])):
            return False
    return True


def _split(cps: list[int], sep: int) -> list[list[int]]:
    parts: list[list[int]] = [[]]
    for cp in cps:
        if cp == sep:
            parts.append([])
        else:
            parts[-1].append(cp)
    return parts
