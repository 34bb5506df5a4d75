"""Room governance rules: slow mode, probation, link options, entry conditions.

Pure values and checks; the actions apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.errors import Forbidden, Gone, InvalidInput

SLOW_MODE_MIN_S = 10
SLOW_MODE_MAX_S = 6 * 3600
PROBATION_MAX_S = 30 * 86_400
LINK_MAX_USES = 99_999
MIN_ACCOUNT_AGE_MAX_DAYS = 3_650
TIMEOUT_MAX_S = 28 * 86_400

# Something a reader would follow: a scheme URL, a www. host, or a bare host with a
# common top-level domain. Deliberately generous: a false "link" only costs a newcomer
# the wait until probation ends.
_LINK = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://\S|www\.\S|[a-z0-9-]+(?:\.[a-z0-9-]+)*\."
    r"(?:com|net|org|io|co|me|ly|gg|app|dev|xyz|info|biz|kr|jp|cn|ru|de|uk|tv|link|site|"
    r"online|shop|club|top)\b)"
)


@dataclass(slots=True, frozen=True)
class RoomPolicy:
    """What the send path needs to know about a room, read with the sender's membership."""

    status: RoomStatus
    kind: RoomKind
    slow_mode_s: int = 0
    probation_s: int = 0
    automod_rev: int = 0
    bot_rev: int = 0
    #: Translation (docs/translation.md): on or off, the glossary's cache key, and the
    #: room's main language (a prior for detecting very short lines).
    translation_enabled: bool = True
    glossary_rev: int = 0
    language: str | None = None


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


def on_probation(joined_at: datetime, probation_s: int, now: datetime) -> bool:
    return probation_s > 0 and now < joined_at + timedelta(seconds=probation_s)


def check_slow_mode(seconds: int) -> int:
    if seconds != 0 and not SLOW_MODE_MIN_S <= seconds <= SLOW_MODE_MAX_S:
        raise InvalidInput(
            f"Slow mode is 0 (off) or {SLOW_MODE_MIN_S} to {SLOW_MODE_MAX_S} seconds.",
            code="invalid_slow_mode",
        )
    return seconds


def check_probation(seconds: int) -> int:
    if not 0 <= seconds <= PROBATION_MAX_S:
        raise InvalidInput(
            f"Probation is 0 to {PROBATION_MAX_S} seconds.", code="invalid_probation"
        )
    return seconds


def check_link_max_uses(uses: int | None) -> int | None:
    if uses is not None and not 1 <= uses <= LINK_MAX_USES:
        raise InvalidInput(
            f"A link's use limit is 1 to {LINK_MAX_USES}.", code="invalid_link_max_uses"
        )
    return uses


def check_min_account_age(days: int) -> int:
    if not 0 <= days <= MIN_ACCOUNT_AGE_MAX_DAYS:
        raise InvalidInput(
            f"The minimum account age is 0 to {MIN_ACCOUNT_AGE_MAX_DAYS} days.",
            code="invalid_min_account_age",
        )
    return days


def check_timeout(seconds: int) -> int:
    if not 1 <= seconds <= TIMEOUT_MAX_S:
        raise InvalidInput(
            f"A time-out is 1 second to {TIMEOUT_MAX_S // 86_400} days.", code="invalid_timeout"
        )
    return seconds


def check_entry_conditions(
    *,
    created_at: datetime,
    verified: bool,
    min_account_age_days: int,
    verified_only: bool,
    now: datetime,
) -> None:
    """The conditions a room's host set for newcomers' accounts."""
    if verified_only and not verified:
        raise Forbidden("This room admits verified accounts only.", code="verification_required")
    if min_account_age_days:
        old_enough_at = created_at + timedelta(days=min_account_age_days)
        if now < old_enough_at:
            raise Forbidden(
                f"This room admits accounts at least {min_account_age_days} days old.",
                code="account_too_new",
                min_account_age_days=min_account_age_days,
                retry_after_s=round((old_enough_at - now).total_seconds(), 3),
            )


def check_link_usable(
    expires_at: datetime | None, max_uses: int | None, uses: int, now: datetime
) -> None:
    if expires_at is not None and now >= expires_at:
        raise Gone("This link has expired.", code="link_expired")
    if max_uses is not None and uses >= max_uses:
        raise Gone(
            "This link has been used as many times as its host allowed.", code="link_used_up"
        )
