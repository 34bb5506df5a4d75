"""Rooms: kinds, visibility, profile policy, tags and the rules that validate them."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from openlink.domain.text import check_no_controls, one_line
from openlink.errors import InvalidInput


class RoomKind(enum.StrEnum):
    GROUP = "group"
    #: A 1:1 open chat link: every person who joins gets a private room with the host.
    DIRECT_LINK = "direct_link"
    #: One private room spawned by a ``DIRECT_LINK`` for one joiner and the host.
    DIRECT = "direct"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"


class ProfilePolicy(enum.StrEnum):
    OPEN_ALLOWED = "open_allowed"
    MAIN_REQUIRED = "main_required"


class RoomStatus(enum.StrEnum):
    OPEN = "open"
    #: The host left without handing over: members can read, nobody can post.
    CLOSED = "closed"


class TagCategory(enum.StrEnum):
    HOBBY = "hobby"
    PLACE = "place"
    PERSON = "person"
    CONTENT = "content"


MAX_TAGS = 10
MAX_TAG_CHARS = 40


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    category: TagCategory


def normalize_tag(raw: str) -> str:
    """Case-folded NFKC form, a leading ``#`` dropped, inner white space collapsed."""
    name = unicodedata.normalize("NFKC", one_line(raw, "tag")).lstrip("#").strip()
    name = name.casefold()
    if not name:
        raise InvalidInput("A tag cannot be empty.", code="invalid_tag")
    if len(name) > MAX_TAG_CHARS:
        raise InvalidInput(f"A tag is at most {MAX_TAG_CHARS} characters.", code="invalid_tag")
    return name


def normalize_tags(tags: list[tuple[str, TagCategory]]) -> list[Tag]:
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"A room has at most {MAX_TAGS} tags.", code="invalid_tag")
    seen: dict[str, Tag] = {}
    for raw, category in tags:
        name = normalize_tag(raw)
        seen.setdefault(name, Tag(name, category))
    return list(seen.values())


def check_member_cap(cap: int, ceiling: int) -> int:
    if not 2 <= cap <= ceiling:
        raise InvalidInput(
            f"The member cap must be between 2 and {ceiling} on this instance.",
            code="invalid_member_cap",
        )
    return cap


def check_participation_code(code: str) -> str:
    code = check_no_controls(code, "participation code").strip()
    if not 4 <= len(code) <= 32:
        raise InvalidInput(
            "A participation code has 4 to 32 characters.", code="invalid_participation_code"
        )
    return code


@dataclass(slots=True)
class Room:
    id: str
    kind: RoomKind
    name: str
    description: str
    cover_url: str | None
    visibility: Visibility
    profile_policy: ProfilePolicy
    member_cap: int
    status: RoomStatus
    link_code: str
    has_code: bool
    last_seq: int
    member_count: int
    created_at: datetime
    parent_id: str | None = None
    tags: list[Tag] = field(default_factory=list)
    slow_mode_s: int = 0
    probation_s: int = 0
    join_approval: bool = False
    min_account_age_days: int = 0
    verified_only: bool = False
    link_expires_at: datetime | None = None
    link_max_uses: int | None = None
    link_uses: int = 0
    pinned_seq: int | None = None
    automod_rev: int = 0
    bot_rev: int = 0
    language: str | None = None
    preview_enabled: bool = True
    translation_enabled: bool = True
    link_previews: bool = True
    glossary_rev: int = 0

    @property
    def is_full(self) -> bool:
        return self.member_count >= self.member_cap
