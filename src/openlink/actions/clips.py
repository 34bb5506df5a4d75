"""Posting clips, and what viewers do with them: like, view, comment, report; hiding
by the room's moderators (room clips) or the operator (all); deleting by the poster.

Every repeatable write is limited per account (``actions/limits.py``). Text passes the
checks every text passes where it is put (``actions/speech.py``): a room clip's caption
the room's, as a message; an interest clip's caption and its comments those of text
outside rooms. A clip's video is an upload of the poster's own: a ready video, at most
``clip_max_duration_s`` long, attached to no message and used by no other clip. An
interest clip's upload belongs to no room (uploaded without one), so nothing of a room
travels with it; a room clip's upload was made in that room or in none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import automod, flow, images, limits, speech
from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.actions.rooms import resolve_profile
from openlink.actions.stream import do_append_system
from openlink.domain import clips as rules
from openlink.domain import reports as report_rules
from openlink.domain.accounts import User
from openlink.domain.clips import Clip, Comment
from openlink.domain.ids import new_id
from openlink.domain.media import MediaItem, MediaKind, MediaState
from openlink.domain.permissions import Action, may_read_hidden
from openlink.domain.reports import Reason
from openlink.domain.rooms import ProfilePolicy, Room
from openlink.errors import Conflict, Forbidden, InvalidInput, NotFound
from openlink.queries.access import Seen, access_clip, access_sender, clip_not_found
from openlink.store import clips as store
from openlink.store import interests as interests_store
from openlink.store import media as media_store
from openlink.store import members as members_store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx


def _media_not_found() -> NotFound:
    return NotFound("No such media, or it is not yours to use.", code="media_not_found")


def check_clip_media(item: MediaItem | None, user: User, max_s: float) -> MediaItem:
    """The upload a clip shows: the poster's own ready video, short enough, unused."""
    if item is None or item.uploader_id != user.id:
        raise _media_not_found()
    if item.kind is not MediaKind.VIDEO:
        raise InvalidInput("A clip is a video.", code="clip_not_video")
    if item.state is MediaState.PENDING:
        raise Conflict("This video is still being processed.", code="media_not_ready")
    if item.state is not MediaState.READY:
        raise InvalidInput("This video could not be processed.", code="media_failed")
    if item.duration_ms is None or item.duration_ms > max_s * 1000:
        raise InvalidInput(
            f"A clip is at most {max_s:g} seconds long.",
            code="clip_too_long",
            max_duration_s=max_s,
        )
    if item.attached:
        raise Conflict("This video is attached to a message.", code="media_attached")
    return item


