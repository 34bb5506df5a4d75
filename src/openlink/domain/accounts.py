"""Accounts: the person behind every membership. Never shown inside a room."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from openlink.domain.events import iso
from openlink.domain.names import check_visible
from openlink.domain.text import one_line
from openlink.errors import Forbidden, InvalidInput

_USERNAME = re.compile(r"^[a-z0-9_]{3,32}$")
# BCP 47, simplified: language, optional script, region or variants.
_BCP47 = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?(-[a-zA-Z0-9]{5,8})*$")
MAX_INTERESTS = 30
MIN_PASSWORD = 8
MAX_PASSWORD = 256


@dataclass(slots=True)
class User:
    id: int
    username: str
    display_name: str
    language: str
    created_at: datetime
    interests: list[str] = field(default_factory=list)
    verified: bool = False
    is_operator: bool = False
    suspended_until: datetime | None = None
    suspended: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """A valid bearer token: its account, when it expires, and the account's
    ``access_rev`` when it was read (a later revision means something may have changed
    for the account's sockets)."""

    user: User
    expires_at: datetime
    access_rev: int


@dataclass(slots=True)
class OpenProfile:
    id: str
    nickname: str
    avatar_url: str | None
    created_at: datetime


def check_username(raw: str) -> str:
    name = raw.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "A username is 3 to 32 characters of a-z, 0-9 and _.", code="invalid_username"
        )
    return name


def check_password(raw: str) -> str:
    if not MIN_PASSWORD <= len(raw) <= MAX_PASSWORD:
        raise InvalidInput(
            f"A password is {MIN_PASSWORD} to {MAX_PASSWORD} characters.", code="weak_password"
        )
    return raw


def check_language(raw: str) -> str:
    if not _BCP47.fullmatch(raw):
        raise InvalidInput(
            "The language must be a BCP 47 tag such as ko, ja, en or pt-BR.",
            code="invalid_language",
        )
    parts = raw.split("-")
    parts[0] = parts[0].lower()
    for i, p in enumerate(parts[1:], start=1):
        parts[i] = p.title() if len(p) == 4 else p.upper() if len(p) == 2 else p
    return "-".join(parts)


def check_display_name(raw: str) -> str:
    name = one_line(raw, "display name")
    if not 1 <= len(name) <= 40:
        raise InvalidInput("A display name is 1 to 40 characters.", code="invalid_display_name")
    return check_visible(name, "display name", "invalid_display_name")


def check_interests(raw: list[str]) -> list[str]:
    from openlink.domain.rooms import normalize_tag

    interests = list(dict.fromkeys(normalize_tag(i) for i in raw))
    if len(interests) > MAX_INTERESTS:
        raise InvalidInput(f"At most {MAX_INTERESTS} interests.", code="too_many_interests")
    return interests


def is_suspended(user: User, now: datetime) -> bool:
    """A suspension applies from ``suspended_at`` until ``suspended_until`` (or until lifted)."""
    return user.suspended and (user.suspended_until is None or user.suspended_until > now)


def check_not_suspended(user: User, now: datetime) -> None:
    if is_suspended(user, now):
        raise Forbidden(
            "This account is suspended by the operator of this server.",
            code="account_suspended",
            until=iso(user.suspended_until),
        )


def require_operator(user: User) -> None:
    if not user.is_operator:
        raise Forbidden("Only the operator of this server can do that.", code="operator_only")
