"""Per-account limits on what a member can repeat: joins, reactions, new rooms, read
markers, reports, searches and on-demand translations; and, per client address, what
visitors without an account browse.

Each is a moving window on the shared rate limiter (decision 0007), so it holds across
every server process once the limiter is backed by Redis. An attempt counts when it is
made, whether or not it then succeeds: what is limited is the work a client can cause.
Searches without an account count against the client address instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openlink.actions.context import Context
from openlink.config import Settings
from openlink.domain.accounts import User
from openlink.errors import RateLimited
from openlink.ratelimit import Rate


@dataclass(frozen=True, slots=True)
class Limit:
    #: The counter's key prefix.
    name: str
    #: The 429's error code and message.
    code: str
    message: str
    #: (amount, window in seconds) from the settings; an amount of 0 turns it off.
    rate: Callable[[Settings], tuple[int, int]]


JOINS = Limit(
    "joins",
    "join_rate_limited",
    "You are joining rooms too often; try again later.",
    lambda s: (s.joins_per_account, s.joins_window_s),
)
REACTIONS = Limit(
    "reactions",
    "reaction_rate_limited",
    "You are reacting too fast; try again in a moment.",
    lambda s: (s.reactions_per_account, s.reactions_window_s),
)
ROOMS = Limit(
    "rooms",
    "room_creation_rate_limited",
    "You have created many rooms lately; try again later.",
    lambda s: (s.rooms_per_account, s.rooms_window_s),
)
READS = Limit(
    "reads",
    "read_rate_limited",
    "Read markers are moving too often; try again in a moment.",
    lambda s: (s.reads_per_account, s.reads_window_s),
)
REPORTS = Limit(
    "reports",
    "report_rate_limited",
    "You have sent many reports in a short time; try again later.",
    lambda s: (s.reports_per_account, s.reports_window_s),
)
SEARCHES = Limit(
    "searches:account",
    "search_rate_limited",
    "You are searching too fast; try again in a moment.",
    lambda s: (s.searches_per_account, s.searches_window_s),
)
ANONYMOUS_SEARCHES = Limit(
    "searches:address",
    "search_rate_limited",
    "Too many searches from your address; sign in, or try again in a moment.",
    lambda s: (s.searches_per_address, s.searches_window_s),
)
TRANSLATIONS = Limit(
    "translations",
    "translation_rate_limited",
    "You are asking for many translations; try again in a moment.",
    lambda s: (s.translations_per_account, s.translations_window_s),
)

MEDIA_UPLOADS = Limit(
    "media",
    "media_rate_limited",
    "You have uploaded many files lately; try again later.",
    lambda s: (s.media_uploads_per_account, s.media_uploads_window_s),
)

CLIP_POSTS = Limit(
    "clips",
    "clip_rate_limited",
    "You have posted many clips lately; try again later.",
    lambda s: (s.clip_posts_per_account, s.clip_posts_window_s),
)
CLIP_LIKES = Limit(
    "clip_likes",
    "clip_like_rate_limited",
    "You are liking too fast; try again in a moment.",
    lambda s: (s.clip_likes_per_account, s.clip_likes_window_s),
)
CLIP_COMMENTS = Limit(
    "clip_comments",
    "clip_comment_rate_limited",
    "You are commenting too fast; try again in a moment.",
    lambda s: (s.clip_comments_per_account, s.clip_comments_window_s),
)
CLIP_VIEWS = Limit(
    "clip_views",
    "clip_view_rate_limited",
    "Too many views counted lately; try again in a moment.",
    lambda s: (s.clip_views_per_account, s.clip_views_window_s),
)


VISITOR_BROWSING = Limit(
    "browse:address",
    "browse_rate_limited",
    "Too many requests from your address; sign in, or try again in a moment.",
    lambda s: (s.browse_per_address, s.browse_window_s),
)


async def spend_visitor(ctx: Context, user: User | None, address: str | None) -> None:
    """A discovery read by a visitor without an account counts against its address;
    signed-in reads are not limited here."""
    if user is None:
        await spend(ctx, VISITOR_BROWSING, address)


async def spend(ctx: Context, limit: Limit, subject: int | str | None) -> None:
    """Count one attempt by ``subject`` (an account id, or a client address); 429 with the
    limit's code, and when to retry, once its allowance is used up (nothing is counted
    then). No subject (an address the server does not know) is not limited."""
    amount, window_s = limit.rate(ctx.settings)
    if not amount or subject is None:
        return
    wait = await ctx.limiter.hit(f"{limit.name}:{subject}", Rate(amount, window_s))
    if wait is not None:
        raise RateLimited(limit.message, code=limit.code, retry_after_s=wait)