async def do_post_clip(
    ctx: Context,
    user: User,
    *,
    media_id: str,
    caption: str,
    room_id: str | None,
    interest_id: str | None,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """Post a clip to a room (under the poster's membership there) or to an interest
    (under the profile chosen in ``profile``, copied now).

    A room clip's caption passes the room's checks for text (``speech.check_room_text``:
    time-out, probation's link rule, automod, slow mode and flood limits), as a message
    would, and the room learns of it by a ``clip_posted`` system message; a clip automod
    hides is stored hidden and announced to nobody. An interest clip's caption passes
    the checks for text outside rooms (``speech.check_open_text``)."""
    if (room_id is None) == (interest_id is None):
        raise InvalidInput("Post a clip to a room or to an interest.", code="invalid_clip_target")
    caption = rules.check_caption(caption, ctx.settings.max_message_chars)
    if interest_id is not None:
        caption = speech.check_open_text(caption, "caption")
    await limits.spend(ctx, limits.CLIP_POSTS, user.id)
    if interest_id is not None:
        profile = await images.with_stored_avatar(ctx, user, profile)
    try:
        async with ctx.db.write() as tx:
            item = check_clip_media(
                await media_store.get_media(tx.conn, media_id),
                user,
                ctx.settings.clip_max_duration_s,
            )
            if await store.clip_of_media(tx.conn, media_id) is not None:
                raise Conflict("This video is another clip already.", code="media_attached")
            clip = _draft(ctx, user, item, caption)
            room, interest, verdict = None, None, None
            if room_id is not None:
                room, verdict = await _in_room(ctx, tx, user, clip, item, room_id)
            else:
                assert interest_id is not None
                interest = await _to_interest(tx.conn, user, clip, item, interest_id, profile)
            # Decided by the caption (and a room clip's room), never by the poster's account.
            room_language = room.language if room is not None else None
            clip.lang = ctx.translation.detect(caption, room_language) if caption else None
            clip.hidden = verdict is not None
            await store.insert_clip(tx.conn, clip)
            if room is not None:
                await _tell_room(ctx, tx, clip, verdict)
    except speech.Blocked as blocked:
        raise await speech.refusal(ctx, blocked) from None
    return rules.clip_view(
        clip,
        item,
        mine=True,
        liked=False,
        room={"id": room.id, "name": room.name} if room is not None else None,
        interest=interest,
    )


def _draft(ctx: Context, user: User, item: MediaItem, caption: str) -> Clip:
    return Clip(
        id=new_id(),
        media_id=item.id,
        user_id=user.id,
        room_id=None,
        member_id=None,
        interest_id=None,
        nickname="",
        avatar_url=None,
        profile_kind="main",
        caption=caption,
        lang=None,
        likes=0,
        comments=0,
        views=0,
        hidden=False,
        created_at=ctx.now(),
    )


async def _in_room(
    ctx: Context, tx: Tx, user: User, clip: Clip, item: MediaItem, room_id: str
) -> tuple[Room, automod.Verdict | None]:
    """Posting in the room as the member, checked as a message is; a HIDE verdict of
    automod, if any."""
    member, policy = await access_sender(tx.conn, user, room_id, Action.POST)
    # A clip shares a file in the room, whatever room (or none) it was uploaded to.
    flow.check_may_share(member, policy, ctx.now())
    if item.room_id not in (None, room_id):
        raise InvalidInput("This video was uploaded to another room.", code="media_wrong_room")
    verdict = await speech.check_room_text(ctx, tx, member, policy, clip.caption, [], ctx.now())
    clip.room_id, clip.member_id = room_id, member.id
    clip.nickname, clip.avatar_url = member.nickname, member.avatar_url
    clip.profile_kind = member.profile_kind.value
    room = await rooms_store.get_room(tx.conn, room_id)
    assert room is not None
    return room, verdict


async def _tell_room(ctx: Context, tx: Tx, clip: Clip, verdict: automod.Verdict | None) -> None:
    """A room clip's entry in its room's stream: the clip's id under the poster's
    membership (``member``), nothing else; or, for a clip automod hid, its audit entry."""
    assert clip.room_id is not None
    if verdict is not None:
        await automod.record_hidden(
            tx, clip.room_id, clip.member_id, verdict, clip.created_at, clip_id=clip.id
        )
        return
    system = {"event": "clip_posted", "clip": clip.id}
    await do_append_system(ctx, tx, clip.room_id, system, clip.created_at, clip.member_id)


async def _to_interest(
    conn: AsyncConnection,
    user: User,
    clip: Clip,
    item: MediaItem,
    interest_id: str,
    profile: dict[str, Any],
) -> str:
    if item.room_id is not None:
        # An upload made in a room stays there: an interest clip's is made without one.
        raise InvalidInput(
            "This video was uploaded to a room; upload it without one for an interest.",
            code="media_wrong_room",
        )
    interest = await interests_store.get_interest(conn, interest_id)
    if interest is None:
        raise NotFound("No interest has this id.", code="interest_not_found")
    columns = await resolve_profile(conn, user, profile, ProfilePolicy.OPEN_ALLOWED)
    clip.interest_id = interest_id
    clip.nickname, clip.avatar_url = columns["nickname"], columns["avatar_url"]
    clip.profile_kind = columns["profile_kind"]
    return interest.name


async def do_like(ctx: Context, user: User, clip_id: str, liked: bool) -> dict[str, Any]:
    """Like or unlike (idempotent); returns the clip's like count and the caller's state."""
    await limits.spend(ctx, limits.CLIP_LIKES, user.id)
    async with ctx.db.write() as tx:
        seen = await access_clip(tx.conn, user, clip_id)
        await store.set_like(tx.conn, seen.clip.id, user.id, liked, ctx.now())
        clip = await store.get_clip(tx.conn, clip_id)
    assert clip is not None
    return {"likes": clip.likes, "liked": liked}


async def do_view(ctx: Context, user: User, clip_id: str) -> dict[str, Any]:
    """Count a view: once per account and clip, whatever the number of requests."""
    await limits.spend(ctx, limits.CLIP_VIEWS, user.id)
    async with ctx.db.write() as tx:
        seen = await access_clip(tx.conn, user, clip_id)
        counted = await store.add_view(tx.conn, seen.clip.id, user.id)
        clip = await store.get_clip(tx.conn, clip_id)
    assert clip is not None
    return {"views": clip.views, "counted": counted}


async def do_comment(
    ctx: Context, user: User, clip_id: str, body: str, profile: dict[str, Any]
) -> dict[str, Any]:
    """Add a comment to an interest clip's thread, under the profile chosen, checked as
    text outside rooms (``speech.check_open_text``); a room clip is talked about in its
    room, by messages that pass the room's checks (409 ``comments_in_room``)."""
    body = speech.check_open_text(
        rules.check_comment(body, ctx.settings.max_message_chars), "comment"
    )
    await limits.spend(ctx, limits.CLIP_COMMENTS, user.id)
    profile = await images.with_stored_avatar(ctx, user, profile)
    async with ctx.db.write() as tx:
        seen = await access_clip(tx.conn, user, clip_id)
        if seen.clip.room_id is not None:
            raise Conflict(
                "This clip is talked about in its room.",
                code="comments_in_room",
                room=seen.clip.room_id,
            )
        columns = await resolve_profile(tx.conn, user, profile, ProfilePolicy.OPEN_ALLOWED)
        comment = Comment(
            id=new_id(),
            clip_id=seen.clip.id,
            user_id=user.id,
            nickname=columns["nickname"],
            avatar_url=columns["avatar_url"],
            profile_kind=columns["profile_kind"],
            body=body,
            lang=ctx.translation.detect(body, None),
            created_at=ctx.now(),
        )
        await store.insert_comment(tx.conn, comment)
    return rules.comment_view(comment, mine=True)


def _may_hide(seen: Seen, user: User) -> bool:
    if user.is_operator:
        return True
    m = seen.member
    return m is not None and seen.clip.room_id is not None and may_read_hidden(m.role, m.rights)


async def do_hide(ctx: Context, user: User, clip_id: str, hidden: bool) -> dict[str, Any]:
    """Hide (or show again) a clip: the room's moderators for a room clip, the operator
    for any. A hidden clip leaves every feed; its poster still sees it."""
    async with ctx.db.write() as tx:
        seen = await access_clip(tx.conn, user, clip_id)
        if not _may_hide(seen, user):
            raise Forbidden(
                "Only the room's moderators or the operator can hide this clip.",
                code="not_allowed",
            )
        await store.set_hidden(tx.conn, seen.clip.id, hidden)
    return {"hidden": hidden}


async def do_delete_clip(ctx: Context, user: User, clip_id: str) -> None:
    """The poster deletes their clip; its video goes with it (and its bytes when
    nothing else uses them)."""
    async with ctx.db.write() as tx:
        clip = await store.get_clip(tx.conn, clip_id)
        if clip is None or clip.user_id != user.id:
            raise clip_not_found()
        await store.delete_clip(tx.conn, clip.id)
        await media_store.delete_media(tx.conn, [clip.media_id])


async def do_report_clip(
    ctx: Context, user: User, clip_id: str, reason: Reason, note: str
) -> dict[str, Any]:
    """Report a clip to the operator and, for a room clip, to the room's moderators too
    (their list, and a ``clip.reported`` event on their sockets, as for a message's
    report). A second report of the same clip by the same account is not counted twice."""
    note = report_rules.check_note(note)
    await limits.spend(ctx, limits.REPORTS, user.id)
    async with ctx.db.write() as tx:
        seen = await access_clip(tx.conn, user, clip_id)
        if seen.clip.user_id == user.id:
            raise InvalidInput("You cannot report yourself.", code="cannot_report_self")
        report_id = new_id()
        new = await store.insert_report(
            tx.conn,
            id=report_id,
            clip_id=seen.clip.id,
            reporter_id=user.id,
            reason=reason.value,
            note=note,
            now=ctx.now(),
        )
        if new and seen.clip.room_id is not None:
            await notify_clip_report(ctx, tx, seen.clip.room_id, report_id)
    return {"reported": True, "new": new}


async def notify_clip_report(ctx: Context, tx: Tx, room_id: str, report_id: str) -> None:
    """The room's host and co-hosts hear of a new report of one of its clips."""
    report = await store.get_room_report(tx.conn, report_id)
    assert report is not None
    event = {"type": "clip.reported", "room": room_id, "report": rules.clip_report_view(report)}
    for moderator in await members_store.moderators(tx.conn, room_id):
        notify_user(ctx, tx, moderator.user_id, event)
