"""Members: a person's presence in one room, under a profile that exists only there."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from openlink.domain.names import check_visible
from openlink.domain.permissions import Right, Role
from openlink.domain.text import one_line
from openlink.errors import InvalidInput

MAX_NICKNAME_CHARS = 40
MAX_URL_CHARS = 2_048


class ProfileKind(enum.StrEnum):
    #: A nickname and avatar for this room only; the account behind it is never shown.
    OPEN = "open"
    #: The account's own display name.
    MAIN = "main"


@dataclass(slots=True)
class Member:
    id: str
    room_id: str
    user_id: int
    nickname: str
    avatar_url: str | None
    profile_kind: ProfileKind
    role: Role
    joined_at: datetime
    last_read_seq: int
    active: bool = True
    #: A co-host's rights; empty for everyone else (the host holds all of them).
    rights: frozenset[Right] = frozenset()
    #: Read-only until then.
    timed_out_until: datetime | None = None

    def timed_out(self, now: datetime) -> bool:
        return self.timed_out_until is not None and self.timed_out_until > now


def check_nickname(raw: str) -> str:
    nickname = one_line(raw, "nickname")
    if not nickname:
        raise InvalidInput("A nickname cannot be empty.", code="invalid_nickname")
    if len(nickname) > MAX_NICKNAME_CHARS:
        raise InvalidInput(
            f"A nickname is at most {MAX_NICKNAME_CHARS} characters.", code="invalid_nickname"
        )
    return check_visible(nickname, "nickname", "invalid_nickname")


def check_url(raw: str | None, what: str) -> str | None:
    if raw is None or raw == "":
        return None
    if (
        len(raw) > MAX_URL_CHARS
        or not raw.startswith(("https://", "http://", "/"))
        or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in raw)
    ):
        raise InvalidInput(f"The {what} must be an http(s) URL or a site path.", code="invalid_url")
    return raw
