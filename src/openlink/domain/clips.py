"""Clips: short vertical videos posted to an interest or to a room, and their feeds.

A clip shows the profile it was posted under and nothing else of its poster: in a room,
the poster's membership there (nickname, avatar); to an interest, the profile the poster
chose (their main profile or an open one), copied at posting time. No clip view carries
an id that is the same for two clips of one person, so two clips are linked only by what
the poster shows (the same nickname or picture). Ranking uses the viewer's own interests
and reading language and each clip's public counts: never who liked or watched what
(docs/decisions/0031).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from openlink.domain.events import iso
from openlink.domain.media import MediaItem, variant_view
from openlink.domain.text import check_no_controls
from openlink.errors import InvalidInput

MAX_CAPTION = 300
MAX_COMMENT = 500
#: A clip this many hours old counts half as much in "top" and "for you".
HALF_LIFE_H = 24.0
#: How far back "top" and "for you" look.
WINDOW_H = 7 * 24
#: Clips ranked per request of "top" and "for you" (newest first, before ranking).
CANDIDATES = 500
LIKE_WEIGHT = 1.0
COMMENT_WEIGHT = 2.0
VIEW_WEIGHT = 0.1
INTEREST_BONUS = 3.0
LANGUAGE_BONUS = 1.5
_CURSOR = re.compile(r"(\d{1,18})\.([a-z0-9]{1,24})")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RANK_CURSOR = re.compile(r"(\d{1,12})\.(\d{1,5})")


class Order(StrEnum):
    NEW = "new"
    TOP = "top"


@dataclass(slots=True)
class Clip:
    id: str
    media_id: str
    #: The poster's account: for limits and ownership, never shown.
    user_id: int
    room_id: str | None
    member_id: str | None
    interest_id: str | None
    nickname: str
    avatar_url: str | None
    profile_kind: str
    caption: str
    lang: str | None
    likes: int
    comments: int
    views: int
    hidden: bool
    created_at: datetime


@dataclass(slots=True)
class Comment:
    id: str
    clip_id: str
    user_id: int
    nickname: str
    avatar_url: str | None
    profile_kind: str
    body: str
    lang: str | None
    created_at: datetime


def check_caption(raw: str, max_message_chars: int) -> str:
    """At most :data:`MAX_CAPTION` characters, and never more than a message may have."""
    caption = check_no_controls(raw.strip(), "caption")
    limit = min(MAX_CAPTION, max_message_chars)
    if len(caption) > limit:
        raise InvalidInput(
            f"A caption is at most {limit} characters.",
            code="caption_too_long",
            max_chars=limit,
        )
    return caption


def check_comment(raw: str, max_message_chars: int) -> str:
    """1 to :data:`MAX_COMMENT` characters, and never more than a message may have."""
    body = check_no_controls(raw.strip(), "comment")
    if not body:
        raise InvalidInput("A comment says something.", code="empty_comment")
    limit = min(MAX_COMMENT, max_message_chars)
    if len(body) > limit:
        raise InvalidInput(
            f"A comment is at most {limit} characters.",
            code="comment_too_long",
            max_chars=limit,
        )
    return body


def score(clip: Clip, now: datetime, *, interest: bool = False, language: bool = False) -> float:
    """Engagement (likes, comments, views, on a log scale) plus the viewer's own interest
    and language bonuses, halved every ``HALF_LIFE_H`` hours of the clip's age."""
    engagement = (
        LIKE_WEIGHT * clip.likes + COMMENT_WEIGHT * clip.comments + VIEW_WEIGHT * clip.views
    )
    base = 1.0 + math.log1p(engagement)
    base += INTEREST_BONUS if interest else 0.0
    base += LANGUAGE_BONUS if language else 0.0
    age_h = max((now - clip.created_at).total_seconds() / 3600, 0.0)
    return base * math.exp(-age_h * math.log(2) / HALF_LIFE_H)


def keyset_cursor(at: datetime, last_id: str) -> str:
    """Where a page ended: the last row's time (microseconds, exactly) and id."""
    return f"{(at - EPOCH) // timedelta(microseconds=1)}.{last_id}"


def parse_keyset_cursor(raw: str | None) -> tuple[datetime, str] | None:
    if raw is None:
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        raise invalid_cursor()
    return EPOCH + timedelta(microseconds=int(match[1])), match[2]


def rank_cursor(as_of_s: int, offset: int) -> str:
    return f"{as_of_s}.{offset}"


def parse_rank_cursor(raw: str | None, now_s: int) -> tuple[int, int]:
    """(as of, offset): the pages of one ranked feed are ranked as of its first page
    (the second after ``now_s``, so that a clip of this second is in)."""
    if raw is None:
        return now_s + 1, 0
    match = _RANK_CURSOR.fullmatch(raw)
    if match is None or not now_s - WINDOW_H * 3600 < int(match[1]) <= now_s + 1:
        raise invalid_cursor()
    return int(match[1]), int(match[2])


def invalid_cursor() -> InvalidInput:
    return InvalidInput("This cursor is not one this feed returned.", code="invalid_cursor")


def clip_view(
    clip: Clip,
    item: MediaItem,
    *,
    mine: bool,
    liked: bool,
    room: dict[str, Any] | None = None,
    interest: str | None = None,
) -> dict[str, Any]:
    """What anyone who may see the clip sees: the profile it was posted under, never an
    id of the poster's account (``mine`` only tells the caller it is theirs)."""
    poster: dict[str, Any] = {
        "nickname": clip.nickname,
        "avatar_url": clip.avatar_url,
        "profile": clip.profile_kind,
    }
    if clip.member_id is not None:
        poster["member"] = clip.member_id
    view: dict[str, Any] = {
        "id": clip.id,
        "caption": clip.caption,
        "lang": clip.lang,
        "poster": poster,
        # The upload's id: random, per clip; its variants' URLs are signed on the way out
        # like any Media view's (queries/media.py ``signed``).
        "video": {
            "id": item.id,
            "width": item.width,
            "height": item.height,
            "duration_ms": item.duration_ms,
            "blurhash": item.blurhash,
            "variants": {
                name: variant_view(item.id, v) for name, v in sorted(item.variants.items())
            },
        },
        "likes": clip.likes,
        "comments": clip.comments,
        "views": clip.views,
        "liked": liked,
        "mine": mine,
        "hidden": clip.hidden,
        "created_at": iso(clip.created_at),
        # Room clips are talked about in the room; interest clips have their own thread.
        "comments_in": "room" if clip.room_id is not None else "thread",
    }
    if room is not None:
        view["room"] = room
    if interest is not None:
        view["interest"] = interest
    return view


def comment_view(c: Comment, *, mine: bool) -> dict[str, Any]:
    return {
        "id": c.id,
        "body": c.body,
        "lang": c.lang,
        "author": {"nickname": c.nickname, "avatar_url": c.avatar_url, "profile": c.profile_kind},
        "mine": mine,
        "created_at": iso(c.created_at),
    }


@dataclass(slots=True)
class ClipReport:
    """A report of a room clip as the room's moderators read it: the reporter is their
    membership in the room, as on a message report, or nobody when they are not a
    member (a public room's clip is seen by outsiders too); never their account."""

    id: str
    clip_id: str
    reporter_member: str | None
    reason: str
    note: str
    created_at: datetime


def clip_report_view(r: ClipReport) -> dict[str, Any]:
    return {
        "id": r.id,
        "clip": r.clip_id,
        "reporter": r.reporter_member,
        "reason": r.reason,
        "note": r.note,
        "created_at": iso(r.created_at),
    }
